"""One writer at a time, and nothing half-applied: a lease and a write-ahead journal.

Linking a record or recounting a person touches dozens to hundreds of items, more than a
DynamoDB transaction holds, and the statistics cells are absolute values computed from
what was read. Both stay correct under crashes and redelivery in the same way:

1. the writer takes the scope's lease (a conditional update; a lease left by a crashed
   writer expires) and first replays any journal that writer left;
2. it reads through :class:`PendingWrites`, which overlays its own buffered writes on what
   DynamoDB holds, so the work sees its own changes before anything is written;
3. on success it writes every buffered put and delete, and the effects to run after them,
   into the lease item as its journal (a write only the lease's holder can make), then
   applies them, runs the effects and clears the journal. Every step of the replay is
   idempotent, so a crash at any point ends, on the next writer's turn, exactly as if it
   had not happened.

Items are plain Python values (str, int, Decimal, bytes, bool, lists, maps, sets), keyed by
``pk`` and ``sk`` strings, the key schema of every table that uses a journal.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import Unavailable

Item = dict[str, Any]
Key = tuple[str, str]
Effects = Callable[[Sequence[Mapping[str, Any]]], None]
"""Runs a journal's effects (messages to send, other tables to update); must be idempotent."""

DEFAULT_LEASE_SECONDS = 300
"""Longer than any function's timeout, so a lease can only expire once its holder is gone."""

MAX_JOURNAL_BYTES = 350_000
"""Below DynamoDB's 400 KB item limit, with room for the journal's own attributes."""

BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100
BATCH_ATTEMPTS = 8
DATABASE_UNAVAILABLE = "the database is unavailable"
LEASE_SK = "lease"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class WriterBusy(Unavailable):
    """Another writer holds the scope's lease: retry later (a queue redelivers, the API says 503)."""


class JournalTooLarge(Exception):
    """One unit of work wrote more than a journal item can hold."""


def to_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def from_attributes(attributes: Mapping[str, Any]) -> Item:
    return {name: _deserializer.deserialize(value) for name, value in attributes.items()}


def _encode(attributes: Any) -> Any:
    """DynamoDB's attribute JSON with binaries in base64, so a journal is plain JSON."""
    if isinstance(attributes, (bytes, bytearray)):
        return {"$b64": base64.b64encode(bytes(attributes)).decode()}
    if isinstance(attributes, dict):
        return {name: _encode(value) for name, value in attributes.items()}
    if isinstance(attributes, list):
        return [_encode(value) for value in attributes]
    return attributes


def _decode(document: Any) -> Any:
    if isinstance(document, dict):
        if set(document) == {"$b64"}:
            return base64.b64decode(document["$b64"])
        return {name: _decode(value) for name, value in document.items()}
    if isinstance(document, list):
        return [_decode(value) for value in document]
    return document


def _pack(writes: list[dict[str, Any]], effects: Sequence[Mapping[str, Any]]) -> bytes:
    return zlib.compress(json.dumps(_encode([writes, effects]), separators=(",", ":")).encode())


def _unpack(journal: bytes) -> tuple[list[dict[str, Any]], list[Mapping[str, Any]]]:
    writes, effects = _decode(json.loads(zlib.decompress(journal)))
    return writes, effects


def _send_batch(send: Callable[..., dict[str, Any]], request_items: dict[str, Any], leftover: str,
                throttled: str) -> list[dict[str, Any]]:
    """Sends a BatchGetItem or BatchWriteItem again for what DynamoDB left unprocessed
    (``leftover``), backing off, until nothing is left; every answer, in order."""
    answers = []
    for attempt in range(BATCH_ATTEMPTS):
        try:
            answer = send(RequestItems=request_items)
        except (ClientError, BotoCoreError) as e:
            raise Unavailable(DATABASE_UNAVAILABLE) from e
        answers.append(answer)
        request_items = answer.get(leftover) or {}
        if not request_items:
            return answers
        time.sleep(min(1.0, 0.05 * 2 ** attempt))
    raise Unavailable(throttled)


