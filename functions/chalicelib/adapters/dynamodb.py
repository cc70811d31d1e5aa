"""Records, unique constraints and the audit chain in DynamoDB, through PynamoDB.

The audit chain is one entry per sequence number, each written on condition that its
place is free. A record change (submit, update, withdraw) is one TransactWriteItems: the
record, its unique constraints, its audit entry and the chain's head (which names the
newest record change) land together or not at all. Any other audited event (a read) is one
conditional PutItem of its entry. The linkage message needs no write of its own: the
records table's stream carries every change to the relay.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, PynamoDBException, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.audit import GENESIS, RECORD_CHANGES, AuditEntry, AuditEvent, Mac, seal
from chalicelib.domain.errors import PreconditionFailed, Unavailable
from chalicelib.services.records import (
    IdempotentAnswer,
    IdempotentRequest,
    StoredRecord,
    UniqueTaken,
)

AUDIT_CHAIN = "audit"
AUDIT_HEAD = "audit-head"
CHAIN_RETRIES = 8
CONFLICT_BACKOFF_SECONDS = 0.01
"""First pause after DynamoDB cancelled a transaction for colliding with another; doubled each time."""


class RecordModel(Model):
    class Meta:
        table_name = "unset"

    record_id = UnicodeAttribute(hash_key=True)
    institution_id = UnicodeAttribute()
    institution_type = UnicodeAttribute()
    version = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    person_id = UnicodeAttribute(null=True)
    uniques = UnicodeSetAttribute(null=True)
    parts = MapAttribute()
    """Part name -> Encryption SDK message; names only, never a value in clear."""


class UniqueModel(Model):
    class Meta:
        table_name = "unset"

    constraint = UnicodeAttribute(hash_key=True)
    record_id = UnicodeAttribute(null=True)
    request_hash = UnicodeAttribute(null=True)
    answer = UnicodeAttribute(null=True)


class AuditModel(Model):
    class Meta:
        table_name = "unset"

    chain = UnicodeAttribute(hash_key=True)
    sequence = NumberAttribute(range_key=True)
    at = UnicodeAttribute(null=True)
    institution_id = UnicodeAttribute(null=True)
    institution_type = UnicodeAttribute(null=True)
    action = UnicodeAttribute(null=True)
    record_id = UnicodeAttribute(null=True)
    previous_mac = UnicodeAttribute(null=True)
    mac = UnicodeAttribute()
    last_sequence = NumberAttribute(null=True)
    """Only on the head item: the sequence of the newest record change."""


class ClientConnection(Connection):
    """A PynamoDB connection over a botocore client made elsewhere, so that the container
    loads DynamoDB's service model and opens connections once, not once per model."""

    def __init__(self, client: Any) -> None:
        super().__init__(region=client.meta.region_name)
        self._shared_client = client

    @property
    def client(self) -> Any:
        return self._shared_client


def bind_tables(client: Any, records: str, uniques: str, audit: str) -> Connection:
    """Points the models at the deployment's tables (names come from settings), all over
    one DynamoDB client; returns their connection."""
    connection = ClientConnection(client)
    for model, table_name in ((RecordModel, records), (UniqueModel, uniques), (AuditModel, audit)):
        model.Meta.table_name = table_name
        model.Meta.region = client.meta.region_name
        model._connection = None
        table = model._get_connection()
        connection.add_meta_table(table.connection.get_meta_table(table_name))
        table.connection = connection
    return connection


def _to_record(item: RecordModel) -> StoredRecord:
    parts = item.parts.as_dict() if isinstance(item.parts, MapAttribute) else dict(item.parts)
    return StoredRecord(record_id=item.record_id, institution_id=item.institution_id,
                        institution_type=item.institution_type, version=int(item.version),
                        created_at=item.created_at, updated_at=item.updated_at, parts=parts,
                        uniques=frozenset(item.uniques or ()), person_id=item.person_id)


def _to_item(record: StoredRecord) -> RecordModel:
    return RecordModel(record.record_id, institution_id=record.institution_id,
                       institution_type=record.institution_type, version=record.version,
                       created_at=record.created_at, updated_at=record.updated_at,
                       person_id=record.person_id, uniques=set(record.uniques) or None,
                       parts=dict(record.parts))


