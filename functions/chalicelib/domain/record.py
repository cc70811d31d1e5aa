"""The identification record: validation, partial updates, and its split into sections.

A record is one JSON document (``schemas/identification-record.schema.json``). Its four
sections are the field classes of the access policy and are stored each on its own,
encrypted. Problems are reported all at once, each with its JSON pointer and a message
written from the rule that failed, never from the submitted value: the people behind
these records must not appear in an error or a log.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators

from chalicelib.domain.errors import InvalidInput, Problem, json_pointer

SECTION_NAMES = ("identity", "statistical", "case", "assistance")

EARLIEST_DATE = date(1900, 1, 1)
CLOCK_TOLERANCE = timedelta(days=1)
"""A date 'today' in the submitter's time zone may be tomorrow in UTC."""

LONGEST_LISTED_VOCABULARY = 20
"""Problems name the allowed values of short vocabularies only; a list of 250 countries helps nobody."""

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def _is_integer(value: object) -> bool:
    """17.0 is an integer to JSON Schema, not to the code that computes age groups from it."""
    return isinstance(value, int) and not isinstance(value, bool)


_RecordValidator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", lambda _checker, value: _is_integer(value)),
)


@dataclass(frozen=True)
class RecordParts:
    """A valid record taken apart for storage.

    Every part is a submitted value. ``source_reference`` is kept only encrypted and as a
    keyed hash (for the per-institution uniqueness check). ``status`` and ``consent`` are
    needed to count the record and to choose the readers of its sections.
    """

    source_reference: str
    status: str
    consent: Mapping[str, bool]
    sections: Mapping[str, Mapping[str, Any]]


def load_record_schema(path: str | Path) -> "RecordSchema":
    with Path(path).open(encoding="utf-8") as schema_file:
        return RecordSchema(json.load(schema_file))


class RecordSchema:
    """The compiled record schema and the rules a schema cannot say (dates against each other and the clock).

    The schema ships with the code, so the unit tests check it against the 2020-12 metaschema
    once instead of every cold start paying for that check.
    """

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self._validator = _RecordValidator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def vocabulary(self, name: str) -> tuple[str, ...]:
        """The allowed values of one vocabulary, read from ``$defs/<name>``."""
        return tuple(self.schema["$defs"][name]["enum"])

    def problems(self, document: Any, *, today: date | None = None) -> list[Problem]:
        """Everything wrong with a document, sorted by path; empty when it is valid.

        A format problem is left out where the same value already has one: a date that
        is not written YYYY-MM-DD needs no second word that it is not a calendar date.
        """
        found = set()
        badly_formatted = set()
        for error in self._validator.iter_errors(document):
            problems = _problems_from(error)
            (badly_formatted if error.validator == "format" else found).update(problems)
        flagged_paths = {problem.path for problem in found}
        found.update(problem for problem in badly_formatted if problem.path not in flagged_paths)
        found.update(_date_problems(document, today or date.today()))
        return sorted(found, key=lambda problem: (problem.path, problem.message))

    def validate(self, document: Any, *, today: date | None = None) -> None:
        """Raise InvalidInput listing every problem of an invalid document."""
        problems = self.problems(document, today=today)
        if problems:
            raise InvalidInput(problems, "the record is not valid")

    def apply_patch(self, document: Mapping[str, Any], patch: Any, *, today: date | None = None) -> dict[str, Any]:
        """The record after a JSON Merge Patch (RFC 7396), validated again.

        Lists are replaced whole, as RFC 7396 says; ``null`` removes a field or a section.
        The source reference names the record at its institution and cannot change.
        """
        if not isinstance(patch, dict):
            raise InvalidInput([Problem("", "must be an object")], "the patch is not valid")
        problems = []
        if "source_reference" in patch and patch["source_reference"] != document.get("source_reference"):
            problems.append(Problem("/source_reference", "cannot be changed"))
            patch = {key: value for key, value in patch.items() if key != "source_reference"}
        patched = merge_patch(document, patch)
        problems.extend(self.problems(patched, today=today))
        if problems:
            raise InvalidInput(problems, "the record would not be valid after this patch")
        return patched


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch; returns a new value and leaves both arguments untouched."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def split_record(document: Mapping[str, Any]) -> RecordParts:
    """Take a valid record apart: the sections present, each to be encrypted on its own."""
    return RecordParts(
        source_reference=document["source_reference"],
        status=document["status"],
        consent=dict(document["consent"]),
        sections={name: copy.deepcopy(document[name]) for name in SECTION_NAMES if name in document},
    )


