"""A record is stored as its sections, each encrypted on its own, and comes back whole."""

import json
from pathlib import Path

import pytest

from chalicelib.domain.record import SECTION_NAMES, assemble_record, split_record

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
EXAMPLES = sorted((SCHEMAS / "examples").glob("record-*.json"))


def test_the_sections_are_the_field_classes_of_the_policy(record_schema, access_policy):
    assert set(SECTION_NAMES) == set(access_policy.section_names)
    assert set(SECTION_NAMES) <= set(record_schema.schema["properties"])


def test_nothing_in_a_record_lies_outside_the_sections_but_reference_status_and_consent(record_schema):
    outside = set(record_schema.schema["properties"]) - set(SECTION_NAMES)

    assert outside == {"source_reference", "status", "consent"}


def test_every_vocabulary_is_at_its_documented_pointer(record_schema):
    vocabularies = [name for name, definition in record_schema.schema["$defs"].items() if "enum" in definition]
    assert {"sex", "status", "form_of_exploitation", "country_code"} <= set(vocabularies)
    for name in vocabularies:
        values = record_schema.vocabulary(name)
        assert values, name
        assert len(values) == len(set(values)), name


def test_the_consent_flags_are_those_the_policy_conditions_on(record_schema):
    with (SCHEMAS / "access-policy.schema.json").open(encoding="utf-8") as policy_schema_file:
        policy_schema = json.load(policy_schema_file)
    conditional = policy_schema["$defs"]["access"]["oneOf"][1]["properties"]["with_consent"]["enum"]

    assert set(conditional) == set(record_schema.schema["properties"]["consent"]["properties"])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_splitting_and_assembling_gives_back_the_record(path):
    with path.open(encoding="utf-8") as example:
        document = json.load(example)

    parts = split_record(document)

    assert set(parts.sections) == set(SECTION_NAMES) & set(document)
    assert parts.source_reference == document["source_reference"]
    assert assemble_record(parts) == document


def test_split_sections_hold_no_envelope_field(minimal_record):
    parts = split_record(minimal_record)

    assert dict(parts.sections) == {"statistical": minimal_record["statistical"]}
    assert parts.status == "presumed"
    assert parts.consent == {"share_identity": False, "share_assistance": False}


def test_parts_do_not_share_state_with_the_document(minimal_record):
    parts = split_record(minimal_record)
    minimal_record["statistical"]["forms_of_exploitation"].append("labour")

    assert parts.sections["statistical"]["forms_of_exploitation"] == ["sexual"]
