"""Use cases of linkage: link a record as it changes, list reviews, decide one, reconsider
the pending ones, show a person.

Every change to the linkage runs as one unit of work of a serial writer: one linking at a
time, landing whole or not at all (see adapters/journal.py). What follows from a change,
the person id written onto the records that moved and the persons whose statistics must
be counted again, travels in the same journal as the change, so a crash between the two
loses neither.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.audit import AuditEvent
from chalicelib.domain.caller import Caller
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from chalicelib.domain.linkage import (
    DecisionConflict,
    Encoder,
    Linker,
    LinkageStore,
    LinkOutcome,
    PersonChanges,
    ReviewDecision,
    ReviewNotFound,
    Thresholds,
)
from chalicelib.domain.policy import AccessPolicy, type_reader_key
from chalicelib.services.records import Records

LINKAGE_SERVICE = "linkage"
REVIEWS_PAGE_LIMIT = 100


class UnitOfWork(Protocol):
    """Collects the effects to run once the unit's writes have landed."""

    def add_effect(self, effect: Mapping[str, Any]) -> None: ...


StoreOver = Callable[[Any], LinkageStore]
"""Builds a linkage store over a unit of work (or over a read-only view)."""


def person_of_record(record_id: str, person_id: str | None) -> dict[str, Any]:
    return {"kind": "person_of_record", "record_id": record_id, "person_id": person_id}


def recount_persons(person_ids: Iterable[str]) -> dict[str, Any]:
    return {"kind": "recount_persons", "person_ids": sorted(set(person_ids))}


def persons_touched(changes: PersonChanges) -> set[str]:
    return (set(changes.moved.values()) | set(changes.merged) | set(changes.merged.values())
            | set(changes.split) | set(changes.created) | set(changes.removed))