def _key_of(item: Mapping[str, Any]) -> Key:
    return str(item["pk"]), str(item["sk"])


class PendingWrites:
    """Reads that see the unit's own buffered writes, and the buffer itself.

    The last write to a key wins, so the journal holds at most one operation per item.
    """

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._writes: dict[Key, Item | None] = {}
        self.effects: list[Mapping[str, Any]] = []

    def put(self, item: Mapping[str, Any]) -> None:
        self._writes[_key_of(item)] = dict(item)

    def delete(self, pk: str, sk: str) -> None:
        self._writes[(pk, sk)] = None

    def add_effect(self, effect: Mapping[str, Any]) -> None:
        self.effects.append(dict(effect))

    def get(self, pk: str, sk: str) -> Item | None:
        if (pk, sk) in self._writes:
            buffered = self._writes[(pk, sk)]
            return dict(buffered) if buffered is not None else None
        try:
            answer = self._client.get_item(TableName=self._table, ConsistentRead=True,
                                           Key=to_attributes({"pk": pk, "sk": sk}))
        except (ClientError, BotoCoreError) as e:
            raise Unavailable(DATABASE_UNAVAILABLE) from e
        return from_attributes(answer["Item"]) if "Item" in answer else None

    def get_many(self, keys: Sequence[Key]) -> dict[Key, Item]:
        """The items of those keys that exist, by key (BatchGetItem, 100 keys a request)."""
        found: dict[Key, Item] = {}
        unbuffered = []
        for key in dict.fromkeys(keys):
            if key in self._writes:
                if self._writes[key] is not None:
                    found[key] = dict(self._writes[key])
            else:
                unbuffered.append(key)
        for start in range(0, len(unbuffered), BATCH_GET_LIMIT):
            request = {self._table: {"ConsistentRead": True, "Keys": [
                to_attributes({"pk": pk, "sk": sk}) for pk, sk in unbuffered[start:start + BATCH_GET_LIMIT]]}}
            for answer in _send_batch(self._client.batch_get_item, request, "UnprocessedKeys",
                                      "the database is throttling reads"):
                for attributes in answer["Responses"].get(self._table, []):
                    item = from_attributes(attributes)
                    found[_key_of(item)] = item
        return found

    def query(self, pk: str, prefix: str = "", *, newest_first: bool = False, limit: int | None = None) -> list[Item]:
        """Items of one partition whose sort key starts with ``prefix``, in sort-key order."""
        buffered = {sk: item for (item_pk, sk), item in self._writes.items()
                    if item_pk == pk and sk.startswith(prefix)}
        stored: dict[str, Item] = {}
        wanted = None if limit is None else limit + len(buffered)
        arguments: dict[str, Any] = {
            "TableName": self._table, "ConsistentRead": True, "ScanIndexForward": not newest_first,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)" if prefix else "pk = :pk",
            "ExpressionAttributeValues": to_attributes({":pk": pk, **({":prefix": prefix} if prefix else {})}),
        }
        try:
            while True:
                if wanted is not None:
                    arguments["Limit"] = wanted - len(stored)
                answer = self._client.query(**arguments)
                for attributes in answer["Items"]:
                    item = from_attributes(attributes)
                    stored[str(item["sk"])] = item
                if "LastEvaluatedKey" not in answer or (wanted is not None and len(stored) >= wanted):
                    break
                arguments["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as e:
            raise Unavailable(DATABASE_UNAVAILABLE) from e
        for sk, item in buffered.items():
            if item is None:
                stored.pop(sk, None)
            else:
                stored[sk] = dict(item)
        ordered = [stored[sk] for sk in sorted(stored, reverse=newest_first)]
        return ordered if limit is None else ordered[:limit]

    @property
    def writes(self) -> dict[Key, Item | None]:
        return dict(self._writes)


class SerialWriter:
    """Serialises the units of work of one scope (e.g. all linking) over one table.

    The lease and the journal are one item, so that every step is a single-item conditional
    write: taking the lease shows a journal left behind, and only the lease's holder can
    write or clear the journal.
    """

    def __init__(self, client: Any, table_name: str, scope: str, *, effects: Effects | None = None,
                 lease_seconds: int = DEFAULT_LEASE_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._table = table_name
        self._key = to_attributes({"pk": f"writer#{scope}", "sk": LEASE_SK})
        self._effects = effects
        self._lease_seconds = lease_seconds
        self._clock = clock

    @contextmanager
    def exclusive(self) -> Iterator[PendingWrites]:
        """The scope's lease for the block; its writes land when the block ends without error."""
        owner = str(uuid.uuid4())
        left_behind = self._take_lease(owner)
        try:
            if left_behind is not None:
                self._apply(owner, *_unpack(left_behind))
            pending = PendingWrites(self._client, self._table)
            yield pending
            self._commit(owner, pending)
        finally:
            self._release_lease(owner)

    def _commit(self, owner: str, pending: PendingWrites) -> None:
        writes = [{"put": to_attributes(item)} if item is not None else {"delete": to_attributes({"pk": pk, "sk": sk})}
                  for (pk, sk), item in pending.writes.items()]
        if not writes and not pending.effects:
            return
        body = _pack(writes, pending.effects)
        if len(body) > MAX_JOURNAL_BYTES:
            raise JournalTooLarge("one unit of work wrote more than a journal item holds")
        self._update_as(owner, "SET journal = :journal", {":journal": body})
        self._apply(owner, writes, pending.effects)

    def _apply(self, owner: str, writes: list[dict[str, Any]], effects: Sequence[Mapping[str, Any]]) -> None:
        requests = [{"PutRequest": {"Item": write["put"]}} if "put" in write
                    else {"DeleteRequest": {"Key": write["delete"]}} for write in writes]
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            _send_batch(self._client.batch_write_item, {self._table: requests[start:start + BATCH_WRITE_LIMIT]},
                        "UnprocessedItems", "the database is throttling writes")
        if effects and self._effects is not None:
            self._effects(effects)
        self._update_as(owner, "REMOVE journal", {})

    def _update_lease(self, busy: str, **arguments: Any) -> dict[str, Any]:
        """A conditional update of the lease item; a failed condition means another writer has it."""
        try:
            return self._client.update_item(TableName=self._table, Key=self._key,
                                            ExpressionAttributeNames={"#owner": "owner"}, **arguments)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise WriterBusy(busy) from e
            raise Unavailable(DATABASE_UNAVAILABLE) from e
        except BotoCoreError as e:
            raise Unavailable(DATABASE_UNAVAILABLE) from e

    def _update_as(self, owner: str, expression: str, values: Mapping[str, Any]) -> None:
        """An update of the lease item that only its holder may make."""
        self._update_lease("another writer took over; retry", UpdateExpression=expression,
                           ConditionExpression="#owner = :owner",
                           ExpressionAttributeValues=to_attributes({":owner": owner, **values}))

    def _take_lease(self, owner: str) -> bytes | None:
        """Takes a free or expired lease; returns the journal its last holder left, if any."""
        now = int(self._clock())
        answer = self._update_lease(
            "another writer holds the lease; retry", ReturnValues="ALL_NEW",
            UpdateExpression="SET #owner = :owner, expires_at = :expires",
            ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
            ExpressionAttributeValues=to_attributes({":owner": owner, ":expires": now + self._lease_seconds,
                                                     ":now": now}))
        journal = from_attributes(answer["Attributes"]).get("journal")
        return bytes(journal) if journal is not None else None

    def _release_lease(self, owner: str) -> None:
        """Expires the lease at once, keeping any journal for the next writer to finish.
        Best effort: a lease not released expires anyway."""
        try:
            self._update_as(owner, "SET expires_at = :released", {":released": 0})
        except Unavailable:
            pass
