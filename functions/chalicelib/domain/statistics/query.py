"""Answering a statistics query from the projection, with disclosure control applied.

A query groups by at most three dimensions and filters on any; its group-by and filter
dimensions together may name at most ``cube_size`` stored dimensions (``year`` is free: it
comes from the month). Date ranges are whole months: ``from`` is the first day of a month
(or ``YYYY-MM``), ``to`` the last day of one (or ``YYYY-MM``); a partial month is refused
rather than silently widened, because the projection knows months, not days.

A filter on a multi-valued dimension (citizenship, forms of exploitation) takes one value
and keeps the persons having it; several values of a single-valued dimension keep the
persons having any of them. Combinations with no person are left out of ``cells``.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chalicelib.domain.errors import InvalidInput, Problem
from chalicelib.domain.statistics.dimensions import (
    AGE_GROUP_VALUES,
    FIRST_YEAR,
    LAST_YEAR,
    RECONCILIATION_CONFLICT,
    DimensionCatalog,
    age_group_of_band,
    normalise_free_text,
)
from chalicelib.domain.statistics.disclosure import (
    DEFAULT_PERTURBATION,
    DEFAULT_THRESHOLD,
    PerturbationTable,
    protect_table,
    publish_count,
)
from chalicelib.domain.statistics.projection import Month, StatisticsProjection, StoredCell, month_of, year_of

MAX_GROUP_BY = 3

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEAR = re.compile(r"^\d{4}$")
_DERIVED_FROM: Mapping[str, str | None] = {"age_group": "age_band", "year": None}
"""Query dimensions answered from another stored dimension (or, for None, from the month)."""

FilterValues = Mapping[str, Sequence[str | int]]


@dataclass(frozen=True)
class AnswerCell:
    values: tuple[tuple[str, str | int], ...]
    count: int | None

    def to_json(self) -> dict[str, Any]:
        shaped: dict[str, Any] = dict(self.values)
        shaped["count"] = self.count
        if self.count is None:
            shaped["suppressed"] = True
        return shaped


@dataclass(frozen=True)
class StatisticsAnswer:
    """Counts of persons; ``multi_valued`` names the group-by dimensions where a person counts once per value."""

    group_by: tuple[str, ...]
    total: int | None
    threshold: int
    cells: tuple[AnswerCell, ...]
    multi_valued: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "threshold": self.threshold,
            "cells": [cell.to_json() for cell in self.cells],
            "multi_valued": list(self.multi_valued),
        }


@dataclass(frozen=True)
class _Plan:
    group_by: tuple[str, ...]
    allowed: Mapping[str, frozenset[str]]
    """Stored dimension -> values a person must have (one of) to be counted."""
    years: frozenset[int] | None
    first_month: Month | None
    last_month: Month | None


def query(
    projection: StatisticsProjection,
    group_by: Sequence[str],
    filters: FilterValues | None = None,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    perturbation: PerturbationTable = DEFAULT_PERTURBATION,
) -> StatisticsAnswer:
    """Count persons by ``group_by`` among those matching ``filters`` and first identified within the range."""
    if threshold < 0:
        raise ValueError("the disclosure threshold cannot be negative")
    plan = _validated_plan(projection, group_by, filters or {}, date_from, date_to)
    catalog = projection.catalog

    table_cube = projection.cube_for(_stored_dimensions(plan.group_by) | plan.allowed.keys())
    cells = _read_matching(projection, table_cube, plan)
    group_values = [_value_getter(name, table_cube) for name in plan.group_by]
    table: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0])
    for cell in cells:
        tally = table[tuple(value_of(cell) for value_of in group_values)]
        tally[0] += cell.persons
        tally[1] += cell.key_sum

    total_persons = total_keys = 0
    for cell in _read_matching(projection, projection.cube_for(plan.allowed.keys()), plan):
        total_persons += cell.persons
        total_keys += cell.key_sum
    total = publish_count(total_persons, total_keys, threshold, perturbation)

    universes = [_universe(projection, name, position, table, plan) for position, name in enumerate(plan.group_by)]
    published = protect_table(
        {key: (tally[0], tally[1]) for key, tally in table.items()}, universes, threshold, perturbation
    )
    if total is None:
        published = dict.fromkeys(published)

    ordering = [{value: index for index, value in enumerate(universe)} for universe in universes]
    answer_cells = tuple(
        AnswerCell(
            values=tuple(
                (name, int(value) if name == "year" else value)
                for name, value in zip(plan.group_by, coordinates, strict=True)
            ),
            count=published[coordinates],
        )
        for coordinates in sorted(
            published, key=lambda key: tuple(order[value] for order, value in zip(ordering, key, strict=True))
        )
    )
    return StatisticsAnswer(
        group_by=plan.group_by,
        total=total,
        threshold=threshold,
        cells=answer_cells,
        multi_valued=tuple(name for name in plan.group_by if catalog[name].multi_valued),
    )


def query_problems(
    projection: StatisticsProjection,
    group_by: Sequence[str],
    filters: FilterValues | None = None,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
) -> tuple[Problem, ...]:
    """Every problem of these parameters, found without reading a cell: lets a caller list them
    beside problems of its own (such as an unknown output format)."""
    try:
        _validated_plan(projection, group_by, filters or {}, date_from, date_to)
    except InvalidInput as e:
        return e.problems
    return ()


def render_csv(answer: StatisticsAnswer) -> str:
    """The answer as CSV: a header row, one row per cell, then the total (``total`` in every group-by column)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*answer.group_by, "count", "suppressed"])
    for cell in answer.cells:
        writer.writerow([*(_spreadsheet_safe(value) for _, value in cell.values), *_count_columns(cell.count)])
    writer.writerow([*(["total"] * len(answer.group_by)), *_count_columns(answer.total)])
    return buffer.getvalue()


