"""Fellegi–Sunter comparison of two record encodings.

Each field is compared to an agreement level; each level has an m-probability (of
being seen when the two records are the same person) and a u-probability (when they
are not). The level contributes ``log2(m / u)``; the score is the sum. A missing value
on either side contributes 0: an unknown date of birth is no evidence either way.

The probabilities are set from what is known about the data, not fitted to a sample
(no labelled national sample exists; see ``evaluate-linkage`` for measured accuracy):

* *m* comes from the error rates of identification records: about one name in seven
  is written differently between two institutions (transliteration, typos, a dropped
  diacritic that survives normalisation), one in 25 family names changes (marriage),
  dates of birth are often estimated, and one in ten places of birth is given as the
  municipality instead of the village.
* *u* is the chance that two different persons agree: the sum of squared frequencies of
  the values. The most frequent given names of the region (Elena, Marija, Fatime…) and
  family names (Krasniqi, Gashi, Popescu, Jovanović…) each cover 1–4 % of people, so
  u(exact) is about 1 % for a given name and 0.8 % for a family name. Victims are
  mostly 12–35 years old: a stated birth year is shared by chance about 4 % of the time,
  a two-year interval derived from an age at identification (``YEAR_RANGE``) about 8 %,
  a full date of birth about once in 5,000. Victims come from a few municipalities, so
  a place of birth is shared by chance 4 % of the time.

The father's name and the place of birth are not independent of the names. Different
persons with the same family name are often siblings or cousins, who share a father's
name and a village far more often than strangers (the ``same_family`` rows). Different
persons with the same given *and* family name are namesakes: cousins named after one
grandparent share a village, but not a father (the ``same_name`` rows).

Given and family names are compared both straight and crossed (given against family);
the better reading counts, and the result says which was used. Read crossed, which pair
is "the given name" depends on the direction of the comparison; the lower-scoring
labelling is taken, so that comparing A with B and B with A give the same score. ``other_names`` (and
known short forms of a given name) enter as a separate ``alias`` level.

Siblings share family name, father and place but not given name and date of birth;
namesakes share the names but not father, place or date. Both therefore score low. One
rule on top of the sum, because siblings' fields are not independent (same family name
and father imply the same village): two records whose given names do not agree at least
closely (or through an alias) are never linked automatically, however much else agrees
— twins share everything but the given name, and sisters are often named alike
(Driton/Dritan). Two exceptions: a document number that agrees, and given names that are
merely similar (``PARTIAL``: a typo in a short name, "Naim"/"Nalm") when the whole date
of birth agrees. Sisters born on different days stay apart; twins with similar names are
the one case this lets through, and a reviewer can split them.

A pair *contradicts* when it would not link on its own (below ``auto_link``) and a field
that one person keeps for life — given name, date of birth, father's name — disagrees on
both sides. The linker never lets automatic links join two groups of records between
which such a pair lies: a sparse record (names and birth year) that matches two
namesakes must not make them one person.

``complete`` weighs a record against a whole person: each field but the names is taken
at its strongest among the person's records, so that one record's father and another's
place of birth add up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Mapping

from chalicelib.domain.linkage.encoding import BloomFilter, RecordEncoding


class Level(str, Enum):
    EXACT = "exact"
    CLOSE = "close"
    TRANSPOSED = "transposed"
    ALIAS = "alias"
    YEAR = "year"
    YEAR_RANGE = "year_range"
    PARTIAL = "partial"
    DISAGREE = "disagree"
    MISSING = "missing"


class Decision(str, Enum):
    LINK = "link"
    REVIEW = "review"
    DISTINCT = "distinct"


EXACT_DICE = 0.99
CLOSE_DICE = 0.72
PARTIAL_DICE = 0.55
ALIAS_DICE = 0.90

DEFAULT_PROBABILITIES: Mapping[str, Mapping[Level, tuple[float, float]]] = {
    "given_name": {
        Level.EXACT: (0.86, 0.012),
        Level.CLOSE: (0.06, 0.004),
        Level.ALIAS: (0.03, 0.003),
        Level.PARTIAL: (0.03, 0.03),
        Level.DISAGREE: (0.02, 0.951),
    },
    "family_name": {
        Level.EXACT: (0.84, 0.008),
        Level.CLOSE: (0.07, 0.004),
        Level.ALIAS: (0.02, 0.002),
        Level.PARTIAL: (0.03, 0.03),
        Level.DISAGREE: (0.04, 0.956),
    },
    "father_name": {
        Level.EXACT: (0.80, 0.015),
        Level.CLOSE: (0.08, 0.006),
        Level.PARTIAL: (0.04, 0.04),
        Level.DISAGREE: (0.08, 0.939),
    },
    "birth_date": {
        Level.EXACT: (0.75, 0.0002),
        Level.TRANSPOSED: (0.03, 0.00005),
        Level.CLOSE: (0.06, 0.003),
        Level.YEAR: (0.92, 0.04),
        Level.YEAR_RANGE: (0.90, 0.08),
        Level.DISAGREE: (0.06, 0.90),
    },
    "place_of_birth": {
        Level.EXACT: (0.80, 0.04),
        Level.CLOSE: (0.08, 0.02),
        Level.DISAGREE: (0.12, 0.94),
    },
    # Among different persons with the same family name many are siblings or cousins:
    # they share a father's name and a village far more often than strangers do.
    # Namesakes (same given and family name) are cousins rather than siblings.
    "father_name|same_name": {
        Level.EXACT: (0.80, 0.03),
        Level.CLOSE: (0.08, 0.01),
        Level.PARTIAL: (0.04, 0.04),
        Level.DISAGREE: (0.08, 0.92),
    },
    "place_of_birth|same_name": {
        Level.EXACT: (0.80, 0.10),
        Level.CLOSE: (0.08, 0.03),
        Level.DISAGREE: (0.12, 0.87),
    },
    "father_name|same_family": {
        Level.EXACT: (0.80, 0.10),
        Level.CLOSE: (0.08, 0.02),
        Level.PARTIAL: (0.04, 0.04),
        Level.DISAGREE: (0.08, 0.84),
    },
    "place_of_birth|same_family": {
        Level.EXACT: (0.80, 0.25),
        Level.CLOSE: (0.08, 0.04),
        Level.DISAGREE: (0.12, 0.71),
    },
    "documents": {
        Level.EXACT: (0.95, 0.0005),
        Level.DISAGREE: (0.40, 0.9995),
    },
}


@dataclass(frozen=True)
class Thresholds:
    """Scores (log2 likelihood ratios) at or above ``auto_link`` link, at or above
    ``review`` go to a reviewer, below make a new person.

    ``auto_link`` = 17 needs the names plus one more independent agreement: a full date
    of birth, a stated birth year (17.4), the father's name (17.6), or the place of birth
    with an estimated age (19.4). Names with only an estimated age (16.3) or only a place
    of birth (15.9) go to review. ``review`` = 13 keeps names alone (12.9: in a national
    database, common names recur) and siblings out of the queue, which would otherwise
    grow faster than the records. Lower auto-link thresholds find more of a person's
    records in a small database but merge namesakes as it grows (``evaluate-linkage``
    at 10,000 and 20,000 records shows both).
    """

    auto_link: float = 17.0
    review: float = 13.0

    def __post_init__(self) -> None:
        if self.review > self.auto_link:
            raise ValueError("the review threshold must not exceed the auto-link threshold")


@dataclass(frozen=True)
class FieldComparison:
    field: str
    level: Level
    weight: float


@dataclass(frozen=True)
class Comparison:
    """What a reviewer sees: each field's agreement level and weight, and the total."""

    fields: tuple[FieldComparison, ...]
    score: float
    names_swapped: bool = False

    def level(self, field: str) -> Level:
        return next(f.level for f in self.fields if f.field == field)

    @property
    def given_names_differ(self) -> bool:
        """The given names do not positively agree (crossed readings count both ways).

        Read crossed, which of the two names is the given one depends on the direction
        of the comparison, so either one failing to agree counts.
        """
        return any(level in (Level.PARTIAL, Level.DISAGREE) for level in self._given_name_levels)

    @property
    def given_names_contradict(self) -> bool:
        """The given names are not even similar (crossed readings count both ways)."""
        return Level.DISAGREE in self._given_name_levels

    @property
    def _given_name_levels(self) -> tuple[Level, ...]:
        fields = ("given_name", "family_name") if self.names_swapped else ("given_name",)
        return tuple(self.level(field) for field in fields)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 2),
            "names_swapped": self.names_swapped,
            "fields": {f.field: {"level": f.level.value, "weight": round(f.weight, 2)} for f in self.fields},
        }


