"""Statistics of persons: keeping the projection current, rebuilding it, answering queries.

**Exactly once by state, not by deltas.** A message only names persons whose records
changed. Refreshing a person reads their current records (through the person directory of
the linkage), reconciles them into ``PersonFacts`` (or none, when the person was merged
away or their last record withdrawn), compares them with the facts last counted for that
person and moves the cells by the difference, in one unit of work with the new counted
facts. A repeated, late or reordered message recomputes the same state and changes
nothing; the reads happen while the unit holds the writer's lease, so of two refreshes of
one person the later one always counts the later state.

**A person too big for one unit.** A person with many citizenships and forms of
exploitation touches thousands of cells, more than one journal item holds. The change is
then applied ``CELLS_PER_UNIT`` cells at a time, each chunk its own unit, and the counted
facts say which chunks are in (``changing``); the next refresh of that person (the message
is redelivered after a crash) finishes that change before it starts another. Between
chunks, cubes may disagree by that one person for a moment, as they may between the two
reads of any query.

**Rebuild** (``ivdb stats rebuild``) marks the projection as rebuilding, empties it, counts
every current person again and unmarks it. While the mark is there, queries answer 503 and
a refresh only notes its person as waiting; the rebuild refreshes the waiting persons
before it removes the mark, so no change made during a rebuild is lost. It runs in many
units; one that crashes leaves the mark in place (queries keep answering 503, refreshes
keep waiting) and is simply run again. A second rebuild takes over from a first one, which
stops at its next unit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.domain.audit import AuditEvent
from chalicelib.domain.caller import Caller
from chalicelib.domain.clock import utc_now
from chalicelib.domain.errors import Forbidden, InvalidInput, Problem, Unavailable
from chalicelib.domain.policy import AccessPolicy
from chalicelib.domain.statistics import (
    CellStore,
    DimensionCatalog,
    FactsDelta,
    PersonFacts,
    RecordContribution,
    StatisticsAnswer,
    StatisticsProjection,
    query,
    query_problems,
    reconcile,
)
from chalicelib.domain.statistics.projection import DEFAULT_CUBE_SIZE

logger = logging.getLogger(__name__)

SERVICE = "statistics"
"""The service reader key the statistical and meta parts are encrypted to (access policy)."""

CELLS_PER_UNIT = 500
"""Cells one unit of work changes at most: with their item keys and ciphertexts, well inside a journal."""

WAITING_PER_UNIT = 100

FORMATS = ("json", "csv")
PARAMETERS = ("group_by", "from", "to", "format")
"""Query parameters with a meaning of their own; any other names a dimension to filter by."""


class PersonDirectory(Protocol):
    """The persons of the linkage and their records."""

    def members(self, person_id: str) -> list[str]:
        """The ids of the person's records; empty when the person no longer exists."""

    def persons(self) -> Iterable[str]:
        """Every current person id."""


class RecordReader(Protocol):
    def read_for_service(self, service: str, record_id: str,
                         parts: Iterable[str]) -> tuple[Any, dict[str, Any]] | None:
        """Those of the named parts encrypted to the service's key; None when the record is gone."""


class ProjectionUnit(Protocol):
    cells: CellStore

    def counted(self, person_id: str) -> Mapping[str, Any] | None: ...

    def set_counted(self, person_id: str, counted: Mapping[str, Any] | None) -> None: ...

    def rebuild_owner(self) -> str | None: ...

    def set_rebuild_owner(self, owner: str | None) -> None: ...

    def wait_for_rebuild(self, person_id: str) -> None: ...

    def take_waiting(self, limit: int) -> list[str]: ...


class ProjectionStore(Protocol):
    def unit(self) -> AbstractContextManager[ProjectionUnit]: ...

    def cells(self) -> CellStore: ...

    def rebuilding(self) -> bool: ...

    def clear(self, check_owner: Callable[[ProjectionUnit], None]) -> None: ...


class RebuildTakenOver(Exception):
    """Another rebuild started after this one; this one stops and leaves the work to it."""


