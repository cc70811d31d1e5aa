"""The dimensions statistics are counted by, and the values each may take.

Value sets are read from the schemas (the record schema's ``$defs`` and the institution
registry's ``$defs/institution_type``), so a vocabulary changes in one place only. Two
dimensions are not in any schema because they are statistical conventions:

* ``age_band``: 0-11, 12-17, 18-24, 25-34, 35-49, 50+ and unknown, from the age at the
  first identification. The bands split children (under 18, as in the Palermo Protocol
  and the Council of Europe Convention) from adults, so ``age_group`` (child, adult,
  unknown) is a coarsening of ``age_band`` and is answered from it.
* ``referred_to_assistance``: yes, no, unknown.

``year`` is the calendar year of the first identification; it is answered from the
month that every stored cell carries, so it costs no storage of its own.

Every single-valued dimension has the value ``unknown`` for a person whose records do not
say; a multi-valued dimension (citizenship, forms of exploitation) counts a person once
under each of their values, and under ``unknown`` when they have none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import InvalidConfiguration, Problem

UNKNOWN = "unknown"

STORED_DIMENSIONS: tuple[str, ...] = (
    "sex",
    "age_band",
    "citizenship",
    "forms_of_exploitation",
    "trafficking_scope",
    "status",
    "institution_type",
    "municipality",
    "referred_to_assistance",
)
"""Dimensions the projection keeps counts for; the others are derived from these or from the month."""

AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 11, "0-11"),
    (12, 17, "12-17"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 49, "35-49"),
    (50, None, "50+"),
)
"""(first age, last age or None for open-ended, label)."""

ADULT_AGE = 18

CHILD_BANDS: frozenset[str] = frozenset(label for first, _, label in AGE_BANDS if first < ADULT_AGE)

REFERRED_VALUES: tuple[str, ...] = ("yes", "no", UNKNOWN)

AGE_GROUP_VALUES: tuple[str, ...] = ("child", "adult", UNKNOWN)

STATUS_PROGRESSION: Mapping[str, int] = {
    "presumed": 0,
    "not_confirmed": 1,
    "identified": 2,
    "recognised_in_proceedings": 3,
}
"""Rank of each status, higher is more advanced (see reconciliation); every status of the schema must have one."""

RECONCILIATION_CONFLICT = "reconciliation_conflict"
"""A query dimension of its own cube: the attributes on which a person's records disagree."""

CONFLICT_ATTRIBUTES: tuple[str, ...] = ("sex", "age", "trafficking_scope", "status")

FIRST_YEAR = 1990
LAST_YEAR = 2200
"""Bounds a year filter must fall within: wide enough for any identification, narrow enough to reject typos."""

FREE_TEXT_MAX_LENGTH = 100
_VISIBLE_SINGLE_LINE = re.compile(r"^[^\x00-\x1f\x7f-\x9f]*\S[^\x00-\x1f\x7f-\x9f]*$")


def age_band(age: int | None) -> str:
    if age is None:
        return UNKNOWN
    for first, last, label in AGE_BANDS:
        if age >= first and (last is None or age <= last):
            return label
    return UNKNOWN


def age_group_of_band(band: str) -> str:
    if band == UNKNOWN:
        return UNKNOWN
    return "child" if band in CHILD_BANDS else "adult"


def referred_value(referred: bool | None) -> str:
    if referred is None:
        return UNKNOWN
    return "yes" if referred else "no"


def normalise_free_text(value: str) -> str:
    """Collapse runs of white space so that ``Prizren`` and ``Prizren `` are one municipality."""
    return " ".join(value.split())


