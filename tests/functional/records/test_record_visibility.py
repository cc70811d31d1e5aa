"""Who sees what: every institution type reading a record of every other type, as the policy file says.

The expected answers are worked out here from the raw JSON of schemas/access-policy.json,
not through the code that enforces it, so a fault in that code shows up as a difference.
"""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

import pytest

from chalicelib import bootstrap
from chalicelib.domain.policy import load_access_policy
from ivdb import paths

from tests.functional.records.record_api import SUBMITTING_TYPES, example_record

POLICY_FILE = json.loads(paths.ACCESS_POLICY.read_text(encoding="utf-8"))
SECTIONS = tuple(POLICY_FILE["sections"])
RECORD_ROUTE_TYPES = frozenset(POLICY_FILE["capabilities"]["record_routes"])
ALL_TYPES = tuple(POLICY_FILE["sections"][SECTIONS[0]]["institution_types"])
CONSENTS = [{"share_identity": identity, "share_assistance": assistance}
            for identity, assistance in itertools.product((True, False), repeat=2)]


def sections_in_policy_file(reader_type: str, consent: dict[str, bool]) -> set[str]:
    """The sections a non-submitting reader of this type may read, straight from the file's cells."""
    readable = set()
    for section, row in POLICY_FILE["sections"].items():
        cell = row["institution_types"][reader_type]
        if cell == "always" or (isinstance(cell, dict) and consent.get(cell["with_consent"]) is True):
            readable.add(section)
    return readable


def expected_read(reader_type: str, consent: dict[str, bool]) -> dict[str, Any]:
    if reader_type not in RECORD_ROUTE_TYPES:
        return {"status": 403}
    readable = sections_in_policy_file(reader_type, consent)
    if not readable:
        return {"status": 404}
    return {"status": 200, "sections": readable, "withheld": set(SECTIONS) - readable}


def observed_read(answer, submitted: dict[str, Any]) -> dict[str, Any]:
    if answer.status != 200:
        return {"status": answer.status}
    shown = {section for section in SECTIONS if section in answer.body}
    for section in shown:
        assert answer.body[section] == submitted[section], f"{section} differs from what was submitted"
    return {"status": 200, "sections": shown, "withheld": set(answer.body["withheld"])}


@pytest.mark.parametrize("consent", CONSENTS, ids=lambda consent: "-".join(
    f"{flag}={value}" for flag, value in consent.items()))
@pytest.mark.parametrize("submitter_type", SUBMITTING_TYPES)
def test_every_institution_type_reads_what_the_policy_file_allows(api, institution_of_type, submitter_type,
                                                                  consent):
    # GIVEN a record with every section, submitted by an institution of one type with this consent
    submitter = institution_of_type[submitter_type]
    record = example_record(consent=consent)
    assert set(SECTIONS) <= set(record)
    record_id = api.as_(submitter).submit(record)

    # WHEN an institution of every type (never the submitter itself) reads it
    expected, observed = {}, {}
    for reader_type in ALL_TYPES:
        reader = api.as_(institution_of_type[reader_type])
        if institution_of_type[reader_type] == submitter:
            reader = api.as_(submitter, institution_id=f"another-{reader_type}")
        expected[reader_type] = expected_read(reader_type, consent)
        observed[reader_type] = observed_read(reader.get(f"/records/{record_id}"), record)

    # THEN each sees exactly the sections its cell in the policy file grants, and is told the rest are withheld
    assert observed == expected


@pytest.mark.parametrize("submitter_type", SUBMITTING_TYPES)
def test_the_submitter_reads_its_whole_record_even_without_consent(api, institution_of_type, submitter_type):
    record = example_record(consent={"share_identity": False, "share_assistance": False})
    submitter = api.as_(institution_of_type[submitter_type])
    record_id = submitter.submit(record)

    answer = submitter.get(f"/records/{record_id}")

    assert answer.status == 200
    assert answer.body["withheld"] == []
    assert {name: answer.body[name] for name in record} == record


@pytest.mark.parametrize("reader_type", sorted(set(ALL_TYPES) - RECORD_ROUTE_TYPES))
def test_types_without_record_routes_are_refused_every_record_route(api, institution_of_type, reader_type):
    record_id = api.as_(institution_of_type["police"]).submit(example_record())
    reader = api.as_(institution_of_type[reader_type])

    answers = [reader.post("/records", example_record()), reader.get(f"/records/{record_id}"),
               reader.patch(f"/records/{record_id}", {"status": "identified"}, headers={"If-Match": '"1"'}),
               reader.delete(f"/records/{record_id}")]

    assert [answer.status for answer in answers] == [403] * 4
    assert all(answer.body["error"]["code"] == "forbidden" for answer in answers)


@pytest.fixture
def policy_where_ngos_read_nothing(tmp_path):
    """The policy file with every ngo cell set to "never" (a stricter deployment)."""
    stricter = json.loads(json.dumps(POLICY_FILE))
    for row in stricter["sections"].values():
        row["institution_types"]["ngo"] = "never"
    path = tmp_path / "access-policy.json"
    path.write_text(json.dumps(stricter))
    return load_access_policy(path, schema_dir=paths.SCHEMAS)


def test_an_institution_that_may_see_nothing_of_a_record_gets_the_answer_for_a_missing_record(
        api, institution_of_type, policy_where_ngos_read_nothing, monkeypatch):
    # GIVEN a record submitted while the policy gave ngos no section, so no part is encrypted to their key
    with monkeypatch.context() as stricter:
        stricter.setattr(bootstrap.get_records(), "policy", policy_where_ngos_read_nothing)
        record_id = api.as_(institution_of_type["police"]).submit(example_record())
    ngo = api.as_(institution_of_type["ngo"])

    # WHEN an ngo asks for it, and for a record that does not exist
    hidden = ngo.get(f"/records/{record_id}")
    missing = ngo.get(f"/records/{uuid.uuid4()}")

    # THEN both answers are the same 404: the ngo cannot even learn that the record exists
    assert (hidden.status, hidden.body) == (missing.status, missing.body) == (404, missing.body)
    assert hidden.body["error"]["code"] == "not_found"
