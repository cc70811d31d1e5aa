"""A rejected record is told everything wrong with it at once, and never hears its own values back."""

import json

import pytest
from jsonschema import Draft202012Validator

from chalicelib.domain.errors import InvalidInput, Problem

DISTINCTIVE = "Zxqvbnrt-4711"
"""A value no message could contain by chance."""


def test_a_valid_record_has_no_problem(record_schema, minimal_record, today):
    assert record_schema.problems(minimal_record, today=today) == []
    record_schema.validate(minimal_record, today=today)


def test_every_problem_is_listed_at_once_with_its_path(record_schema, minimal_record, today):
    # GIVEN a record with five unrelated mistakes
    minimal_record["status"] = "rescued"
    minimal_record["statistical"]["sex"] = "f"
    minimal_record["statistical"]["age_at_identification"] = -1
    minimal_record["identity"] = {"date_of_birth": "12.04.2007"}
    del minimal_record["consent"]["share_assistance"]

    # WHEN it is validated
    with pytest.raises(InvalidInput) as raised:
        record_schema.validate(minimal_record, today=today)

    # THEN each mistake is one problem, at its own place
    assert [problem.path for problem in raised.value.problems] == [
        "/consent/share_assistance",
        "/identity/date_of_birth",
        "/statistical/age_at_identification",
        "/statistical/sex",
        "/status",
    ]


def test_missing_required_fields_are_each_named_by_path(record_schema, today):
    problems = record_schema.problems({"statistical": {}}, today=today)

    assert set(problems) == {
        Problem("/source_reference", "is required"),
        Problem("/status", "is required"),
        Problem("/consent", "is required"),
        Problem("/statistical/sex", "is required"),
        Problem("/statistical/identification_date", "is required"),
        Problem("/statistical/forms_of_exploitation", "is required"),
    }


def test_a_document_that_is_not_an_object_is_one_problem_at_the_root(record_schema, today):
    assert record_schema.problems(["not", "a", "record"], today=today) == [Problem("", "must be an object")]


def test_short_vocabularies_are_named_in_the_problem(record_schema, minimal_record, today):
    minimal_record["statistical"]["sex"] = "F"

    (problem,) = record_schema.problems(minimal_record, today=today)

    assert problem.message == "must be one of the allowed values: female, male, transgender_non_conforming, unknown"


def test_an_integer_written_as_a_fraction_is_refused(record_schema, minimal_record, today):
    minimal_record["statistical"]["age_at_identification"] = 17.0

    assert record_schema.problems(minimal_record, today=today) == [
        Problem("/statistical/age_at_identification", "must be an integer")
    ]


def test_a_boolean_is_not_an_integer(record_schema, minimal_record, today):
    minimal_record["identity"] = {"birth_year": True}

    assert record_schema.problems(minimal_record, today=today) == [Problem("/identity/birth_year", "must be an integer")]


def test_an_unknown_field_is_reported_without_its_name(record_schema, minimal_record, today):
    # The name of an unexpected field is submitted text too: it may be a person's name.
    minimal_record["identity"] = {"given_name": "Arta", DISTINCTIVE: "x"}

    (problem,) = record_schema.problems(minimal_record, today=today)

    assert problem.path == "/identity"
    assert DISTINCTIVE not in problem.message
    assert "given_name" in problem.message


def _every_kind_of_mistake_carrying(value: str) -> dict:
    """One document that breaks every kind of rule with the same distinctive value."""
    return {
        "source_reference": value + " with spaces",
        "status": value,
        "consent": {"share_identity": value, "share_assistance": False},
        "identity": {
            "given_name": value + "\u0000",
            "family_name": value * 20,
            "father_name": "\u202e" + value,
            "other_names": [value, value],
            "date_of_birth": value,
            "birth_year": value,
            "documents": [{"type": value, "number": value + "\n", "country": value}],
            "phone": value,
            "address": value + "\u200b",
            value: value,
        },
        "statistical": {
            "sex": value,
            "age_at_identification": value,
            "citizenship": [value],
            "identification_date": value,
            "municipality": "\t" + value,
            "forms_of_exploitation": [value],
            "trafficking_scope": value,
            "country_of_exploitation": [value],
            "referred_to_assistance": value,
        },
        "case": {
            "narrative": value + "\u0007",
            "means_of_control": [value],
            "recruitment": value,
            "criminal_case_number": value + "\u2028",
        },
        "assistance": {"services": [value], "reflection_period_granted": value, "notes": value * 400},
        value: {value: value},
    }


@pytest.mark.parametrize("value", [DISTINCTIVE, "Жељко-Ђурђевић", "2031-02-30", "17"])
def test_no_problem_repeats_a_submitted_value(record_schema, today, value):
    problems = record_schema.problems(_every_kind_of_mistake_carrying(value), today=today)

    assert len(problems) >= 25
    for problem in problems:
        assert value not in problem.message
        assert value not in problem.path


def test_the_raised_error_does_not_carry_submitted_values_either(record_schema, today):
    with pytest.raises(InvalidInput) as raised:
        record_schema.validate(_every_kind_of_mistake_carrying(DISTINCTIVE), today=today)

    error = raised.value
    rendered = str(error) + repr(error) + json.dumps([[p.path, p.message] for p in error.problems])
    assert DISTINCTIVE not in rendered


