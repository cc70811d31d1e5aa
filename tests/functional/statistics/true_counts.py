"""The exact counts behind the published ones: persons per value, read from a projection's cells.

The coordinator never sees these (a count of a few persons is suppressed, every other one
perturbed); tests read them with the projection's own keys to know what was counted.
"""

from __future__ import annotations

from chalicelib.domain.statistics import Month, StatisticsProjection


def persons_by(projection: StatisticsProjection, *dimensions: str, first_month: Month | None = None,
               last_month: Month | None = None) -> dict[tuple[str, ...], int]:
    """Persons first identified within the months, per combination of values of the stored dimensions."""
    cube = projection.cube_for(dimensions)
    counts: dict[tuple[str, ...], int] = {}
    for cell in projection.read(cube, first_month, last_month):
        values = tuple(cell.coordinates[cube.index(name)] for name in dimensions)
        counts[values] = counts.get(values, 0) + cell.persons
    return counts
