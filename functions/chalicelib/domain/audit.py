"""The audit log: who read or changed which record, when, from which institution.

Entries form a chain: each carries a MAC (under a key only the API and the verifier can
use) over its own content and the MAC of the entry before it. Editing an entry breaks its
MAC, deleting or reordering one breaks the links. A head item, written with every record
change, names the newest record change's sequence and MAC: a tail cut off is revealed when
it holds a record change. Entries after the newest record change (reads) are covered by
the links only, so a cut that removes nothing but such trailing entries goes unnoticed.
Entries name records by id only, never by a submitted value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

Mac = Callable[[bytes], str]

GENESIS = "genesis"

RECORD_CHANGES = frozenset({"submit", "update", "withdraw"})
"""The actions written in one transaction with the record they change, and with the head."""


@dataclass(frozen=True)
class AuditEvent:
    at: str
    institution_id: str
    institution_type: str
    action: str
    record_id: str


@dataclass(frozen=True)
class AuditEntry:
    sequence: int
    event: AuditEvent
    previous_mac: str
    mac: str

    def as_dict(self) -> dict[str, object]:
        return {"sequence": self.sequence, **asdict(self.event)}


def _signed_bytes(sequence: int, event: AuditEvent, previous_mac: str) -> bytes:
    return json.dumps([sequence, asdict(event), previous_mac], sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False).encode()


def seal(event: AuditEvent, sequence: int, previous_mac: str, mac: Mac) -> AuditEntry:
    """The entry that follows `previous_mac` in the chain."""
    return AuditEntry(sequence, event, previous_mac, mac(_signed_bytes(sequence, event, previous_mac)))


def chain_problems(entries: Iterable[AuditEntry], head: tuple[int, str] | None, mac: Mac) -> list[str]:
    """Every break in the chain; empty when it is intact. `head` is (sequence, MAC) of an
    entry the chain must hold: the newest record change as the head item names it, read
    before the entries so that a change appended meanwhile is not mistaken for a break."""
    problems: list[str] = []
    expected_sequence, expected_previous = 1, GENESIS
    any_change, head_found = False, False
    for entry in entries:
        if entry.sequence != expected_sequence:
            problems.append(f"entry {entry.sequence}: expected sequence {expected_sequence} (entries missing or reordered)")
        if entry.previous_mac != expected_previous:
            problems.append(f"entry {entry.sequence}: does not follow the entry before it")
        if entry.mac != mac(_signed_bytes(entry.sequence, entry.event, entry.previous_mac)):
            problems.append(f"entry {entry.sequence}: content does not match its MAC (edited)")
        any_change = any_change or entry.event.action in RECORD_CHANGES
        if head is not None and entry.sequence == head[0]:
            head_found = True
            if entry.mac != head[1]:
                problems.append(f"the chain head does not match entry {head[0]} (edited)")
        expected_sequence, expected_previous = entry.sequence + 1, entry.mac
    if head is None and any_change:
        problems.append("the chain head is missing")
    elif head is not None and not head_found:
        problems.append(f"the chain head names entry {head[0]} but the chain ends at entry {expected_sequence - 1} "
                        f"(truncated)")
    return problems
