"""Whatever valid record an institution submits, it reads back exactly."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.functional.records.record_api import unique_reference
from tests.strategies import record_documents

SECTIONS = ("identity", "statistical", "case", "assistance")
RECORD_SUBMITTERS = ("kp-dthb", "pps-victim-advocates", "csw-prizren", "ngo-safe-house", "ngo-legal-aid")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=record_documents(), submitter=st.sampled_from(RECORD_SUBMITTERS))
def test_the_submitter_reads_back_exactly_what_it_submitted(api, document, submitter):
    # GIVEN a generated record, its source reference made unique to this run
    document["source_reference"] = unique_reference(document["source_reference"][:24])
    # WHEN a random institution submits it and reads it back
    institution = api.as_(submitter)
    record_id = institution.submit(document)
    answer = institution.get(f"/records/{record_id}")
    # THEN the same status, consent, source reference and sections come back, nothing withheld or added
    assert answer.status == 200, answer.text
    assert {name: answer.body.get(name) for name in document} == document
    assert {section for section in SECTIONS if section in answer.body} == set(SECTIONS) & set(document)
    assert answer.body["withheld"] == []
    assert (answer.body["record_id"], answer.body["institution"], answer.body["version"]) == (record_id, submitter, 1)