def assemble_record(parts: RecordParts) -> dict[str, Any]:
    """The document ``split_record`` took apart."""
    document: dict[str, Any] = {
        "source_reference": parts.source_reference,
        "status": parts.status,
        "consent": dict(parts.consent),
    }
    for name in SECTION_NAMES:
        if name in parts.sections:
            document[name] = copy.deepcopy(parts.sections[name])
    return document


def _problems_from(error: ValidationError) -> list[Problem]:
    """Problems for one schema error, worded from the rule, never from the instance."""
    path = list(error.absolute_path)
    keyword = error.validator
    rule = error.validator_value
    if keyword == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        return [Problem(json_pointer([*path, name]), "is required") for name in rule if name not in instance]
    if keyword == "additionalProperties":
        allowed = ", ".join(error.schema.get("properties", {}))
        return [Problem(json_pointer(path), f"has a field that is not allowed here; allowed fields: {allowed}")]
    return [Problem(json_pointer(path), _message(keyword, rule, error.schema))]


def _message(keyword: str, rule: Any, schema: Mapping[str, Any]) -> str:
    if keyword == "type":
        return "must be " + _TYPE_NAMES.get(rule, str(rule))
    if keyword == "enum":
        if len(rule) <= LONGEST_LISTED_VOCABULARY:
            return "must be one of the allowed values: " + ", ".join(map(str, rule))
        return "must be one of the allowed values"
    if keyword == "pattern":
        return schema.get("errorMessage", "contains characters that are not allowed")
    if keyword == "format":
        return "is not a valid calendar date" if rule == "date" else f"is not a valid {rule}"
    if keyword == "minLength":
        return "must not be empty" if rule == 1 else f"must be at least {rule} characters long"
    if keyword == "maxLength":
        return f"must be at most {rule} characters long"
    if keyword == "minimum":
        return f"must be at least {rule}"
    if keyword == "maximum":
        return f"must be at most {rule}"
    if keyword == "minItems":
        return "must not be empty" if rule == 1 else f"must have at least {rule} items"
    if keyword == "maxItems":
        return f"must have at most {rule} items"
    if keyword == "uniqueItems":
        return "must not repeat a value"
    if keyword == "minProperties":
        return "must not be empty" if rule == 1 else f"must have at least {rule} fields"
    return "is not valid"


def _as_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _section(document: Any, name: str) -> Mapping[str, Any]:
    section = document.get(name) if isinstance(document, dict) else None
    return section if isinstance(section, dict) else {}


def _date_problems(document: Any, today: date) -> list[Problem]:
    """Dates the schema accepts but no identification can have."""
    identity = _section(document, "identity")
    statistical = _section(document, "statistical")
    born = _as_date(identity.get("date_of_birth"))
    identified = _as_date(statistical.get("identification_date"))
    birth_year = identity.get("birth_year")
    latest = today + CLOCK_TOLERANCE

    problems = []
    for path, day in (("/identity/date_of_birth", born), ("/statistical/identification_date", identified)):
        if day is not None and day > latest:
            problems.append(Problem(path, "must not be in the future"))
        if day is not None and day < EARLIEST_DATE:
            problems.append(Problem(path, f"must not be before {EARLIEST_DATE.isoformat()}"))
    if born is not None and identified is not None and born > identified:
        problems.append(Problem("/identity/date_of_birth", "must not be after the identification date"))
    if _is_integer(birth_year) and identified is not None and birth_year > identified.year:
        problems.append(Problem("/identity/birth_year", "must not be after the year of identification"))
    return problems