def _count_columns(count: int | None) -> list[str]:
    return ["", "true"] if count is None else [str(count), "false"]


def _spreadsheet_safe(value: str | int) -> str:
    """Free text such as a municipality must not start a spreadsheet formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _stored_dimensions(names: Sequence[str]) -> set[str]:
    """The stored dimensions a query needs for these query dimensions (year needs none)."""
    return {stored for name in names if (stored := _DERIVED_FROM.get(name, name)) is not None}


def _read_matching(projection: StatisticsProjection, cube: tuple[str, ...], plan: _Plan) -> list[StoredCell]:
    positions = [(cube.index(name), values) for name, values in plan.allowed.items()]
    return [
        cell
        for cell in projection.read(cube, plan.first_month, plan.last_month)
        if all(cell.coordinates[position] in values for position, values in positions)
        and (plan.years is None or year_of(cell.month) in plan.years)
    ]


def _value_getter(name: str, cube: tuple[str, ...]) -> Callable[[StoredCell], str]:
    if name == "year":
        return lambda cell: str(year_of(cell.month))
    if name == "age_group":
        band = cube.index("age_band")
        return lambda cell: age_group_of_band(cell.coordinates[band])
    position = cube.index(name)
    return lambda cell: cell.coordinates[position]


def _universe(
    projection: StatisticsProjection,
    name: str,
    position: int,
    table: Mapping[tuple[str, ...], Any],
    plan: _Plan,
) -> list[str]:
    """Every value a line along ``name`` may hold: the vocabulary when it is closed, else the values seen."""
    observed = {coordinates[position] for coordinates in table}
    vocabulary = projection.catalog[name].vocabulary
    if name == "year":
        return sorted(observed)
    if not vocabulary.closed:
        return sorted(observed, key=vocabulary.order_key)
    values = list(vocabulary.values or ())
    stored = _DERIVED_FROM.get(name, name)
    if stored in plan.allowed:
        allowed = plan.allowed[stored]
        if name == "age_group":
            values = [group for group in values if any(age_group_of_band(band) == group for band in allowed)]
        else:
            values = [value for value in values if value in allowed]
    return values + sorted(observed - set(values), key=vocabulary.order_key)


def _validated_plan(
    projection: StatisticsProjection,
    group_by: Sequence[str],
    filters: FilterValues,
    date_from: str | date | None,
    date_to: str | date | None,
) -> _Plan:
    """Check every parameter, collecting every problem before refusing; problems never repeat a submitted value."""
    catalog = projection.catalog
    problems: list[Problem] = []

    if len(group_by) > MAX_GROUP_BY:
        problems.append(Problem("/group_by", f"at most {MAX_GROUP_BY} dimensions"))
    seen: set[str] = set()
    for index, name in enumerate(group_by):
        if name not in catalog:
            problems.append(Problem(f"/group_by/{index}", "unknown dimension"))
        elif name in seen:
            problems.append(Problem(f"/group_by/{index}", "dimension named twice"))
        seen.add(name)

    allowed: dict[str, set[str]] = {}
    years: set[int] | None = None
    for ordinal, (name, values) in enumerate(filters.items(), start=1):
        if name not in catalog:
            problems.append(Problem("/filters", f"filter {ordinal} names an unknown dimension"))
            continue
        if not values:
            problems.append(Problem(f"/filters/{name}", "needs at least one value"))
            continue
        if catalog[name].multi_valued and len(values) > 1:
            problems.append(Problem(f"/filters/{name}", "a multi-valued dimension is filtered by one value"))
        accepted = _filter_values(catalog, name, values, problems)
        if name == "year":
            years = {int(value) for value in accepted}
        elif name == "age_group":
            bands = catalog["age_band"].vocabulary.values or ()
            allowed.setdefault("age_band", set(bands)).intersection_update(
                band for band in bands if age_group_of_band(band) in accepted
            )
        else:
            allowed.setdefault(name, set(accepted)).intersection_update(accepted)

    first_month = _month_bound(date_from, "/from", first_day=True, problems=problems)
    last_month = _month_bound(date_to, "/to", first_day=False, problems=problems)
    if first_month is not None and last_month is not None and first_month > last_month:
        problems.append(Problem("/to", "is before from"))

    named = _stored_dimensions([name for name in group_by if name in catalog]) | allowed.keys()
    if RECONCILIATION_CONFLICT in named and len(named) > 1:
        problems.append(Problem("/group_by", f"{RECONCILIATION_CONFLICT} is counted alone, or by year"))
    elif len(named) > projection.cube_size:
        problems.append(
            Problem(
                "/filters",
                f"group_by and filters together may name at most {projection.cube_size} dimensions besides year",
            )
        )
    if problems:
        raise InvalidInput(problems)

    if years is not None:
        months = [year * 12 for year in years] + [year * 12 + 11 for year in years]
        first_month = max(min(months), first_month) if first_month is not None else min(months)
        last_month = min(max(months), last_month) if last_month is not None else max(months)
    return _Plan(
        group_by=tuple(group_by),
        allowed={name: frozenset(values) for name, values in allowed.items()},
        years=frozenset(years) if years is not None else None,
        first_month=first_month,
        last_month=last_month,
    )


def _filter_values(
    catalog: DimensionCatalog, name: str, values: Sequence[str | int], problems: list[Problem]
) -> list[str]:
    vocabulary = catalog[name].vocabulary
    accepted = []
    for index, raw in enumerate(values):
        value = str(raw)
        if name == "year":
            valid = bool(_YEAR.match(value)) and FIRST_YEAR <= int(value) <= LAST_YEAR
        elif name == "age_group":
            valid = value in AGE_GROUP_VALUES
        else:
            value = value if vocabulary.closed else normalise_free_text(value)
            valid = vocabulary.admits(value)
        if valid:
            accepted.append(value)
        else:
            problems.append(Problem(f"/filters/{name}/{index}", "unknown value"))
    return accepted


def _month_bound(bound: str | date | None, path: str, first_day: bool, problems: list[Problem]) -> Month | None:
    """The month of a range bound; a day must be the first (from) or last (to) of its month."""
    if bound is None or bound == "":
        return None
    if isinstance(bound, date):
        day = bound
    else:
        month_only = _MONTH.match(bound)
        if month_only:
            year, month = int(month_only.group(1)), int(month_only.group(2))
            if 1 <= month <= 12 and year >= 1:
                return year * 12 + month - 1
            problems.append(Problem(path, "is not a date (YYYY-MM-DD or YYYY-MM)"))
            return None
        try:
            if not _DAY.match(bound):
                raise ValueError
            day = date.fromisoformat(bound)
        except ValueError:
            problems.append(Problem(path, "is not a date (YYYY-MM-DD or YYYY-MM)"))
            return None
    if first_day and day.day != 1:
        problems.append(Problem(path, "must be the first day of a month: statistics are kept by month"))
        return None
    if not first_day and (day + timedelta(days=1)).day != 1:
        problems.append(Problem(path, "must be the last day of a month: statistics are kept by month"))
        return None
    return month_of(day)
