"""Submitting, updating and withdrawing a record: who may, retries, conflicts, versions, the audit log."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib import bootstrap
from chalicelib.domain.sections import SectionUnreadable
from tests.functional.records.record_api import example_record

CONCURRENT_WRITERS = 5


@pytest.fixture
def police(api):
    return api.as_("kp-dthb")


@pytest.mark.parametrize("other, status", [("pps-victim-advocates", 403), ("csw-prizren", 403),
                                           ("ngo-safe-house", 403)])
def test_another_institution_may_not_change_or_withdraw_a_record(api, police, other, status):
    record_id = police.submit(example_record())
    intruder = api.as_(other)

    patched = intruder.patch(f"/records/{record_id}", {"status": "identified"}, headers={"If-Match": "1"})
    withdrawn = intruder.delete(f"/records/{record_id}")

    assert (patched.status, withdrawn.status) == (status, status)
    assert police.get(f"/records/{record_id}").body["status"] == "presumed"


def test_an_institution_that_cannot_see_a_record_is_told_it_does_not_exist_when_changing_it(api, police, tables,
                                                                                            aws):
    # GIVEN a record whose every part was encrypted without the ngo key (the meta part narrowed to the submitter)
    record_id = police.submit(example_record())
    item = tables.dynamodb.get_item(TableName=aws.environment["IVDB_RECORDS_TABLE"],
                                    Key={"record_id": {"S": record_id}})["Item"]
    item["parts"]["M"]["meta"] = item["parts"]["M"]["reference"]
    tables.dynamodb.put_item(TableName=aws.environment["IVDB_RECORDS_TABLE"], Item=item)
    ngo = api.as_("ngo-safe-house")

    answers = [ngo.patch(f"/records/{record_id}", {"status": "identified"}, headers={"If-Match": "1"}),
               ngo.delete(f"/records/{record_id}")]

    assert [answer.status for answer in answers] == [404, 404]


def test_a_retried_submission_returns_the_first_answer(police):
    record = example_record()
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = police.post("/records", record, headers=key)
    retry = police.post("/records", record, headers=key)

    assert first.status == retry.status == 201
    assert retry.body == first.body


def test_an_idempotency_key_reused_with_another_body_is_a_conflict(police):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert police.post("/records", example_record(), headers=key).status == 201

    reused = police.post("/records", example_record(), headers=key)

    assert reused.status == 409
    assert reused.body["error"]["code"] == "conflict"


def test_a_source_reference_is_unique_per_institution(api, police):
    record = example_record()
    police.submit(record)

    again = police.post("/records", record)
    by_another_institution = api.as_("pps-victim-advocates").post("/records", record)

    assert again.status == 409
    assert by_another_institution.status == 201


def test_a_patch_needs_the_version_it_changes(police):
    record_id = police.submit(example_record())

    without = police.patch(f"/records/{record_id}", {"status": "identified"})
    assert without.status == 400
    assert [problem["path"] for problem in without.body["error"]["details"]] == ["/headers/If-Match"]

    assert police.patch(f"/records/{record_id}", {"status": "identified"}, headers={"If-Match": "1"}).status == 200
    stale = police.patch(f"/records/{record_id}", {"status": "not_confirmed"}, headers={"If-Match": "1"})
    assert stale.status == 412
    current = police.get(f"/records/{record_id}")
    assert (current.body["version"], current.body["status"], current.headers["ETag"]) == (2, "identified", '"2"')


def test_concurrent_patches_of_one_version_let_exactly_one_through(police):
    # GIVEN a record at version 1
    record_id = police.submit(example_record())
    statuses = ["identified", "not_confirmed", "recognised_in_proceedings", "identified", "not_confirmed"][:CONCURRENT_WRITERS]

    # WHEN several writers patch version 1 at the same time
    def patch(status):
        return police.patch(f"/records/{record_id}", {"status": status}, headers={"If-Match": "1"})

    with ThreadPoolExecutor(CONCURRENT_WRITERS) as writers:
        answers = list(writers.map(patch, statuses))

    # THEN one wins, every other gets 412, and the record holds the winner's change at version 2
    codes = sorted(answer.status for answer in answers)
    assert codes == [200] + [412] * (CONCURRENT_WRITERS - 1)
    winner = next(status for status, answer in zip(statuses, answers) if answer.status == 200)
    current = police.get(f"/records/{record_id}").body
    assert (current["version"], current["status"]) == (2, winner)


def test_withdrawing_consent_re_encrypts_identity_without_the_social_welfare_key(api, police, tables, aws):
    # GIVEN a record whose identity social welfare reads with consent
    record = example_record(consent={"share_identity": True, "share_assistance": True})
    record_id = police.submit(record)
    social_welfare = api.as_("csw-prizren")
    assert social_welfare.get(f"/records/{record_id}").body["identity"] == record["identity"]

    # WHEN the submitter withdraws that consent
    answer = police.patch(f"/records/{record_id}", {"consent": {"share_identity": False}}, headers={"If-Match": "1"})
    assert (answer.status, answer.body["version"]) == (200, 2)

    # THEN social welfare is told identity is withheld, and the stored identity no longer opens with its key
    after = social_welfare.get(f"/records/{record_id}").body
    assert "identity" not in after and "identity" in after["withheld"]
    assert after["assistance"] == record["assistance"]
    item = tables.dynamodb.get_item(TableName=aws.environment["IVDB_RECORDS_TABLE"],
                                    Key={"record_id": {"S": record_id}}, ConsistentRead=True)["Item"]
    context = {"record_id": record_id, "section": "identity", "submitter": "kp-dthb"}
    with pytest.raises(SectionUnreadable):
        bootstrap.get_section_cipher().decrypt(item["parts"]["M"]["identity"]["B"], "type:social_welfare", context)


def audit_entries(api, record_id: str) -> list[dict]:
    """Every audit entry of one record, following the pages."""
    auditor, entries, after = api.as_("dpo"), [], 0
    while True:
        page = auditor.get(f"/audit?record_id={record_id}&after={after}")
        assert page.status == 200, page.text
        entries.extend(page.body["entries"])
        if page.body["next"] is None:
            return entries
        after = page.body["next"]


def test_a_withdrawn_record_is_gone_everywhere_but_the_audit_log(api, police, tables):
    # GIVEN a record submitted with an idempotency key
    record = example_record()
    record_id = police.submit(record, headers={"Idempotency-Key": str(uuid.uuid4())})

    # WHEN its submitter withdraws it
    withdrawn = police.delete(f"/records/{record_id}")

    # THEN it is gone for everyone, from the records and the uniques, and the audit log keeps the withdrawal
    assert (withdrawn.status, withdrawn.text) == (204, "")
    for institution in ("kp-dthb", "pps-victim-advocates", "csw-prizren", "ngo-safe-house"):
        assert api.as_(institution).get(f"/records/{record_id}").status == 404, institution
    assert police.delete(f"/records/{record_id}").status == 404
    assert [item for item in tables.items("IVDB_RECORDS_TABLE") if item["record_id"] == record_id] == []
    assert [item for item in tables.items("IVDB_UNIQUES_TABLE") if item.get("record_id") == record_id] == []
    assert "withdraw" in [entry["action"] for entry in audit_entries(api, record_id)]
    assert police.post("/records", record).status == 201


def test_the_auditor_sees_who_submitted_read_updated_and_withdrew_a_record(api, police):
    record_id = police.submit(example_record())
    api.as_("csw-prizren").get(f"/records/{record_id}")
    police.patch(f"/records/{record_id}", {"status": "identified"}, headers={"If-Match": "1"})
    police.delete(f"/records/{record_id}")

    entries = audit_entries(api, record_id)

    assert [(entry["action"], entry["institution_id"], entry["institution_type"]) for entry in entries] == [
        ("submit", "kp-dthb", "police"), ("read", "csw-prizren", "social_welfare"),
        ("update", "kp-dthb", "police"), ("withdraw", "kp-dthb", "police")]
    assert {entry["record_id"] for entry in entries} == {record_id}
    sequences = [entry["sequence"] for entry in entries]
    assert sequences == sorted(sequences)


@pytest.mark.parametrize("institution", ["kp-dthb", "pps-victim-advocates", "csw-prizren", "ngo-safe-house",
                                         "mia-national-coordinator", "linkage-review"])
def test_only_the_auditor_reads_the_audit_log(api, institution):
    answer = api.as_(institution).get("/audit")
    assert (answer.status, answer.body["error"]["code"]) == (403, "forbidden")