@dataclass(frozen=True)
class Vocabulary:
    """The values a dimension admits: a closed, ordered list, or (free text) any short visible text."""

    values: tuple[str, ...] | None

    @property
    def closed(self) -> bool:
        return self.values is not None

    def admits(self, value: str) -> bool:
        if self.values is not None:
            return value in self.values
        return len(value) <= FREE_TEXT_MAX_LENGTH and bool(_VISIBLE_SINGLE_LINE.match(value))

    def order_key(self, value: str) -> tuple[int, str]:
        """Vocabulary order for closed sets (as the schema lists them), alphabetical for free text, unknown last."""
        if value == UNKNOWN:
            return (2, "")
        if self.values is not None and value in self.values:
            return (0, f"{self.values.index(value):05d}")
        return (1, value)


FREE_TEXT = Vocabulary(values=None)


@dataclass(frozen=True)
class Dimension:
    name: str
    vocabulary: Vocabulary
    multi_valued: bool = False


@dataclass(frozen=True)
class DimensionCatalog:
    """Every dimension a query may group or filter by, with its vocabulary."""

    dimensions: Mapping[str, Dimension]

    def __contains__(self, name: object) -> bool:
        return name in self.dimensions

    def __getitem__(self, name: str) -> Dimension:
        return self.dimensions[name]

    @classmethod
    def from_schemas(cls, record_schema: Mapping[str, Any], registry_schema: Mapping[str, Any]) -> DimensionCatalog:
        """Build the catalog from the parsed record schema and institution registry schema."""
        problems: list[Problem] = []

        def closed(schema: Mapping[str, Any], definition: str, location: str) -> Vocabulary:
            values = schema.get("$defs", {}).get(definition, {}).get("enum")
            if not values or not all(isinstance(value, str) for value in values):
                problems.append(Problem(f"{location}#/$defs/{definition}", "must be an enum of strings"))
                return Vocabulary(values=(UNKNOWN,))
            return Vocabulary(values=tuple(values) + (() if UNKNOWN in values else (UNKNOWN,)))

        record = "identification-record.schema.json"
        registry = "institution-registry.schema.json"
        status = closed(record_schema, "status", record)
        catalog = {
            "sex": Dimension("sex", closed(record_schema, "sex", record)),
            "age_group": Dimension("age_group", Vocabulary(values=AGE_GROUP_VALUES)),
            "age_band": Dimension(
                "age_band", Vocabulary(values=tuple(label for _, _, label in AGE_BANDS) + (UNKNOWN,))
            ),
            "citizenship": Dimension("citizenship", closed(record_schema, "country_code", record), multi_valued=True),
            "forms_of_exploitation": Dimension(
                "forms_of_exploitation", closed(record_schema, "form_of_exploitation", record), multi_valued=True
            ),
            "trafficking_scope": Dimension("trafficking_scope", closed(record_schema, "trafficking_scope", record)),
            "status": Dimension("status", status),
            "institution_type": Dimension("institution_type", closed(registry_schema, "institution_type", registry)),
            "year": Dimension("year", FREE_TEXT),
            "municipality": Dimension("municipality", _municipality_vocabulary(record_schema)),
            "referred_to_assistance": Dimension("referred_to_assistance", Vocabulary(values=REFERRED_VALUES)),
            RECONCILIATION_CONFLICT: Dimension(RECONCILIATION_CONFLICT, Vocabulary(values=CONFLICT_ATTRIBUTES),
                                               multi_valued=True),
        }
        if any(value not in STATUS_PROGRESSION for value in status.values or () if value != UNKNOWN):
            problems.append(Problem(f"{record}#/$defs/status", "has a status with no rank in STATUS_PROGRESSION"))
        if problems:
            raise InvalidConfiguration(problems)
        return cls(dimensions=catalog)


def _municipality_vocabulary(record_schema: Mapping[str, Any]) -> Vocabulary:
    """A ``$defs/municipality`` enum when the schema has one; free text (as the record allows today) otherwise."""
    values = record_schema.get("$defs", {}).get("municipality", {}).get("enum")
    if values:
        return Vocabulary(values=tuple(values) + (() if UNKNOWN in values else (UNKNOWN,)))
    return FREE_TEXT
