"""Use cases of identification records: submit, read, update, withdraw.

Each record is kept as encrypted parts: one per section, plus `meta` (status and consent,
readable by every reader of any section) and `reference` (the source reference, for the
submitter alone). Who may read a part is decided by the access policy when it is
encrypted; a read decrypts with the caller's own key only, so the policy is enforced by
the keys as well as by the code.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from chalicelib.domain.audit import AuditEvent
from chalicelib.domain.caller import Caller
from chalicelib.domain.clock import utc_now
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from chalicelib.domain.policy import AccessPolicy, institution_reader_key, service_reader_key, type_reader_key
from chalicelib.domain.record import SECTION_NAMES, RecordParts, RecordSchema, assemble_record, split_record
from chalicelib.domain.sections import SectionCipher, SectionUnreadable

META = "meta"
REFERENCE = "reference"


@dataclass(frozen=True)
class StoredRecord:
    record_id: str
    institution_id: str
    institution_type: str
    version: int
    created_at: str
    updated_at: str
    parts: Mapping[str, bytes]
    uniques: frozenset[str]
    person_id: str | None = None


@dataclass(frozen=True)
class IdempotentRequest:
    constraint: str
    request_hash: str


@dataclass(frozen=True)
class IdempotentAnswer:
    request_hash: str
    answer: Mapping[str, Any]


class RecordStore(Protocol):
    def get(self, record_id: str) -> StoredRecord | None: ...

    def idempotent_answer(self, constraint: str) -> IdempotentAnswer | None: ...

    def create(self, record: StoredRecord, idempotency: tuple[IdempotentRequest, Mapping[str, Any]] | None,
               event: AuditEvent) -> None:
        """Raises UniqueTaken naming the constraints taken among the uniques and the idempotency key."""

    def replace(self, record: StoredRecord, expected_version: int, event: AuditEvent) -> None:
        """Raises PreconditionFailed when the stored version is not `expected_version`."""

    def delete(self, record: StoredRecord, event: AuditEvent) -> None:
        """Raises PreconditionFailed when the record changed since it was read."""

    def versions(self) -> Iterator[tuple[str, int]]: ...

    def audit(self, event: AuditEvent) -> None: ...


class UniqueTaken(Exception):
    """Unique constraints (source reference, idempotency key) already held."""

    def __init__(self, constraints: frozenset[str]) -> None:
        super().__init__("a unique constraint is taken")
        self.constraints = constraints


KeyedHash = Callable[..., str]
"""keyed_hash(purpose, *values) -> a hex digest under a secret key; never reversible."""


@dataclass
class Records:
    policy: AccessPolicy
    schema: RecordSchema
    cipher: SectionCipher
    store: RecordStore
    keyed_hash: KeyedHash
    clock: Callable[[], str] = field(default=utc_now)
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))

    def _require_record_routes(self, caller: Caller) -> None:
        if not self.policy.may_use_record_routes(caller.institution_type):
            raise Forbidden("this institution type may not use record routes")

    def _event(self, caller: Caller, action: str, record_id: str) -> AuditEvent:
        return AuditEvent(at=self.clock(), institution_id=caller.institution_id,
                          institution_type=caller.institution_type, action=action, record_id=record_id)

    def _context(self, record_id: str, part: str, submitter: str) -> dict[str, str]:
        return {"record_id": record_id, "section": part, "submitter": submitter}

    def _readers(self, parts: RecordParts, part: str, submitter: str) -> frozenset[str]:
        if part == REFERENCE:
            return frozenset({institution_reader_key(submitter)})
        if part == META:
            return frozenset().union(*(self.policy.recipients(section, parts.consent, submitter)
                                       for section in parts.sections))
        return self.policy.recipients(part, parts.consent, submitter)

    @staticmethod
    def _plaintexts(parts: RecordParts) -> dict[str, bytes]:
        values: dict[str, Any] = {REFERENCE: parts.source_reference,
                                  META: {"status": parts.status, "consent": dict(parts.consent)},
                                  **parts.sections}
        return {name: json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
                for name, value in values.items()}

    def _encrypt(self, record_id: str, submitter: str, parts: RecordParts,
                 unchanged: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
        return {name: (unchanged or {}).get(name) or self.cipher.encrypt(
                    plaintext, self._readers(parts, name, submitter), self._context(record_id, name, submitter))
                for name, plaintext in self._plaintexts(parts).items()}

    def _source_constraint(self, institution_id: str, source_reference: str) -> str:
        return "source:" + self.keyed_hash("source_reference", institution_id, source_reference)

    def submit(self, caller: Caller, document: Any, idempotency_key: str | None) -> Mapping[str, Any]:
        """Stores a new record. A retry with the same idempotency key finds its key taken when
        the record is stored, and gets the first answer then: a first attempt, the usual
        case, reads nothing before it writes."""
        self._require_record_routes(caller)
        self.schema.validate(document)
        request = None
        if idempotency_key is not None:
            request = IdempotentRequest(
                "idempotency:" + self.keyed_hash("idempotency_key", caller.institution_id, idempotency_key),
                self.keyed_hash("request", json.dumps(document, sort_keys=True, ensure_ascii=False)))
        parts = split_record(document)
        record_id = self.new_id()
        now = self.clock()
        record = StoredRecord(
            record_id=record_id, institution_id=caller.institution_id, institution_type=caller.institution_type,
            version=1, created_at=now, updated_at=now,
            parts=self._encrypt(record_id, caller.institution_id, parts),
            uniques=frozenset({self._source_constraint(caller.institution_id, parts.source_reference)}))
        answer = {"record_id": record_id, "version": 1, "person_id": None}
        try:
            self.store.create(record, (request, answer) if request else None,
                              self._event(caller, "submit", record_id))
        except UniqueTaken as e:
            if request is not None and request.constraint in e.constraints:
                earlier = self._earlier_answer(request)
                if earlier is not None:
                    return earlier
            raise Conflict("a record with this source reference already exists for this institution") from e
        return answer

    def _earlier_answer(self, request: IdempotentRequest) -> Mapping[str, Any] | None:
        earlier = self.store.idempotent_answer(request.constraint)
        if earlier is None:
            return None
        if earlier.request_hash != request.request_hash:
            raise Conflict("this idempotency key was used with another request body")
        return earlier.answer

    def _reader_key(self, caller: Caller, record: StoredRecord) -> str:
        if caller.institution_id == record.institution_id:
            return institution_reader_key(caller.institution_id)
        return type_reader_key(caller.institution_type)

    def _decrypt(self, record: StoredRecord, part: str, reader: str) -> Any:
        plaintext = self.cipher.decrypt(record.parts[part], reader,
                                        self._context(record.record_id, part, record.institution_id))
        return json.loads(plaintext)

    def _visible_record(self, caller: Caller, record_id: str) -> tuple[StoredRecord, dict[str, Any]]:
        """The record and its meta part, or NotFound when the caller may see nothing of it."""
        record = self.store.get(record_id)
        if record is None:
            raise NotFound("no such record")
        try:
            meta = self._decrypt(record, META, self._reader_key(caller, record))
        except SectionUnreadable as e:
            raise NotFound("no such record") from e
        return record, meta

    def _submitted_record(self, caller: Caller, record_id: str) -> tuple[StoredRecord, dict[str, Any]]:
        """The caller's own record and its meta part, decrypted once for both the check and the change."""
        record, meta = self._visible_record(caller, record_id)
        if record.institution_id != caller.institution_id:
            raise Forbidden("only the submitting institution may change a record")
        return record, meta

    def read(self, caller: Caller, record_id: str) -> dict[str, Any]:
        self._require_record_routes(caller)
        record, meta = self._visible_record(caller, record_id)
        is_submitter = record.institution_id == caller.institution_id
        readable = self.policy.readable_sections(caller.institution_type, is_submitter=is_submitter,
                                                 consent=meta["consent"], in_review=False)
        reader = self._reader_key(caller, record)
        answer: dict[str, Any] = {
            "record_id": record.record_id, "institution": record.institution_id, "version": record.version,
            "created_at": record.created_at, "updated_at": record.updated_at, "person_id": record.person_id,
            "status": meta["status"], "consent": meta["consent"],
        }
        if is_submitter:
            answer["source_reference"] = self._decrypt(record, REFERENCE, reader)
        withheld = []
        for section in SECTION_NAMES:
            if section not in record.parts:
                continue
            try:
                if section not in readable:
                    raise SectionUnreadable("not readable under the policy")
                answer[section] = self._decrypt(record, section, reader)
            except SectionUnreadable:
                withheld.append(section)
        answer["withheld"] = withheld
        self.store.audit(self._event(caller, "read", record.record_id))
        return answer

    def update(self, caller: Caller, record_id: str, patch: Any, if_match: int) -> Mapping[str, Any]:
        self._require_record_routes(caller)
        record, meta = self._submitted_record(caller, record_id)
        if record.version != if_match:
            raise PreconditionFailed("the record has changed since this version was read")
        reader = institution_reader_key(caller.institution_id)
        current = assemble_record(RecordParts(
            source_reference=self._decrypt(record, REFERENCE, reader),
            status=meta["status"], consent=meta["consent"],
            sections={section: self._decrypt(record, section, reader)
                      for section in SECTION_NAMES if section in record.parts}))
        patched = self.schema.apply_patch(current, patch)
        old_parts, new_parts = split_record(current), split_record(patched)
        old_plain, new_plain = self._plaintexts(old_parts), self._plaintexts(new_parts)
        unchanged = {name: record.parts[name] for name in new_plain
                     if old_plain.get(name) == new_plain[name]
                     and self._readers(old_parts, name, record.institution_id)
                     == self._readers(new_parts, name, record.institution_id)}
        updated = replace(record, version=record.version + 1, updated_at=self.clock(),
                          parts=self._encrypt(record.record_id, record.institution_id, new_parts, unchanged))
        self.store.replace(updated, if_match, self._event(caller, "update", record.record_id))
        return {"record_id": record.record_id, "version": updated.version}

    def withdraw(self, caller: Caller, record_id: str) -> None:
        self._require_record_routes(caller)
        record, _ = self._submitted_record(caller, record_id)
        self.store.delete(record, self._event(caller, "withdraw", record.record_id))

    def versions(self) -> Iterator[tuple[str, int]]:
        """Every record's id and version, none of its content: to link them all again
        (services/linkage_queue.py)."""
        return self.store.versions()

    def read_for_service(self, service: str, record_id: str,
                         parts: Iterable[str]) -> tuple[StoredRecord, dict[str, Any]] | None:
        """What an internal function (linkage, statistics) reads of a record. Not audited:
        no person reads it, and nothing of it leaves the function."""
        return self.read_as(service_reader_key(service), record_id, parts)

    def read_as(self, reader: str, record_id: str,
                parts: Iterable[str]) -> tuple[StoredRecord, dict[str, Any]] | None:
        """Those of the named parts that were encrypted to one reader key, by part name;
        None when the record is gone. The key decides: a part not encrypted to it is left out."""
        record = self.store.get(record_id)
        if record is None:
            return None
        readable = {}
        for part in parts:
            if part not in record.parts:
                continue
            try:
                readable[part] = self._decrypt(record, part, reader)
            except SectionUnreadable:
                continue
        return record, readable
