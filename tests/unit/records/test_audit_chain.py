"""What `ivdb audit verify` finds in the audit chain: edited, removed and reordered entries,
a tail cut off with a record change in it, and a missing head."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

from chalicelib.domain.audit import GENESIS, AuditEntry, AuditEvent, chain_problems, seal

KEY = b"audit key of the test"


def mac(message: bytes) -> str:
    return hmac.new(KEY, message, hashlib.sha256).hexdigest()


def chain(*actions: str) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for sequence, action in enumerate(actions, start=1):
        event = AuditEvent(at=f"2025-06-15T10:00:{sequence:02d}.000+00:00", institution_id="kp-dthb",
                           institution_type="police", action=action, record_id=f"record-{sequence}")
        entries.append(seal(event, sequence, entries[-1].mac if entries else GENESIS, mac))
    return entries


def head_of(entry: AuditEntry) -> tuple[int, str]:
    return entry.sequence, entry.mac


def test_an_intact_chain_has_no_problems():
    entries = chain("submit", "read", "update", "read", "read")

    assert chain_problems(entries, head_of(entries[2]), mac) == []


def test_an_empty_chain_without_a_head_is_intact():
    assert chain_problems([], None, mac) == []


def test_an_edited_entry_is_named():
    entries = chain("submit", "read", "read")
    entries[1] = replace(entries[1], event=replace(entries[1].event, institution_id="dpo"))

    assert chain_problems(entries, head_of(entries[0]), mac) == ["entry 2: content does not match its MAC (edited)"]


def test_a_removed_entry_breaks_the_links():
    entries = chain("submit", "read", "read", "withdraw")
    del entries[1]

    problems = chain_problems(entries, head_of(entries[-1]), mac)

    assert "entry 3: expected sequence 2 (entries missing or reordered)" in problems
    assert "entry 3: does not follow the entry before it" in problems


def test_reordered_entries_break_the_links():
    entries = chain("submit", "read", "read")
    entries[1], entries[2] = entries[2], entries[1]

    assert any("missing or reordered" in problem for problem in chain_problems(entries, head_of(entries[0]), mac))


def test_a_tail_cut_off_with_a_record_change_in_it_is_truncation():
    entries = chain("submit", "read", "update", "read")
    head = head_of(entries[2])

    assert chain_problems(entries[:2], head, mac) == [
        "the chain head names entry 3 but the chain ends at entry 2 (truncated)"]


def test_a_head_that_does_not_match_its_entry_is_edited():
    entries = chain("submit", "update")

    assert chain_problems(entries, (2, entries[0].mac), mac) == ["the chain head does not match entry 2 (edited)"]


def test_a_missing_head_is_a_problem_once_a_record_changed():
    assert chain_problems(chain("submit", "read"), None, mac) == ["the chain head is missing"]
    assert chain_problems(chain("read", "query_statistics"), None, mac) == []


def test_reads_after_the_newest_record_change_are_covered_by_the_links_alone():
    # Reads do not move the head, so cutting off only reads that follow the newest record
    # change leaves an intact-looking chain: the head protects record changes.
    entries = chain("submit", "read", "read")

    assert chain_problems(entries[:1], head_of(entries[0]), mac) == []
