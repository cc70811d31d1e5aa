"""TransactWriteItems for the embedded emulator, at a cost that does not grow with the tables.

moto makes every transaction undoable by deep-copying each table it touches before it
writes, the records table and its whole stream included: a submit then costs as much as
copying the database, and grows with it. DynamoDB checks all of a transaction's conditions
before it writes anything. This does the same: it checks every item first and writes only
when all hold, so a cancelled transaction has nothing to undo. Only a write that fails after
the checks (an update expression moto rejects) is undone, from copies of the items touched.

It replaces moto's method while the embedded emulator runs; `OneDynamoDBRequestAtATime`
keeps requests from interleaving, as the checks and the writes must not.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

MAX_ITEMS = 100
OPERATIONS = frozenset({"ConditionCheck", "Put", "Delete", "Update"})
NO_REASON: tuple[None, None, None] = (None, None, None)


@dataclass(frozen=True)
class CheckedWrite:
    kind: str
    request: dict[str, Any]
    key: dict[str, Any]
    before: Item | None


def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > MAX_ITEMS:
        raise TooManyTransactionsException()
    checked, reasons = _check_all(backend, transact_items)
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    _write_all(backend, checked)


def _check_all(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
               ) -> tuple[list[CheckedWrite], list[tuple[Any, Any, Any]]]:
    """Every item's condition against the table as it is, with the cancellation reasons
    DynamoDB gives: one per item, ``None`` for those that would have succeeded."""
    checked: list[CheckedWrite] = []
    reasons: list[tuple[Any, Any, Any]] = []
    targets: set[tuple[str, str]] = set()
    for transact_item in transact_items:
        if len(transact_item) > 1:
            raise TransactWriteSingleOpException
        old_image = None
        try:
            kind, request = next(iter(transact_item.items()))
            if kind not in OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            table_name = request["TableName"]
            key = _key_of(backend.get_table(table_name), kind, request)
            target = (str(table_name), str(dict(sorted(key.items()))))
            if target in targets:
                raise MultipleTransactionsException()
            targets.add(target)
            current = backend.get_item(table_name, key)
            condition = request.get("ConditionExpression")
            if condition is not None and not get_filter_expression(
                    condition, request.get("ExpressionAttributeNames"),
                    request.get("ExpressionAttributeValues")).expr(current):
                if request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    old_image = current.to_json()["Attributes"]
                raise ConditionalCheckFailed(item=old_image)
            checked.append(CheckedWrite(kind, request, key, copy.deepcopy(current)))
            reasons.append(NO_REASON)
        except MockValidationException:
            raise
        except ConditionalCheckFailed as e:
            reasons.append(("ConditionalCheckFailed", str(e.message), old_image))
        except Exception as e:  # noqa: BLE001 - DynamoDB reports any other failure as the item's reason
            reasons.append((type(e).__name__, str(e), None))
    return checked, reasons


def _key_of(table: Table, kind: str, request: dict[str, Any]) -> dict[str, Any]:
    if kind != "Put":
        return request["Key"]
    attributes = request["Item"]
    key = {table.hash_key_attr: attributes[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attributes[table.range_key_attr]
    return key


def _write_all(backend: DynamoDBBackend, checked: list[CheckedWrite]) -> None:
    stream_lengths = {name: len(table.stream_shard.items) for name, table in backend.tables.items()
                      if table.stream_shard is not None}
    for done, write in enumerate(checked):
        try:
            _write(backend, write)
        except Exception as e:
            for written in reversed(checked[:done + 1]):
                _restore(backend, written)
            for name, length in stream_lengths.items():
                del backend.tables[name].stream_shard.items[length:]
            if isinstance(e, MockValidationException):
                raise
            reasons: list[tuple[Any, Any, Any]] = [NO_REASON] * len(checked)
            reasons[done] = (type(e).__name__, str(e), None)
            raise TransactionCanceledException(reasons) from e


def _write(backend: DynamoDBBackend, write: CheckedWrite) -> None:
    table_name = write.request["TableName"]
    names = write.request.get("ExpressionAttributeNames")
    values = write.request.get("ExpressionAttributeValues")
    if write.kind == "Put":
        backend.put_item(table_name, write.request["Item"], expression_attribute_names=names,
                         expression_attribute_values=values)
    elif write.kind == "Delete":
        backend.delete_item(table_name, write.key, expression_attribute_names=names,
                            expression_attribute_values=values)
    elif write.kind == "Update":
        backend.update_item(table_name, write.key, update_expression=write.request["UpdateExpression"],
                            expression_attribute_names=names, expression_attribute_values=values)


def _restore(backend: DynamoDBBackend, write: CheckedWrite) -> None:
    table = backend.get_table(write.request["TableName"])
    hash_value, range_value = backend.get_keys_value(table, write.key)
    items = table.items[hash_value] if range_value is not None else table.items
    slot = range_value if range_value is not None else hash_value
    if write.before is None:
        items.pop(slot, None)
    else:
        items[slot] = write.before


@contextmanager
def checked_before_written() -> Iterator[None]:
    """moto's DynamoDB, while the block runs, with transactions that copy no table."""
    original = DynamoDBBackend.transact_write_items
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