def test_a_bad_date_gets_one_problem_not_two(record_schema, minimal_record, today):
    minimal_record["statistical"]["identification_date"] = "1.3.2025"

    assert record_schema.problems(minimal_record, today=today) == [
        Problem("/statistical/identification_date", "must be a date written YYYY-MM-DD")
    ]


@pytest.mark.parametrize("impossible", ["2025-02-29", "2025-13-01", "2025-04-31", "2025-00-10"])
def test_dates_are_checked_against_the_calendar(record_schema, minimal_record, today, impossible):
    minimal_record["statistical"]["identification_date"] = impossible

    assert record_schema.problems(minimal_record, today=today) == [
        Problem("/statistical/identification_date", "is not a valid calendar date")
    ]


@pytest.mark.parametrize("not_iso", ["2025-03-01T00:00:00", "20250301", "2025-W09-6", "２０２５-03-01", "2025-03-01\n"])
def test_only_plain_iso_dates_are_accepted(record_schema, minimal_record, today, not_iso):
    minimal_record["statistical"]["identification_date"] = not_iso

    assert [p.path for p in record_schema.problems(minimal_record, today=today)] == ["/statistical/identification_date"]


def test_a_leap_day_is_a_date(record_schema, minimal_record, today):
    minimal_record["statistical"]["identification_date"] = "2024-02-29"

    assert record_schema.problems(minimal_record, today=today) == []


def test_identification_cannot_be_dated_in_the_future(record_schema, minimal_record, today):
    minimal_record["statistical"]["identification_date"] = "2025-06-17"

    assert record_schema.problems(minimal_record, today=today) == [
        Problem("/statistical/identification_date", "must not be in the future")
    ]


def test_tomorrow_is_tolerated_because_time_zones_differ(record_schema, minimal_record, today):
    minimal_record["statistical"]["identification_date"] = "2025-06-16"

    assert record_schema.problems(minimal_record, today=today) == []


def test_no_one_is_born_after_being_identified(record_schema, minimal_record, today):
    minimal_record["identity"] = {"date_of_birth": "2025-03-02", "birth_year": 2026}

    assert record_schema.problems(minimal_record, today=today) == [
        Problem("/identity/birth_year", "must not be after the year of identification"),
        Problem("/identity/date_of_birth", "must not be after the identification date"),
    ]


def test_dates_before_1900_are_refused(record_schema, minimal_record, today):
    minimal_record["identity"] = {"date_of_birth": "1899-12-31"}

    assert record_schema.problems(minimal_record, today=today) == [
        Problem("/identity/date_of_birth", "must not be before 1900-01-01")
    ]


def test_a_declared_age_may_disagree_with_the_documents(record_schema, minimal_record, today):
    # Traffickers forge passports to make children look adult: both values must be recordable.
    minimal_record["identity"] = {"date_of_birth": "2001-01-01"}
    minimal_record["statistical"]["age_at_identification"] = 16

    assert record_schema.problems(minimal_record, today=today) == []


@pytest.mark.parametrize(
    ("field", "longest"),
    [(("identity", "given_name"), 100), (("identity", "address"), 300), (("case", "narrative"), 10000)],
)
def test_every_string_has_a_length_bound(record_schema, minimal_record, today, field, longest):
    section, name = field
    minimal_record[section] = {name: "a" * longest}
    assert record_schema.problems(minimal_record, today=today) == []

    minimal_record[section] = {name: "a" * (longest + 1)}
    assert record_schema.problems(minimal_record, today=today) == [
        Problem(f"/{section}/{name}", f"must be at most {longest} characters long")
    ]


def test_the_schema_is_a_valid_json_schema_2020_12(record_schema):
    # Loading the schema does not check it, so that a cold start does not pay for it: this does.
    Draft202012Validator.check_schema(record_schema.schema)


def test_every_string_and_array_in_the_schema_is_bounded(record_schema):
    unbounded = []

    def visit(schema, path):
        if isinstance(schema, dict):
            if schema.get("type") == "string" and "maxLength" not in schema and "enum" not in schema:
                if "format" not in schema and "$ref" not in schema:
                    unbounded.append(path)
            if schema.get("type") == "array" and "maxItems" not in schema:
                unbounded.append(path)
            if "$ref" in schema and schema["$ref"].endswith("_text") and "maxLength" not in schema:
                unbounded.append(path)
            for key, child in schema.items():
                visit(child, f"{path}/{key}")
        elif isinstance(schema, list):
            for index, child in enumerate(schema):
                visit(child, f"{path}/{index}")

    visit(record_schema.schema["properties"], "")
    assert unbounded == []


def test_every_object_refuses_unknown_fields(record_schema):
    def objects(schema):
        if isinstance(schema, dict):
            if schema.get("type") == "object":
                yield schema
            for child in schema.values():
                yield from objects(child)
        elif isinstance(schema, list):
            for child in schema:
                yield from objects(child)

    found = list(objects(record_schema.schema))
    assert len(found) >= 7
    assert all(schema.get("additionalProperties") is False for schema in found)
