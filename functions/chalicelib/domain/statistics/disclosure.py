"""Statistical disclosure control: the cell key method, threshold suppression, secondary suppression.

Why three layers. A count of one in a small municipality is a person, so small counts are
never published (primary suppression). A suppressed cell must not come back by subtraction
from the other cells of its row or column, so every row and column with a suppressed cell
gets a second one (secondary suppression). And two queries that differ by a month, a
filter value or a dimension must not give away the person who makes the difference, so
every published count carries a small, consistent perturbation (the cell key method of
the Australian Bureau of Statistics and the UK Office for National Statistics).

**Cell key method.** Every person has a random record key r in [0, 1) (stored as an
integer in [0, 2**32); see ``reconciliation.record_key_for``). The key of a cell is the sum
of the record keys of its persons, modulo 1; the projection keeps that sum beside each
count, so it costs nothing at query time and follows every delta. A fixed perturbation
table maps the cell key to a perturbation p in {-D..D}; the published count is n + p.
The same persons always give the same cell key and so the same published count, whatever
query produced the cell (a repeated or reworded query cannot average the noise away),
while two cells that differ by even one person get independent perturbations, so the
difference of two answers is the true difference plus noise of variance 2V, not the
true difference.

**Perturbation table.** One row for every count (counts at or below the threshold are
never published, so no row for small counts is needed): P(p) proportional to exp(-|p| / b) on
{-D..D}, with b chosen so that the variance is V; symmetric, so the expected published
count is the true count. Defaults D = 3, V = 2 (P(0) = 0.35, P(±1) = 0.18, P(±2) = 0.09,
P(±3) = 0.05). An attacker who takes the difference of two answers guesses the true
difference right about one time in five.

**Suppression rule.** With threshold T (default 5, from configuration), a cell of true
count n is published as n + p only if n > T and n + p > T; otherwise it is
``suppressed``. Deciding on the perturbed count as well means that a suppressed cell is
not known to hold at most T persons. A count of zero is published as zero: an empty cell
discloses no one. The total is protected in the same way, with its own cell key (the sum
of the keys of all persons the query counts); when it is suppressed every cell is.

**Secondary suppression.** For each group-by dimension, every line of cells that differ
only in that dimension (a row or column of the table, and for one dimension the whole
table whose sum is the total) that holds exactly one suppressed cell gets a partner
suppressed: among the cells of the line, the one that leaves the fewest other lines with
a lone suppressed cell (so suppression does not cascade), then the smallest non-zero
one, then an empty one (shown as suppressed, so it cannot be told apart). This is repeated until no line has
a lone suppressed cell. Lines of a multi-valued dimension do not add up to a margin (a
person counts once per value) but are protected alike. Published values do not add up
exactly to the published total; that is the price of the perturbation.

**What it does not hide.** Consistency means that a cell whose persons did not change
between two queries is published identically in both: a difference of exactly zero says
that no one in that cell changed. The perturbation hides how many did and which values
they had in a cell of a changed group only up to its noise.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chalicelib.domain.statistics.reconciliation import RECORD_KEY_MODULUS

DEFAULT_THRESHOLD = 5
DEFAULT_MAX_PERTURBATION = 3
DEFAULT_VARIANCE = 2.0

Coordinates = tuple[str, ...]


@dataclass(frozen=True)
class PerturbationTable:
    """Cell key -> perturbation: cumulative upper bounds (in 2**32 units) for perturbations -D..D."""

    max_perturbation: int
    variance: float
    upper_bounds: tuple[int, ...]

    @classmethod
    def build(
        cls, max_perturbation: int = DEFAULT_MAX_PERTURBATION, variance: float = DEFAULT_VARIANCE
    ) -> PerturbationTable:
        widest = max_perturbation * (max_perturbation + 1) / 3
        if max_perturbation < 1 or not 0 < variance < widest:
            raise ValueError("the variance must lie between 0 and that of the uniform distribution on -D..D")
        scale = _scale_for_variance(max_perturbation, variance)
        weights = [math.exp(-p / scale) for p in range(max_perturbation + 1)]
        total = weights[0] + 2 * sum(weights[1:])
        sides = [round(RECORD_KEY_MODULUS * weight / total) for weight in weights[1:]]
        centre = RECORD_KEY_MODULUS - 2 * sum(sides)
        widths = sides[::-1] + [centre] + sides
        bounds = []
        running = 0
        for width in widths:
            running += width
            bounds.append(running)
        return cls(max_perturbation=max_perturbation, variance=variance, upper_bounds=tuple(bounds))

    def perturbation(self, key_sum: int) -> int:
        """The perturbation for a cell whose record keys sum to ``key_sum`` (any integer; reduced modulo 2**32)."""
        return bisect_right(self.upper_bounds, key_sum % RECORD_KEY_MODULUS) - self.max_perturbation

    def probabilities(self) -> dict[int, float]:
        lower = 0
        chances = {}
        for index, upper in enumerate(self.upper_bounds):
            chances[index - self.max_perturbation] = (upper - lower) / RECORD_KEY_MODULUS
            lower = upper
        return chances


def _scale_for_variance(max_perturbation: int, variance: float) -> float:
    """The b of exp(-|p| / b) on -D..D whose variance is ``variance`` (the variance grows with b)."""
    low, high = 1e-6, 1e6
    for _ in range(200):
        middle = math.sqrt(low * high)
        weights = [math.exp(-abs(p) / middle) for p in range(-max_perturbation, max_perturbation + 1)]
        spread = sum(
            p * p * w for p, w in zip(range(-max_perturbation, max_perturbation + 1), weights, strict=True)
        ) / sum(weights)
        low, high = (middle, high) if spread < variance else (low, middle)
    return math.sqrt(low * high)


DEFAULT_PERTURBATION = PerturbationTable.build()


def publish_count(persons: int, key_sum: int, threshold: int, table: PerturbationTable) -> int | None:
    """The published count of one cell or total, or None when it must be suppressed."""
    if persons == 0:
        return 0
    perturbed = persons + table.perturbation(key_sum)
    if persons <= threshold or perturbed <= threshold:
        return None
    return perturbed


def protect_table(
    cells: Mapping[Coordinates, tuple[int, int]],
    universes: Sequence[Sequence[str]],
    threshold: int,
    table: PerturbationTable,
) -> dict[Coordinates, int | None]:
    """Published counts of a table of cells (coordinates -> (persons, key_sum)), None for suppressed.

    ``universes`` gives, per group-by dimension, every value a line may hold; empty cells
    only appear in the result when they were chosen as partners for secondary suppression.
    """
    published = {
        coordinates: publish_count(persons, key_sum, threshold, table)
        for coordinates, (persons, key_sum) in cells.items()
    }
    primary = {coordinates for coordinates, count in published.items() if count is None}
    counts = {coordinates: persons for coordinates, (persons, _) in cells.items()}
    for coordinates in secondary_suppression(counts, primary, universes):
        published[coordinates] = None
    return published


def secondary_suppression(
    counts: Mapping[Coordinates, int], suppressed: set[Coordinates], universes: Sequence[Sequence[str]]
) -> set[Coordinates]:
    """Cells to suppress so that no line of the table holds exactly one suppressed cell."""
    hidden = set(suppressed)
    order = [{value: index for index, value in enumerate(universe)} for universe in universes]
    changed = True
    while changed:
        changed = False
        for axis, universe in enumerate(universes):
            if len(universe) < 2:
                continue
            lines: dict[Coordinates, list[Coordinates]] = defaultdict(list)
            for coordinates in hidden:
                lines[coordinates[:axis] + coordinates[axis + 1 :]].append(coordinates)
            for rest, members in sorted(lines.items()):
                if len(members) != 1:
                    continue
                lone = members[0]
                candidates = [rest[:axis] + (value,) + rest[axis:] for value in universe if value != lone[axis]]
                partner = min(
                    candidates,
                    key=lambda cell: (
                        _lines_left_alone(cell, hidden, len(universes)),
                        counts.get(cell, 0) == 0,
                        counts.get(cell, 0),
                        order[axis][cell[axis]],
                    ),
                )
                hidden.add(partner)
                changed = True
    return hidden


def _lines_left_alone(cell: Coordinates, hidden: set[Coordinates], dimensions: int) -> int:
    """How many lines through ``cell`` would hold it as their only suppressed cell, each needing a partner in turn."""
    alone = 0
    for axis in range(dimensions):
        rest = cell[:axis] + cell[axis + 1 :]
        if not any(other[:axis] + other[axis + 1 :] == rest for other in hidden):
            alone += 1
    return alone
