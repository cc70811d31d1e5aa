"""Hypothesis strategies for valid identification records.

Vocabularies and length bounds are read from the record schema, so a change to the
schema changes what is generated. Names mix realistic Albanian and Serbian spellings
(Latin, Cyrillic, with and without diacritics, decomposed combining marks) with
arbitrary text of any script.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

RECORD_SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "identification-record.schema.json"

FIRST_IDENTIFICATION = date(2000, 1, 1)
LAST_IDENTIFICATION = date(2024, 12, 31)
"""Fixed in the past, so that no generated record is ever dated in the future."""
EARLIEST_BIRTH = date(1900, 1, 1)
LONGEST_GENERATED_TEXT = 60
"""Long enough to cross word boundaries, short enough to keep examples fast; bounds are tested elsewhere."""

REALISTIC_NAMES = (
    "Arbër", "Arber", "Krasniqi", "Ilir", "Drita", "Gashi", "Hoxha", "Shqipe", "Çeliku", "Xhemajl",
    "Jovana", "Јована", "Petrović", "Petrovic", "Петровић", "Đorđe", "Djordje", "Ђорђе", "Miloš",
    "Милош", "Šćepanović", "Žužić", "Ćirić", "Љубица", "Њего", "Dritan", "Ane\u0308", "Dz\u030cenana",
)
"""Linkage must cope with all of these: one person, several spellings."""

_VISIBLE = re.compile(r"\S")


@cache
def record_schema(path: Path = RECORD_SCHEMA_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as schema_file:
        return json.load(schema_file)


def vocabulary(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(record_schema()["$defs"][name]["enum"])


def _field(section: str, field: str) -> dict[str, Any]:
    return record_schema()["properties"][section]["properties"][field]


def _longest(section: str, field: str, nested: str | None = None) -> int:
    schema = _field(section, field)
    if nested == "items":
        schema = schema["items"]
    elif nested is not None:
        schema = schema["items"]["properties"][nested]
    return min(schema["maxLength"], LONGEST_GENERATED_TEXT)


def _most_items(section: str, field: str) -> int:
    return _field(section, field)["maxItems"]


def _text(max_size: int, *, multi_line: bool = False) -> st.SearchStrategy[str]:
    """Letters, marks, digits, punctuation, symbols and spaces of any script; never control or invisible characters."""
    extra = "\n\t\r" if multi_line else ""
    alphabet = st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs"), include_characters=extra)
    return st.text(alphabet, min_size=1, max_size=max_size).filter(_VISIBLE.search)


def _name(section: str, field: str, nested: str | None = None) -> st.SearchStrategy[str]:
    longest = _longest(section, field, nested)
    return st.one_of(st.sampled_from(REALISTIC_NAMES), _text(longest))


def _list_of(values: st.SearchStrategy, section: str, field: str, *, unique: bool = True) -> st.SearchStrategy[list]:
    schema = _field(section, field)
    return st.lists(values, min_size=schema.get("minItems", 0), max_size=schema["maxItems"], unique=unique)


def _phones() -> st.SearchStrategy[str]:
    schema = _field("identity", "phone")
    return st.from_regex(schema["pattern"], fullmatch=True).filter(
        lambda phone: schema["minLength"] <= len(phone) <= schema["maxLength"]
    )


def _documents() -> st.SearchStrategy[list[dict[str, Any]]]:
    document = st.fixed_dictionaries(
        {"type": vocabulary("document_type"), "number": _text(_longest("identity", "documents", "number"))},
        optional={"country": vocabulary("country_code")},
    )
    return st.lists(document, max_size=_most_items("identity", "documents"))


@st.composite
def _identity(draw: st.DrawFn, identified_on: date) -> dict[str, Any]:
    identity = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "given_name": _name("identity", "given_name"),
                "family_name": _name("identity", "family_name"),
                "father_name": _name("identity", "father_name"),
                "other_names": _list_of(_name("identity", "other_names", "items"), "identity", "other_names"),
                "date_of_birth": st.dates(EARLIEST_BIRTH, identified_on).map(date.isoformat),
                "birth_year": st.integers(EARLIEST_BIRTH.year, identified_on.year),
                "place_of_birth": _name("identity", "place_of_birth"),
                "documents": _documents(),
                "phone": _phones(),
                "address": _text(_longest("identity", "address")),
            },
        ).filter(bool)
    )
    return identity


def _statistical(identified_on: date) -> st.SearchStrategy[dict[str, Any]]:
    age = _field("statistical", "age_at_identification")
    return st.fixed_dictionaries(
        {
            "sex": vocabulary("sex"),
            "identification_date": st.just(identified_on.isoformat()),
            "forms_of_exploitation": _list_of(vocabulary("form_of_exploitation"), "statistical", "forms_of_exploitation"),
        },
        optional={
            "age_at_identification": st.integers(age["minimum"], age["maximum"]),
            "citizenship": _list_of(vocabulary("country_code"), "statistical", "citizenship"),
            "municipality": _name("statistical", "municipality"),
            "trafficking_scope": vocabulary("trafficking_scope"),
            "country_of_exploitation": _list_of(vocabulary("country_code"), "statistical", "country_of_exploitation"),
            "referred_to_assistance": st.booleans(),
        },
    )


def _case() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "narrative": _text(_longest("case", "narrative"), multi_line=True),
            "means_of_control": _list_of(vocabulary("means_of_control"), "case", "means_of_control"),
            "recruitment": vocabulary("recruitment"),
            "criminal_case_number": _text(_longest("case", "criminal_case_number")),
        },
    ).filter(bool)


def _assistance() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "services": _list_of(vocabulary("service"), "assistance", "services"),
            "reflection_period_granted": st.booleans(),
            "notes": _text(_longest("assistance", "notes"), multi_line=True),
        },
    ).filter(bool)


def source_references() -> st.SearchStrategy[str]:
    schema = record_schema()["properties"]["source_reference"]
    reference_characters = st.characters(codec="utf-8", categories=("L", "N", "P", "S"))
    return st.text(reference_characters, min_size=1, max_size=schema["maxLength"])


@st.composite
def record_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid identification record, every optional field and section sometimes left out."""
    identified_on = draw(st.dates(FIRST_IDENTIFICATION, LAST_IDENTIFICATION))
    document = {
        "source_reference": draw(source_references()),
        "status": draw(vocabulary("status")),
        "consent": {"share_identity": draw(st.booleans()), "share_assistance": draw(st.booleans())},
        "statistical": draw(_statistical(identified_on)),
    }
    optional_sections = {"identity": _identity(identified_on), "case": _case(), "assistance": _assistance()}
    for name, section in optional_sections.items():
        if draw(st.booleans()):
            document[name] = draw(section)
    return document
