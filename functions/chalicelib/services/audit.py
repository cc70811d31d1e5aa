"""Reading and verifying the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from chalicelib.domain.audit import AuditEntry, Mac, chain_problems
from chalicelib.domain.caller import Caller
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.policy import AccessPolicy

PAGE_LIMIT = 500


class AuditLog(Protocol):
    def entries(self, after: int = 0, limit: int | None = None) -> Iterator[AuditEntry]: ...

    def head(self) -> tuple[int, str] | None: ...

    def newest_change(self) -> tuple[int, str] | None: ...


def read_audit(policy: AccessPolicy, log: AuditLog, caller: Caller, *, after: int, limit: int,
               record_id: str | None) -> dict[str, object]:
    """One page of entries after sequence `after`; `next` continues from the last one."""
    if not policy.may_read_audit(caller.institution_type):
        raise Forbidden("only the auditor reads the audit log")
    page: list[AuditEntry] = []
    last_seen = after
    for entry in log.entries(after, limit=PAGE_LIMIT):
        last_seen = entry.sequence
        if record_id is None or entry.event.record_id == record_id:
            page.append(entry)
        if len(page) == limit:
            break
    return {"entries": [entry.as_dict() for entry in page], "next": last_seen if last_seen > after else None}


def verify(log: AuditLog, mac: Mac) -> list[str]:
    newest_change = log.newest_change()
    return chain_problems(log.entries(0), newest_change, mac)