@dataclass
class Linkage:
    policy: AccessPolicy
    records: Records
    exclusive: Callable[[], AbstractContextManager[Any]]
    """A unit of work of the serial writer: yields what `store_over` builds a store on."""
    store_over: StoreOver
    read_only_store: Callable[[], LinkageStore]
    encoder: Callable[[], Encoder] | None
    """Only the linkage function holds the key of the encodings; the API decides reviews without it."""
    audit: Callable[[AuditEvent], None]
    clock: Callable[[], str]
    thresholds: Thresholds = Thresholds()

    def _linker(self, store: LinkageStore) -> Linker:
        return Linker(store, self.encoder() if self.encoder else None, self.thresholds)

    def _record_effects(self, unit: UnitOfWork, changes: PersonChanges,
                        stale: Mapping[str, str | None] | None = None) -> set[str]:
        """Queues the person id of every record that moved, and of every `stale` record whose
        stored person id lags behind the linkage; returns every person touched."""
        moved = {**(stale or {}), **changes.moved}
        for record_id, person_id in sorted(moved.items()):
            unit.add_effect(person_of_record(record_id, person_id))
        return persons_touched(changes) | {person for person in moved.values() if person}

    def link_record(self, record_id: str) -> LinkOutcome:
        """Brings the linkage of one record up to date with what the records table holds now:
        a message may be late, repeated or out of order, and the outcome is the same."""
        with self.exclusive() as unit:
            store = self.store_over(unit)
            linker = self._linker(store)
            earlier_person = store.person_of(record_id)
            found = self.records.read_for_service(LINKAGE_SERVICE, record_id, ("identity", "statistical"))
            if found is None:
                outcome = linker.withdraw(record_id)
                touched = self._record_effects(unit, outcome.changes)
            else:
                record, parts = found
                outcome = linker.link(record_id, parts.get("identity"), parts.get("statistical"))
                stale = {} if record.person_id == outcome.person_id else {record_id: outcome.person_id}
                touched = self._record_effects(unit, outcome.changes, stale)
            touched |= {person for person in (earlier_person, outcome.person_id) if person}
            if touched:
                unit.add_effect(recount_persons(touched))
        return outcome

    def reconsider_reviews(self, has_time: Callable[[], bool]) -> dict[str, int]:
        """Weighs the pending reviews again as the database stands now (Linker.reconsider),
        each in a unit of work of its own, while ``has_time()``. The order is random, so
        that runs cut short by their time limit reach every review over the nights however
        long the queue; a review decided meanwhile is skipped."""
        pending = self.read_only_store().pending_reviews()
        random.SystemRandom().shuffle(pending)
        reconsidered = linked = 0
        for review in pending:
            if not has_time():
                break
            with self.exclusive() as unit:
                try:
                    changes = self._linker(self.store_over(unit)).reconsider(review.review_id)
                except ReviewNotFound:
                    continue
                touched = self._record_effects(unit, changes)
                if touched:
                    unit.add_effect(recount_persons(touched))
            reconsidered += 1
            linked += bool(changes.moved)
        return {"pending": len(pending), "reconsidered": reconsidered, "linked": linked}

    def _require_reviewer(self, caller: Caller) -> None:
        if not self.policy.may_decide_reviews(caller.institution_type):
            raise Forbidden("only reviewers may see and decide reviews")

    def _event(self, caller: Caller, action: str, record_id: str) -> AuditEvent:
        return AuditEvent(at=self.clock(), institution_id=caller.institution_id,
                          institution_type=caller.institution_type, action=action, record_id=record_id)

    def pending_reviews(self, caller: Caller, limit: int = REVIEWS_PAGE_LIMIT) -> dict[str, Any]:
        """Uncertain pairs, oldest first, each with what the scorer saw, both records'
        identity sections (the one thing a reviewer reads, and only here) and the person
        each record belongs to now: a record linked since may have made the two one person,
        which a ``no_match`` splits."""
        self._require_reviewer(caller)
        store = self.read_only_store()
        reviews = store.pending_reviews()
        listed = []
        for review in reviews[:limit]:
            shown = [{**self._identity_for_review(caller, record_id), "person_id": store.person_of(record_id)}
                     for record_id in (review.record_id, review.other_id)]
            listed.append({"review_id": review.review_id, "comparison": dict(review.comparison),
                           "records": shown})
        return {"reviews": listed, "pending": len(reviews)}

    def _identity_for_review(self, caller: Caller, record_id: str) -> dict[str, Any]:
        found = self.records.read_as(type_reader_key(caller.institution_type), record_id, ("identity",))
        if found is None:
            return {"record_id": record_id, "identity": None}
        record, parts = found
        self.audit(self._event(caller, "review_read", record_id))
        return {"record_id": record_id, "institution_type": record.institution_type,
                "identity": parts.get("identity")}

    def decide(self, caller: Caller, review_id: str, body: Any) -> dict[str, Any]:
        self._require_reviewer(caller)
        decision = _decision_of(body)
        with self.exclusive() as unit:
            store = self.store_over(unit)
            try:
                outcome = self._linker(store).decide(review_id, decision)
            except ReviewNotFound as e:
                raise NotFound("no such pending review") from e
            except DecisionConflict as e:
                raise Conflict("a reviewer decided earlier that these records are of different persons") from e
            touched = self._record_effects(unit, outcome.changes)
            persons = {store.person_of(record_id) for record_id in outcome.record_ids} - {None}
            if touched | persons:
                unit.add_effect(recount_persons(touched | persons))
        for record_id in outcome.record_ids:
            self.audit(self._event(caller, "review_decide", record_id))
        return {"review_id": review_id, "decision": decision.value,
                "person_ids": sorted(persons)}

    def person(self, caller: Caller, person_id: str) -> dict[str, Any]:
        """A person's records, each as GET /records shows it to this caller; a merged id
        answers with the person it was merged into."""
        if not self.policy.may_use_record_routes(caller.institution_type):
            raise Forbidden("this institution type may not read records")
        store = self.read_only_store()
        current = store.resolve(person_id)
        shown = []
        for record_id in store.members(current):
            try:
                shown.append(self.records.read(caller, record_id))
            except NotFound:
                continue
        if not shown:
            raise NotFound("no such person")
        return {"person_id": current, "records": shown}


def _decision_of(body: Any) -> ReviewDecision:
    choices = [decision.value for decision in ReviewDecision]
    if not isinstance(body, dict):
        raise InvalidInput([Problem("", "must be an object with a decision")])
    problems = []
    if set(body) - {"decision"}:
        problems.append(Problem("", "has a field that is not allowed here; allowed fields: decision"))
    if body.get("decision") not in choices:
        problems.append(Problem("/decision", "must be one of " + ", ".join(choices)))
    if problems:
        raise InvalidInput(problems)
    return ReviewDecision(body["decision"])


def apply_effects(effects: Sequence[Mapping[str, Any]], set_person_id: Callable[[str, str | None], None],
                  recount: Callable[[list[str]], None]) -> None:
    """Runs a journal's effects; each is idempotent, so a replay repeats them harmlessly."""
    for effect in effects:
        if effect["kind"] == "person_of_record":
            set_person_id(effect["record_id"], effect["person_id"])
        elif effect["kind"] == "recount_persons":
            recount(list(effect["person_ids"]))
        else:
            raise ValueError("unknown linkage effect")