def _to_entry(item: AuditModel) -> AuditEntry:
    event = AuditEvent(at=item.at, institution_id=item.institution_id, institution_type=item.institution_type,
                       action=item.action, record_id=item.record_id)
    return AuditEntry(int(item.sequence), event, item.previous_mac, item.mac)


def _entry_item(entry: AuditEntry) -> AuditModel:
    event = entry.event
    return AuditModel(AUDIT_CHAIN, entry.sequence, at=event.at, institution_id=event.institution_id,
                      institution_type=event.institution_type, action=event.action, record_id=event.record_id,
                      previous_mac=entry.previous_mac, mac=entry.mac)


class PlaceTaken(Exception):
    """Another writer appended first: the newest entry this container knew of is not the newest."""


class Collided(Exception):
    """DynamoDB cancelled the write for colliding with another writer's transaction; retrying may succeed."""


Write = tuple[str, Model, Any, str | None]
"""(``"put"`` or ``"delete"``, item, condition, name): the name says which domain error a
failed condition means: ``"version"``, a unique constraint, or None (cannot fail alone)."""

TRANSACTION_ORDER = ("delete", "put")
"""PynamoDB sends a transaction's deletes before its puts; cancellation reasons follow that order."""


class DynamoDBRecordStore:
    def __init__(self, connection: Connection, audit_mac: Mac) -> None:
        self._connection = connection
        self._audit_mac = audit_mac
        self._newest: tuple[int, str] | None = None
        """(sequence, MAC) of the newest audit entry this container knows of; None until it looks."""

    def get(self, record_id: str) -> StoredRecord | None:
        try:
            return _to_record(RecordModel.get(record_id, consistent_read=True))
        except DoesNotExist:
            return None
        except PynamoDBException as e:
            raise Unavailable("the database is unavailable") from e

    def idempotent_answer(self, constraint: str) -> IdempotentAnswer | None:
        try:
            item = UniqueModel.get(constraint, consistent_read=True)
        except DoesNotExist:
            return None
        except PynamoDBException as e:
            raise Unavailable("the database is unavailable") from e
        return IdempotentAnswer(item.request_hash, json.loads(item.answer))

    def create(self, record: StoredRecord, idempotency: tuple[IdempotentRequest, Mapping[str, Any]] | None,
               event: AuditEvent) -> None:
        # The record item lists its idempotency key with its uniques, so that a withdrawal removes it too.
        stored = record if idempotency is None else replace(
            record, uniques=record.uniques | {idempotency[0].constraint})
        free = UniqueModel.constraint.does_not_exist()
        writes: list[Write] = [("put", _to_item(stored), RecordModel.record_id.does_not_exist(), None)]
        writes += [("put", UniqueModel(constraint, record_id=record.record_id), free, constraint)
                   for constraint in sorted(record.uniques)]
        if idempotency is not None:
            request, answer = idempotency
            writes.append(("put", UniqueModel(request.constraint, record_id=record.record_id,
                                              request_hash=request.request_hash, answer=json.dumps(answer)),
                           free, request.constraint))
        self._append(event, writes)

    def replace(self, record: StoredRecord, expected_version: int, event: AuditEvent) -> None:
        self._append(event, [("put", _to_item(record), RecordModel.version == expected_version, "version")])

    def delete(self, record: StoredRecord, event: AuditEvent) -> None:
        writes: list[Write] = [("delete", RecordModel(record.record_id), RecordModel.version == record.version,
                                "version")]
        writes += [("delete", UniqueModel(constraint), None, None) for constraint in sorted(record.uniques)]
        self._append(event, writes)

    def versions(self) -> Iterator[tuple[str, int]]:
        """Every record's id and version, and nothing else of it: a Scan, read page by page."""
        try:
            for item in RecordModel.scan(attributes_to_get=["record_id", "version"]):
                yield item.record_id, int(item.version)
        except PynamoDBException as e:
            raise Unavailable("the database is unavailable") from e

    def audit(self, event: AuditEvent) -> None:
        self._append(event, None)

    def _append(self, event: AuditEvent, writes: list[Write] | None) -> None:
        """Appends the event's entry after the newest one known, with `writes` in the same
        transaction when given; on a lost race, looks up the newest entry and tries again."""
        if (writes is not None) != (event.action in RECORD_CHANGES):
            # The head names the newest record change, and verification finds those by their action.
            raise ValueError(f"the audited action {event.action!r} does not match the writes that go with it")
        for attempt in range(CHAIN_RETRIES):
            sequence, previous_mac = self._newest = self._newest or self._newest_entry()
            entry = seal(event, sequence + 1, previous_mac, self._audit_mac)
            try:
                if writes is None:
                    self._put(entry)
                else:
                    self._transact(writes, entry)
            except PlaceTaken:
                self._newest = None
                continue
            except Collided:
                time.sleep(CONFLICT_BACKOFF_SECONDS * 2 ** attempt * random.uniform(0.5, 1.5))
                continue
            self._newest = (entry.sequence, entry.mac)
            return
        raise Unavailable("the audit log is busy; retry")

    def _newest_entry(self) -> tuple[int, str]:
        return DynamoDBAuditLog().head() or (0, GENESIS)

    def _put(self, entry: AuditEntry) -> None:
        try:
            _entry_item(entry).save(condition=AuditModel.chain.does_not_exist())
        except PutError as e:
            if e.cause_response_code == "ConditionalCheckFailedException":
                raise PlaceTaken() from e
            if e.cause_response_code == "TransactionConflictException":
                raise Collided() from e
            raise Unavailable("the database is unavailable") from e
        except PynamoDBException as e:
            raise Unavailable("the database is unavailable") from e

    def _transact(self, writes: list[Write], entry: AuditEntry) -> None:
        head = AuditModel(AUDIT_HEAD, 0, last_sequence=entry.sequence, mac=entry.mac)
        ordered = sorted([*writes, ("put", _entry_item(entry), AuditModel.chain.does_not_exist(), None),
                          ("put", head, AuditModel.chain.does_not_exist()
                           | (AuditModel.last_sequence < entry.sequence), None)],
                         key=lambda write: TRANSACTION_ORDER.index(write[0]))
        try:
            # A request token makes botocore's retry of a transaction that did commit a success, not a conflict.
            with TransactWrite(connection=self._connection, client_request_token=str(uuid.uuid4())) as transaction:
                for kind, item, condition, _ in ordered:
                    (transaction.save if kind == "put" else transaction.delete)(item, condition=condition)
        except TransactWriteError as e:
            reasons = [reason.code if reason else None for reason in (e.cancellation_reasons or [])]
            failed = {name for (_, _, _, name), reason in zip(ordered, reasons) if reason == "ConditionalCheckFailed"}
            if "version" in failed:
                raise PreconditionFailed("the record has changed since it was read") from e
            if failed - {None}:
                raise UniqueTaken(frozenset(failed - {None})) from e
            if "ConditionalCheckFailed" in reasons:
                raise PlaceTaken() from e
            if "TransactionConflict" in reasons:
                raise Collided() from e
            raise Unavailable("the database is unavailable") from e
        except PynamoDBException as e:
            raise Unavailable("the database is unavailable") from e


class DynamoDBAuditLog:
    """Reads the chain, for the auditor's route and for verification."""

    def entries(self, after: int = 0, limit: int | None = None) -> Iterator[AuditEntry]:
        try:
            for item in AuditModel.query(AUDIT_CHAIN, AuditModel.sequence > after, limit=limit,
                                         consistent_read=True):
                yield _to_entry(item)
        except PynamoDBException as e:
            raise Unavailable("the database is unavailable") from e

    def head(self) -> tuple[int, str] | None:
        """(sequence, MAC) of the newest entry; None while the chain is empty."""
        try:
            for item in AuditModel.query(AUDIT_CHAIN, scan_index_forward=False, limit=1, consistent_read=True):
                return int(item.sequence), item.mac
        except PynamoDBException as e:
            raise Unavailable("the database is unavailable") from e
        return None

    def newest_change(self) -> tuple[int, str] | None:
        """(sequence, MAC) of the newest record change, as the head item names it: an entry
        the chain must still hold."""
        try:
            item = AuditModel.get(AUDIT_HEAD, 0, consistent_read=True)
        except DoesNotExist:
            return None
        except PynamoDBException as e:
            raise Unavailable("the database is unavailable") from e
        return int(item.last_sequence), item.mac
