"""Every example document in schemas/examples is what it claims to be."""

import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "schemas" / "examples"

VALID_EXAMPLES = sorted(EXAMPLES.glob("record-*.json"))
INVALID_EXAMPLES = sorted((EXAMPLES / "invalid").glob("*.json"))

WHERE_EACH_INVALID_EXAMPLE_FAILS = {
    "age-out-of-range.json": "/statistical/age_at_identification",
    "born-after-identification.json": "/identity/date_of_birth",
    "consent-missing.json": "/consent",
    "impossible-date.json": "/statistical/identification_date",
    "missing-statistics.json": "/statistical",
    "nul-in-name.json": "/identity/family_name",
    "unknown-field.json": "/identity",
    "unknown-form-of-exploitation.json": "/statistical/forms_of_exploitation/0",
}


def _load(path):
    with path.open(encoding="utf-8") as example:
        return json.load(example)


def test_there_are_examples_of_both_kinds():
    assert len(VALID_EXAMPLES) >= 4
    assert {path.name for path in INVALID_EXAMPLES} == set(WHERE_EACH_INVALID_EXAMPLE_FAILS)


@pytest.mark.parametrize("path", VALID_EXAMPLES, ids=lambda path: path.name)
def test_valid_example_has_no_problem(record_schema, today, path):
    assert record_schema.problems(_load(path), today=today) == []


@pytest.mark.parametrize("path", INVALID_EXAMPLES, ids=lambda path: path.name)
def test_invalid_example_fails_where_its_name_says(record_schema, today, path):
    problems = record_schema.problems(_load(path), today=today)

    assert WHERE_EACH_INVALID_EXAMPLE_FAILS[path.name] in {problem.path for problem in problems}
