"""The relay turns committed record changes into linkage messages, and only content changes."""

import os

from chalicelib.handlers.relay import linkage_messages

from tests.events import load_event

RECORD_ID = "0b7e4c1e-5d1a-4c1e-9a53-2f4f3c1a9e01"


def test_submit_update_and_withdrawal_each_become_one_message():
    # GIVEN a stream batch with an insert, a person-id update, a content update and a removal
    records = load_event("relay-record-changes")["Records"]

    # WHEN the relay reads it
    messages = linkage_messages(records)

    # THEN the linkage hears of the three content changes, in order, with their versions
    assert messages == [
        {"record_id": RECORD_ID, "change": "submitted", "version": 1},
        {"record_id": RECORD_ID, "change": "updated", "version": 2},
        {"record_id": RECORD_ID, "change": "withdrawn", "version": 2},
    ]


def test_the_linkage_setting_a_person_id_does_not_trigger_the_linkage_again():
    person_id_only = load_event("relay-record-changes")["Records"][1]
    assert linkage_messages([person_id_only]) == []


def test_every_function_of_the_app_has_a_sample_event():
    from chalice.cli.factory import CLIFactory

    from ivdb import paths

    os.environ.setdefault("IVDB_RECORDS_STREAM_ARN", load_event("relay-record-changes")["Records"][0]["eventSourceARN"])
    app = CLIFactory(project_dir=str(paths.FUNCTIONS)).load_chalice_app()
    names = {source.name.replace("_", "-") for source in app.event_sources}
    samples = {path.stem for path in (paths.REPOSITORY / "events").glob("*.json")}
    assert names <= samples
    assert any(sample.startswith("api-") for sample in samples)