def _name_level(
    mine: BloomFilter | None,
    theirs: BloomFilter | None,
    my_aliases: tuple[BloomFilter, ...] = (),
    their_aliases: tuple[BloomFilter, ...] = (),
) -> Level:
    """Dice of the two names; failing that, one name among the other's aliases."""
    direct = mine.dice(theirs) if mine is not None and theirs is not None else None
    if direct is not None and direct >= EXACT_DICE:
        return Level.EXACT
    if direct is not None and direct >= CLOSE_DICE:
        return Level.CLOSE
    if any(
        name.dice(alias) >= ALIAS_DICE
        for name, aliases in ((mine, their_aliases), (theirs, my_aliases))
        if name is not None
        for alias in aliases
    ):
        return Level.ALIAS
    if direct is None:
        return Level.MISSING
    return Level.PARTIAL if direct >= PARTIAL_DICE else Level.DISAGREE


def _birth_level(a: RecordEncoding, b: RecordEncoding) -> Level:
    if not a.birth_years or not b.birth_years:
        return Level.MISSING
    if a.birth_date is not None and b.birth_date is not None:
        if a.birth_date == b.birth_date:
            return Level.EXACT
        if a.birth_date_unordered == b.birth_date_unordered:
            return Level.TRANSPOSED
        if a.birth_year_month == b.birth_year_month or a.birth_month_day == b.birth_month_day:
            return Level.CLOSE
        return Level.DISAGREE
    if not a.birth_years & b.birth_years:
        return Level.DISAGREE
    return Level.YEAR if a.birth_year_stated and b.birth_year_stated else Level.YEAR_RANGE