@dataclass(frozen=True)
class Counted:
    """What the cells count for one person, and a change to other facts still under way."""

    facts: PersonFacts | None
    changing: bool = False
    target: PersonFacts | None = None
    applied_chunks: int = 0

    def to_json(self) -> dict[str, Any] | None:
        if not self.changing:
            return None if self.facts is None else {"facts": _facts_to_json(self.facts)}
        return {"facts": _facts_to_json(self.facts), "target": _facts_to_json(self.target),
                "applied_chunks": self.applied_chunks}

    @classmethod
    def from_json(cls, document: Mapping[str, Any] | None) -> Counted:
        if document is None:
            return cls(facts=None)
        facts = _facts_from_json(document["facts"])
        if "target" not in document:
            return cls(facts=facts)
        return cls(facts=facts, changing=True, target=_facts_from_json(document["target"]),
                   applied_chunks=int(document["applied_chunks"]))


@dataclass(frozen=True)
class StatisticsRequest:
    group_by: tuple[str, ...]
    filters: Mapping[str, Sequence[str]]
    date_from: str | None
    date_to: str | None


@dataclass
class Statistics:
    policy: AccessPolicy
    catalog: DimensionCatalog
    store: ProjectionStore
    records: RecordReader
    directory: PersonDirectory
    record_key: Callable[[str], int]
    """The person's key of the cell key method (see ``record_key_for``)."""
    audit: Callable[[AuditEvent], None]
    threshold: int
    cube_size: int = DEFAULT_CUBE_SIZE
    clock: Callable[[], str] = field(default=utc_now)
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))

    def _projection(self, cells: CellStore) -> StatisticsProjection:
        return StatisticsProjection(cells, self.catalog, self.cube_size)

    # keeping the projection current

    def refresh(self, person_ids: Iterable[str]) -> None:
        """Count each person as their records are now."""
        for person_id in dict.fromkeys(person_ids):
            self._settle(person_id, rebuild_owner=None)

    def current_facts(self, person_id: str) -> PersonFacts | None:
        """The person's facts reconciled from the records they have now; None when they have none."""
        contributions = []
        for record_id in self.directory.members(person_id):
            found = self.records.read_for_service(SERVICE, record_id, ("statistical", "meta"))
            if found is None:
                continue
            record, parts = found
            if "statistical" not in parts or "meta" not in parts:
                logger.warning("record %s is not readable by the statistics service; left out", record_id)
                continue
            contributions.append(RecordContribution(
                statistical=parts["statistical"], institution_type=record.institution_type,
                status=parts["meta"]["status"], created_at=datetime.fromisoformat(record.created_at)))
        if not contributions:
            return None
        return reconcile(contributions, self.record_key(person_id))

    def _settle(self, person_id: str, rebuild_owner: str | None) -> bool:
        """Bring the cells to the person's current facts, one unit per chunk; True when they count the person.

        Outside a rebuild (``rebuild_owner`` None) a running rebuild makes the person wait for it.
        """
        while True:
            with self.store.unit() as unit:
                owner = unit.rebuild_owner()
                if rebuild_owner is None and owner is not None:
                    unit.wait_for_rebuild(person_id)
                    return False
                if owner != rebuild_owner:
                    raise RebuildTakenOver("another rebuild took over")
                counted = Counted.from_json(unit.counted(person_id))
                if counted.changing:
                    before, after, chunk = counted.facts, counted.target, counted.applied_chunks
                else:
                    current = self.current_facts(person_id)
                    if current == counted.facts:
                        return current is not None
                    before, after, chunk = counted.facts, current, 0
                projection = self._projection(unit.cells)
                increments = sorted(
                    projection.increments(FactsDelta(retract=_present(before), add=_present(after))),
                    key=lambda increment: (increment.cube, increment.month, increment.coordinates))
                projection.store.add_to_cells(increments[chunk * CELLS_PER_UNIT:(chunk + 1) * CELLS_PER_UNIT])
                finished = (chunk + 1) * CELLS_PER_UNIT >= len(increments)
                if finished:
                    unit.set_counted(person_id, Counted(facts=after).to_json())
                else:
                    unit.set_counted(person_id, Counted(facts=before, changing=True, target=after,
                                                        applied_chunks=chunk + 1).to_json())
            if finished and not counted.changing:
                return after is not None

    # rebuilding

    def rebuild(self) -> int:
        """Recount every current person from their records; the number of persons counted."""
        owner = self.new_id()
        with self.store.unit() as unit:
            unit.set_rebuild_owner(owner)

        def check_owner(unit: ProjectionUnit) -> None:
            if unit.rebuild_owner() != owner:
                raise RebuildTakenOver("another rebuild took over")

        self.store.clear(check_owner)
        counted = sum(1 for person_id in self.directory.persons() if self._settle(person_id, rebuild_owner=owner))
        while True:
            with self.store.unit() as unit:
                check_owner(unit)
                waiting = unit.take_waiting(WAITING_PER_UNIT)
                if not waiting:
                    unit.set_rebuild_owner(None)
            if not waiting:
                return counted
            for person_id in waiting:
                self._settle(person_id, rebuild_owner=owner)

    # answering

    def query(self, caller: Caller, parameters: Mapping[str, Sequence[str]]) -> StatisticsAnswer:
        """Counts of persons for the coordinator; every call that may read them is audited first."""
        if not self.policy.may_query_statistics(caller.institution_type):
            raise Forbidden("only the national coordinator queries statistics")
        projection = self._projection(self.store.cells())
        request = self._parsed(projection, parameters)
        self.audit(AuditEvent(at=self.clock(), institution_id=caller.institution_id,
                              institution_type=caller.institution_type, action="query_statistics", record_id=""))
        if self.store.rebuilding():
            raise Unavailable("the statistics are being recomputed; retry later")
        return query(projection, request.group_by, request.filters, request.date_from, request.date_to,
                     threshold=self.threshold)

    def _parsed(self, projection: StatisticsProjection, parameters: Mapping[str, Sequence[str]]) -> StatisticsRequest:
        problems: list[Problem] = []

        def single(name: str) -> str | None:
            values = parameters.get(name) or []
            if len(values) > 1:
                problems.append(Problem(f"/{name}", "given more than once"))
            return values[-1] if values else None

        group_by = tuple(_listed(parameters.get("group_by") or []))
        date_from, date_to = single("from"), single("to")
        output = single("format") or "json"
        if output not in FORMATS:
            problems.append(Problem("/format", "must be " + " or ".join(FORMATS)))
        filters = {name: _listed(values) for name, values in parameters.items() if name not in PARAMETERS}
        problems.extend(query_problems(projection, group_by, filters, date_from, date_to))
        if problems:
            raise InvalidInput(problems)
        return StatisticsRequest(group_by, filters, date_from, date_to)


