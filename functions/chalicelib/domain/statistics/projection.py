"""The statistics projection: pre-aggregated counts of persons, kept current by deltas.

Layout. A *cube* is a set of at most ``cube_size`` (default 4) stored dimensions; the
projection keeps one cube for every such set, so any query whose group-by and filter
dimensions together name at most ``cube_size`` stored dimensions reads exactly one cube.
Every cell of a cube is (cube, month of first identification, one value per dimension) and
holds two numbers: the count of persons, and the sum of their record keys (the cell key
method's key, reduced modulo 2**32 when read). Both are sums over persons, so adding or
retracting one person's facts moves every cell they touch by exactly +1/-1 and ±key, and
any history of deltas gives the same cells as a rebuild from the current persons.

A query reads one cube over a month range: its cost is bounded by the number of distinct
cells of that cube in the range (months x values), not by the number of persons.

Why not one cube of all dimensions: its cell of count one would be a person's full
statistical row. A cube of four dimensions can still single out a person in a small
municipality, so the store keeps cell coordinates only in a form a reader of the table
cannot use (see ``CellStore``); the domain hands it clear coordinates and leaves the keyed
hashing and encryption to the adapter.

Month granularity: date ranges in queries are whole months, so the projection never
needs days, and a query can never differ from another by a single day.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations, product

from chalicelib.domain.statistics.dimensions import (
    RECONCILIATION_CONFLICT,
    STORED_DIMENSIONS,
    UNKNOWN,
    DimensionCatalog,
    age_band,
    referred_value,
)
from chalicelib.domain.statistics.reconciliation import PersonFacts

Cube = tuple[str, ...]
"""Stored dimension names in the order of STORED_DIMENSIONS: one cube, one canonical name."""

Month = int
"""Months counted from year 0 (year * 12 + month - 1), so a date range is an integer range."""

CONFLICTS_CUBE: Cube = (RECONCILIATION_CONFLICT,)
"""Counts of persons per conflicting attribute: a cube of its own, queried alone (or by year)."""

DEFAULT_CUBE_SIZE = 4


def month_of(day: date) -> Month:
    return day.year * 12 + day.month - 1


def year_of(month: Month) -> int:
    return month // 12


@dataclass(frozen=True)
class CellIncrement:
    """Add ``persons`` and ``key_sum`` to one cell (negative to retract)."""

    cube: Cube
    month: Month
    coordinates: tuple[str, ...]
    persons: int
    key_sum: int


@dataclass(frozen=True)
class StoredCell:
    month: Month
    coordinates: tuple[str, ...]
    persons: int
    key_sum: int


class CellStore(ABC):
    """Where the cells live: the two I/O methods a backend implements.

    A backend must keep no cell whose count of persons reached zero (a withdrawn person
    leaves no trace), must apply one ``add_to_cells`` call atomically or be safe to retry,
    and should store coordinates only as keyed hashes and ciphertexts. Emptying a store is
    the backend's own business: a DynamoDB table is not emptied in one atomic step.
    """

    @abstractmethod
    def add_to_cells(self, increments: Sequence[CellIncrement]) -> None:
        """Add each increment to its cell, creating missing cells and deleting cells left with no person."""

    @abstractmethod
    def read_cells(self, cube: Cube, first_month: Month | None, last_month: Month | None) -> Iterable[StoredCell]:
        """Every cell of ``cube`` whose month lies in the range; None leaves that end open."""


class InMemoryCellStore(CellStore):
    """Cells in dictionaries: for unit tests, the local benchmark, and offline rebuild checks."""

    def __init__(self) -> None:
        self._cubes: dict[Cube, dict[Month, dict[tuple[str, ...], list[int]]]] = defaultdict(lambda: defaultdict(dict))

    def add_to_cells(self, increments: Sequence[CellIncrement]) -> None:
        for increment in increments:
            months = self._cubes[increment.cube]
            cells = months[increment.month]
            tally = cells.setdefault(increment.coordinates, [0, 0])
            tally[0] += increment.persons
            tally[1] += increment.key_sum
            if tally[0] < 0:
                raise ValueError("a cell would count fewer than zero persons: a retracted fact was never added")
            if tally[0] == 0:
                del cells[increment.coordinates]
                if not cells:
                    del months[increment.month]

    def read_cells(self, cube: Cube, first_month: Month | None, last_month: Month | None) -> Iterator[StoredCell]:
        for month, cells in self._cubes.get(cube, {}).items():
            if (first_month is None or month >= first_month) and (last_month is None or month <= last_month):
                for coordinates, (persons, key_sum) in cells.items():
                    yield StoredCell(month, coordinates, persons, key_sum)

    def snapshot(self) -> dict[tuple[Cube, Month, tuple[str, ...]], tuple[int, int]]:
        """Every cell as a plain mapping, to compare two histories in tests."""
        return {
            (cube, month, coordinates): (persons, key_sum)
            for cube, months in self._cubes.items()
            for month, cells in months.items()
            for coordinates, (persons, key_sum) in cells.items()
        }


@dataclass(frozen=True)
class FactsDelta:
    """Facts to retract (-1) and facts to add (+1), applied as one net change.

    An update of person P is ``FactsDelta(retract=(old,), add=(new,))``; a merge of P and Q
    retracts both and adds the merged facts; a split retracts one and adds two; a withdrawal
    of a person's last record only retracts.
    """

    retract: Sequence[PersonFacts] = field(default=())
    add: Sequence[PersonFacts] = field(default=())


class StatisticsProjection:
    """Counts of persons in every cube of at most ``cube_size`` stored dimensions."""

    def __init__(self, store: CellStore, catalog: DimensionCatalog, cube_size: int = DEFAULT_CUBE_SIZE) -> None:
        if not 1 <= cube_size <= len(STORED_DIMENSIONS):
            raise ValueError("cube_size must be between 1 and the number of stored dimensions")
        self.store = store
        self.catalog = catalog
        self.cube_size = cube_size
        self._cube_positions: tuple[tuple[int, ...], ...] = tuple(
            positions
            for size in range(cube_size + 1)
            for positions in combinations(range(len(STORED_DIMENSIONS)), size)
        )

    @property
    def cubes(self) -> tuple[Cube, ...]:
        return tuple(tuple(STORED_DIMENSIONS[i] for i in positions) for positions in self._cube_positions)

    def cube_for(self, dimensions: Iterable[str]) -> Cube:
        """The canonical cube holding these stored dimensions; ValueError when there are more than cube_size."""
        wanted = set(dimensions)
        if wanted == set(CONFLICTS_CUBE):
            return CONFLICTS_CUBE
        cube = tuple(name for name in STORED_DIMENSIONS if name in wanted)
        if len(cube) != len(wanted) or len(cube) > self.cube_size:
            raise ValueError("no cube holds these dimensions")
        return cube

    def apply(self, delta: FactsDelta) -> None:
        increments = self.increments(delta)
        if increments:
            self.store.add_to_cells(increments)

    def rebuild(self, persons: Iterable[PersonFacts]) -> None:
        """Count the current persons into an empty store; a store that holds cells is refused.

        Every person has a cell in the cube of no dimension, so that cube tells an empty store.
        """
        if any(True for _ in self.store.read_cells((), None, None)):
            raise ValueError("a rebuild counts into an empty store")
        self.apply(FactsDelta(add=tuple(persons)))

    def increments(self, delta: FactsDelta, only: Collection[Cube] | None = None) -> list[CellIncrement]:
        """The net change of every cell the delta touches; cells whose changes cancel are left out.

        ``only`` keeps the cells of those cubes (a benchmark loads just the cubes it queries).
        """
        net: dict[tuple[int, Month, tuple[str, ...]], list[int]] = defaultdict(lambda: [0, 0])
        cubes = self.cubes + (CONFLICTS_CUBE,)
        wanted = frozenset(range(len(cubes)) if only is None else (cubes.index(cube) for cube in only))
        for sign, persons in ((-1, delta.retract), (1, delta.add)):
            for facts in persons:
                self._accumulate(net, facts, sign, wanted)
        return [
            CellIncrement(cubes[cube], month, coordinates, persons, key_sum)
            for (cube, month, coordinates), (persons, key_sum) in net.items()
            if persons or key_sum
        ]

    def read(self, cube: Cube, first_month: Month | None, last_month: Month | None) -> Iterable[StoredCell]:
        return self.store.read_cells(cube, first_month, last_month)

    def _accumulate(
        self,
        net: dict[tuple[int, Month, tuple[str, ...]], list[int]],
        facts: PersonFacts,
        sign: int,
        wanted: frozenset[int],
    ) -> None:
        month = month_of(facts.first_identification)
        values = stored_values(facts)
        key = sign * facts.record_key
        for cube_index, positions in enumerate(self._cube_positions):
            if cube_index not in wanted:
                continue
            for coordinates in product(*(values[i] for i in positions)):
                tally = net[(cube_index, month, coordinates)]
                tally[0] += sign
                tally[1] += key
        conflicts_index = len(self._cube_positions)
        if conflicts_index not in wanted:
            return
        for attribute in facts.conflicts:
            tally = net[(conflicts_index, month, (attribute,))]
            tally[0] += sign
            tally[1] += key


def stored_values(facts: PersonFacts) -> tuple[tuple[str, ...], ...]:
    """The person's values in each stored dimension (several for a multi-valued one), in STORED_DIMENSIONS order."""
    by_dimension = {
        "sex": (facts.sex,),
        "age_band": (age_band(facts.age_at_identification),),
        "citizenship": tuple(sorted(facts.citizenship)) or (UNKNOWN,),
        "forms_of_exploitation": tuple(sorted(facts.forms_of_exploitation)) or (UNKNOWN,),
        "trafficking_scope": (facts.trafficking_scope,),
        "status": (facts.status,),
        "institution_type": (facts.institution_type,),
        "municipality": (facts.municipality,),
        "referred_to_assistance": (referred_value(facts.referred_to_assistance),),
    }
    return tuple(by_dimension[name] for name in STORED_DIMENSIONS)