def _place_level(a: RecordEncoding, b: RecordEncoding) -> Level:
    if a.place is None or b.place is None:
        return Level.MISSING
    dice = a.place.dice(b.place)
    if dice >= EXACT_DICE:
        return Level.EXACT
    return Level.CLOSE if dice >= CLOSE_DICE else Level.DISAGREE


def _documents_level(a: RecordEncoding, b: RecordEncoding) -> Level:
    if not a.documents or not b.documents:
        return Level.MISSING
    if {d.number for d in a.documents} & {d.number for d in b.documents}:
        return Level.EXACT
    if {d.kind for d in a.documents} & {d.kind for d in b.documents}:
        return Level.DISAGREE
    return Level.MISSING


_AGREE = frozenset({Level.EXACT, Level.CLOSE})
_SAME_GIVEN_NAME = frozenset({Level.EXACT, Level.ALIAS})


def _relatedness(given: Level, family: Level, swapped: bool) -> str:
    """Which population the non-matches come from: namesakes, relatives or anyone.

    Read crossed, either name may be the given one, so both must agree as a given name.
    """
    same_given = given in _SAME_GIVEN_NAME and (not swapped or family in _SAME_GIVEN_NAME)
    family_agrees = family in _AGREE or (swapped and given in _AGREE)
    if family_agrees and same_given:
        return "same_name"
    return "same_family" if family_agrees else ""


