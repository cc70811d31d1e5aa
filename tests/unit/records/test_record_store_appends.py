"""How the record store appends to the audit chain when other writers get there first, with
DynamoDB played by a scripted client: the answers real DynamoDB gives under contention
(a place taken, a transaction cancelled by a colliding one) are hard to provoke in an emulator."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters import dynamodb
from chalicelib.adapters.dynamodb import AuditModel, RecordModel, UniqueModel, bind_tables
from chalicelib.domain.audit import AuditEvent
from chalicelib.domain.errors import PreconditionFailed, Unavailable
from chalicelib.services.records import IdempotentRequest, StoredRecord, UniqueTaken

Answer = dict[str, Any] | Exception


class ScriptedDynamoDB:
    """A botocore client whose answers are given in advance, by operation, in order; an
    operation without one left answers {}. Keeps every call made."""

    meta = SimpleNamespace(region_name="eu-central-1")

    def __init__(self, **answers: list[Answer]) -> None:
        self._answers = {operation: list(queued) for operation, queued in answers.items()}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _make_api_call(self, operation: str, parameters: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, parameters))
        queued = self._answers.get(operation)
        answer = queued.pop(0) if queued else {}
        if isinstance(answer, Exception):
            raise answer
        return answer

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.calls]

    def appended(self) -> list[tuple[int, str]]:
        """(sequence, previous MAC) of every audit entry written, in order."""
        items = [parameters["Item"] for operation, parameters in self.calls if operation == "PutItem"]
        items += [write["Put"]["Item"] for operation, parameters in self.calls if operation == "TransactWriteItems"
                  for write in parameters["TransactItems"] if write["Put"]["Item"].get("chain") == {"S": "audit"}]
        return [(int(item["sequence"]["N"]), item["previous_mac"]["S"]) for item in items if "previous_mac" in item]


def newest_entry(sequence: int, mac: str) -> dict[str, Any]:
    return {"Items": [{"chain": {"S": "audit"}, "sequence": {"N": str(sequence)}, "mac": {"S": mac}}],
            "Count": 1, "ScannedCount": 1}


NO_ENTRY: dict[str, Any] = {"Items": [], "Count": 0, "ScannedCount": 0}


def place_taken() -> ClientError:
    return ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "taken"}}, "PutItem")


def cancelled(*reasons: str) -> ClientError:
    return ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                        "CancellationReasons": [{"Code": reason} for reason in reasons]}, "TransactWriteItems")


@pytest.fixture
def store_over(monkeypatch) -> Iterator[Callable[[ScriptedDynamoDB], dynamodb.DynamoDBRecordStore]]:
    """store_over(client) -> a record store whose tables are reached through `client`; the
    models are bound back as they were afterwards."""
    monkeypatch.setattr(dynamodb, "CONFLICT_BACKOFF_SECONDS", 0)
    models = (RecordModel, UniqueModel, AuditModel)
    bound = [(model.Meta.table_name, getattr(model.Meta, "region", None), model._connection) for model in models]

    def make(client: ScriptedDynamoDB) -> dynamodb.DynamoDBRecordStore:
        connection = bind_tables(client, "records", "uniques", "audit")
        return dynamodb.DynamoDBRecordStore(connection, lambda message: hmac.new(b"k", message, hashlib.sha256).hexdigest())

    yield make
    for model, (table_name, region, connection) in zip(models, bound):
        model.Meta.table_name, model.Meta.region, model._connection = table_name, region, connection


def event(action: str) -> AuditEvent:
    return AuditEvent(at="2025-06-15T10:00:00.000+00:00", institution_id="kp-dthb", institution_type="police",
                      action=action, record_id="record-1")


def record(version: int = 1) -> StoredRecord:
    return StoredRecord(record_id="record-1", institution_id="kp-dthb", institution_type="police", version=version,
                        created_at="2025-06-15T10:00:00.000+00:00", updated_at="2025-06-15T10:00:00.000+00:00",
                        parts={"meta": b"ciphertext"}, uniques=frozenset({"source:abc"}))


def test_a_container_looks_up_the_newest_entry_once_then_appends_with_one_request_each(store_over):
    client = ScriptedDynamoDB(Query=[newest_entry(6, "mac-6")])
    store = store_over(client)

    store.audit(event("read"))
    store.audit(event("read"))

    assert client.operations() == ["Query", "PutItem", "PutItem"]
    assert [sequence for sequence, _ in client.appended()] == [7, 8]
    assert client.appended()[0][1] == "mac-6"


def test_a_place_taken_by_another_container_sends_the_entry_after_the_newest_one(store_over):
    client = ScriptedDynamoDB(Query=[newest_entry(6, "mac-6"), newest_entry(9, "mac-9")],
                              PutItem=[place_taken()])
    store = store_over(client)

    store.audit(event("read"))

    assert client.operations() == ["Query", "PutItem", "Query", "PutItem"]
    assert client.appended() == [(7, "mac-6"), (10, "mac-9")]


def test_a_record_change_cancelled_by_a_colliding_transaction_is_tried_again(store_over):
    client = ScriptedDynamoDB(Query=[NO_ENTRY],
                              TransactWriteItems=[cancelled("None", "TransactionConflict", "None", "None")])
    store = store_over(client)

    store.replace(record(version=2), expected_version=1, event=event("update"))

    assert client.operations() == ["Query", "TransactWriteItems", "TransactWriteItems"]
    assert client.appended() == [(1, "genesis"), (1, "genesis")]


def test_collisions_that_do_not_stop_are_unavailable(store_over):
    collisions = [cancelled("TransactionConflict", "None", "None")] * dynamodb.CHAIN_RETRIES
    store = store_over(ScriptedDynamoDB(Query=[NO_ENTRY], TransactWriteItems=collisions))

    with pytest.raises(Unavailable):
        store.replace(record(version=2), expected_version=1, event=event("update"))


def test_a_retried_submission_hears_of_every_unique_it_finds_taken(store_over):
    # Transaction order: the record, its source reference, its idempotency key, the audit entry, the head.
    client = ScriptedDynamoDB(Query=[NO_ENTRY], TransactWriteItems=[
        cancelled("None", "ConditionalCheckFailed", "ConditionalCheckFailed", "None", "None")])
    store = store_over(client)
    request = IdempotentRequest("idempotency:xyz", "request-hash")

    with pytest.raises(UniqueTaken) as taken:
        store.create(record(), (request, {"record_id": "record-1"}), event("submit"))

    assert taken.value.constraints == {"source:abc", "idempotency:xyz"}
    assert client.operations() == ["Query", "TransactWriteItems"]


def test_a_changed_version_is_a_failed_precondition_not_a_lost_race(store_over):
    client = ScriptedDynamoDB(Query=[NO_ENTRY], TransactWriteItems=[cancelled("ConditionalCheckFailed", "None", "None")])
    store = store_over(client)

    with pytest.raises(PreconditionFailed):
        store.replace(record(version=2), expected_version=1, event=event("update"))
    assert client.operations() == ["Query", "TransactWriteItems"]
