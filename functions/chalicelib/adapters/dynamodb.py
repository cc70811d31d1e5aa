"""Records, unique constraints and the audit chain in DynamoDB, through PynamoDB.

Every write is one TransactWriteItems: the record, its unique constraints, its audit
entry and the audit chain's head land together or not at all. The linkage message needs
no write of its own: the records table's stream carries every change to the relay.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.audit import GENESIS, AuditEntry, AuditEvent, Mac, seal
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
    """Only on the head item: the sequence of the newest entry."""


def bind_tables(region: str, records: str, uniques: str, audit: str) -> None:
    """Points the models at the deployment's tables (names come from settings)."""
    for model, table_name in ((RecordModel, records), (UniqueModel, uniques), (AuditModel, audit)):
        model.Meta.table_name = table_name
        model.Meta.region = region
        model._connection = None


def _to_record(item: RecordModel) -> StoredRecord:
    parts = item.parts.as_dict() if isinstance(item.parts, MapAttribute) else dict(item.parts)
    return StoredRecord(record_id=item.record_id, institution_id=item.institution_id,
                        institution_type=item.institution_type, version=int(item.version),
                        created_at=item.created_at, updated_at=item.updated_at, parts=parts,
                        uniques=frozenset(item.uniques or ()), person_id=item.person_id)


def _to_item(record: StoredRecord) -> RecordModel:
    item = RecordModel(record.record_id, institution_id=record.institution_id,
                       institution_type=record.institution_type, version=record.version,
                       created_at=record.created_at, updated_at=record.updated_at,
                       person_id=record.person_id, uniques=set(record.uniques) or None,
                       parts=dict(record.parts))
    return item


def _to_entry(item: AuditModel) -> AuditEntry:
    event = AuditEvent(at=item.at, institution_id=item.institution_id, institution_type=item.institution_type,
                       action=item.action, record_id=item.record_id)
    return AuditEntry(int(item.sequence), event, item.previous_mac, item.mac)


Operation = Callable[[TransactWrite], None]


class DynamoDBRecordStore:
    def __init__(self, region: str, audit_mac: Mac) -> None:
        self._connection = Connection(region=region)
        """One connection (and so one botocore client) per container, not one per write."""
        self._audit_mac = audit_mac

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
        operations: list[tuple[Operation, str | None]] = [
            (lambda t: t.save(_to_item(stored), condition=RecordModel.record_id.does_not_exist()), None)]
        for constraint in sorted(record.uniques):
            operations.append((lambda t, c=constraint: t.save(UniqueModel(c, record_id=record.record_id),
                                                              condition=UniqueModel.constraint.does_not_exist()),
                               constraint))
        if idempotency is not None:
            request, answer = idempotency
            operations.append((lambda t: t.save(
                UniqueModel(request.constraint, record_id=record.record_id, request_hash=request.request_hash,
                            answer=json.dumps(answer)),
                condition=UniqueModel.constraint.does_not_exist()), request.constraint))
        self._transact(operations, event)

    def replace(self, record: StoredRecord, expected_version: int, event: AuditEvent) -> None:
        condition = RecordModel.version == expected_version
        self._transact([(lambda t: t.save(_to_item(record), condition=condition), "version")], event)

    def delete(self, record: StoredRecord, event: AuditEvent) -> None:
        operations: list[tuple[Operation, str | None]] = [
            (lambda t: t.delete(RecordModel(record.record_id), condition=RecordModel.version == record.version),
             "version")]
        for constraint in sorted(record.uniques):
            operations.append((lambda t, c=constraint: t.delete(UniqueModel(c)), None))
        self._transact(operations, event)

    def audit(self, event: AuditEvent) -> None:
        self._transact([], event)

    def _head(self) -> tuple[int, str]:
        try:
            head = AuditModel.get(AUDIT_HEAD, 0, consistent_read=True)
        except DoesNotExist:
            return 0, GENESIS
        return int(head.last_sequence), head.mac

    def _transact(self, operations: list[tuple[Operation, str | None]], event: AuditEvent) -> None:
        """Runs the operations with the next audit entry, retrying only when another writer
        took that place in the chain first."""
        for _ in range(CHAIN_RETRIES):
            try:
                sequence, previous_mac = self._head()
                entry = seal(event, sequence + 1, previous_mac, self._audit_mac)
                with TransactWrite(connection=self._connection) as transaction:
                    for operation, _ in operations:
                        operation(transaction)
                    self._append(transaction, entry, sequence)
                return
            except TransactWriteError as e:
                reasons = [reason.code if reason else None for reason in (e.cancellation_reasons or [])]
                if "ConditionalCheckFailed" not in reasons:
                    raise Unavailable("the database is unavailable") from e
                for (_, name), reason in zip(operations, reasons):
                    if reason == "ConditionalCheckFailed":
                        if name == "version":
                            raise PreconditionFailed("the record has changed since it was read") from e
                        if name is not None:
                            raise UniqueTaken(name) from e
            except PynamoDBException as e:
                raise Unavailable("the database is unavailable") from e
        raise Unavailable("the audit log is busy; retry")

    def _append(self, transaction: TransactWrite, entry: AuditEntry, previous_sequence: int) -> None:
        event = entry.event
        transaction.save(AuditModel(AUDIT_CHAIN, entry.sequence, at=event.at, institution_id=event.institution_id,
                                    institution_type=event.institution_type, action=event.action,
                                    record_id=event.record_id, previous_mac=entry.previous_mac, mac=entry.mac),
                         condition=AuditModel.chain.does_not_exist())
        head = AuditModel(AUDIT_HEAD, 0, last_sequence=entry.sequence, mac=entry.mac)
        if previous_sequence == 0:
            transaction.save(head, condition=AuditModel.chain.does_not_exist())
        else:
            transaction.save(head, condition=AuditModel.last_sequence == previous_sequence)


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
        try:
            item = AuditModel.get(AUDIT_HEAD, 0, consistent_read=True)
        except DoesNotExist:
            return None
        except PynamoDBException as e:
            raise Unavailable("the database is unavailable") from e
        return int(item.last_sequence), item.mac