_LIFELONG_FIELDS = ("given_name", "birth_date", "father_name")
_COMPLETED_FIELDS = frozenset({"father_name", "birth_date", "place_of_birth", "documents"})


class FellegiSunter:
    """Scores pairs of encodings and classifies them against thresholds."""

    def __init__(
        self,
        probabilities: Mapping[str, Mapping[Level, tuple[float, float]]] = DEFAULT_PROBABILITIES,
    ) -> None:
        self.weights = {
            field: {level: math.log2(m / u) for level, (m, u) in levels.items()}
            for field, levels in probabilities.items()
        }

    def _field(self, field: str, level: Level, condition: str = "") -> FieldComparison:
        weights = self.weights.get(f"{field}|{condition}", self.weights[field])
        weight = 0.0 if level is Level.MISSING else weights[level]
        return FieldComparison(field, level, weight)

    def _names(self, a: RecordEncoding, b: RecordEncoding) -> tuple[FieldComparison, FieldComparison, bool]:
        straight = (
            self._field("given_name", _name_level(a.given, b.given, a.aliases, b.aliases)),
            self._field("family_name", _name_level(a.family, b.family, a.aliases, b.aliases)),
        )
        if a.given is None or a.family is None or b.given is None or b.family is None:
            return straight[0], straight[1], False
        first_pair = _name_level(a.given, b.family, a.aliases, b.aliases)
        second_pair = _name_level(a.family, b.given, a.aliases, b.aliases)
        crossed = min(
            (
                (self._field("given_name", first_pair), self._field("family_name", second_pair)),
                (self._field("given_name", second_pair), self._field("family_name", first_pair)),
            ),
            key=lambda fields: fields[0].weight + fields[1].weight,
        )
        if crossed[0].weight + crossed[1].weight > straight[0].weight + straight[1].weight:
            return crossed[0], crossed[1], True
        return straight[0], straight[1], False

    def compare(self, a: RecordEncoding, b: RecordEncoding) -> Comparison:
        given, family, swapped = self._names(a, b)
        condition = _relatedness(given.level, family.level, swapped)
        fields = (
            given,
            family,
            self._field("father_name", _name_level(a.father, b.father), condition),
            self._field("birth_date", _birth_level(a, b)),
            self._field("place_of_birth", _place_level(a, b), condition),
            self._field("documents", _documents_level(a, b)),
        )
        return Comparison(fields, sum(f.weight for f in fields), swapped)

    @staticmethod
    def complete(best: Comparison, others: Iterable[Comparison]) -> Comparison:
        """``best`` with each field but the names at its strongest among ``best`` and
        ``others``: the comparisons of one record with every record of one person."""
        fields = {field.field: field for field in best.fields}
        for other in others:
            for field in other.fields:
                if field.field in _COMPLETED_FIELDS and field.level is not Level.MISSING and (
                    fields[field.field].level is Level.MISSING or field.weight > fields[field.field].weight
                ):
                    fields[field.field] = field
        completed = tuple(fields[field.field] for field in best.fields)
        return Comparison(completed, sum(field.weight for field in completed), best.names_swapped)

    @staticmethod
    def contradicts(comparison: Comparison, thresholds: Thresholds) -> bool:
        """Would not link, and a field one person keeps for life disagrees (module docstring)."""
        return comparison.score < thresholds.auto_link and any(
            comparison.level(field) is Level.DISAGREE for field in _LIFELONG_FIELDS
        )

    @staticmethod
    def classify(comparison: Comparison, thresholds: Thresholds) -> Decision:
        documents_agree = comparison.level("documents") is Level.EXACT
        birthday_agrees = comparison.level("birth_date") in (Level.EXACT, Level.TRANSPOSED)
        given_names_allow = not comparison.given_names_differ or (
            birthday_agrees and not comparison.given_names_contradict
        )
        if comparison.score >= thresholds.auto_link and (documents_agree or given_names_allow):
            return Decision.LINK
        if comparison.score >= thresholds.review:
            return Decision.REVIEW
        return Decision.DISTINCT