def output_format(parameters: Mapping[str, Sequence[str]]) -> str:
    """``json`` or ``csv``, as asked by ``?format=`` (checked by ``Statistics.query``)."""
    values = parameters.get("format") or ["json"]
    return values[-1]


def _listed(values: Sequence[str]) -> list[str]:
    """``a,b`` and repeated parameters alike give a list of values."""
    return [value.strip() for text in values for value in text.split(",") if value.strip()]


def _present(facts: PersonFacts | None) -> tuple[PersonFacts, ...]:
    return () if facts is None else (facts,)


def _facts_to_json(facts: PersonFacts | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    return {
        "first_identification": facts.first_identification.isoformat(),
        "sex": facts.sex,
        "age_at_identification": facts.age_at_identification,
        "citizenship": sorted(facts.citizenship),
        "forms_of_exploitation": sorted(facts.forms_of_exploitation),
        "trafficking_scope": facts.trafficking_scope,
        "status": facts.status,
        "institution_type": facts.institution_type,
        "municipality": facts.municipality,
        "referred_to_assistance": facts.referred_to_assistance,
        "record_key": facts.record_key,
        "conflicts": sorted(facts.conflicts),
    }


def _facts_from_json(document: Mapping[str, Any] | None) -> PersonFacts | None:
    if document is None:
        return None
    return PersonFacts(
        first_identification=date.fromisoformat(document["first_identification"]),
        sex=document["sex"],
        age_at_identification=document["age_at_identification"],
        citizenship=frozenset(document["citizenship"]),
        forms_of_exploitation=frozenset(document["forms_of_exploitation"]),
        trafficking_scope=document["trafficking_scope"],
        status=document["status"],
        institution_type=document["institution_type"],
        municipality=document["municipality"],
        referred_to_assistance=document["referred_to_assistance"],
        record_key=document["record_key"],
        conflicts=frozenset(document["conflicts"]),
    )
