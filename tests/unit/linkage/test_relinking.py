"""Every record goes on the linkage queue again, named, never described, in batches whose
progress a failure does not undo."""

import pytest

from chalicelib.domain.errors import Unavailable
from chalicelib.services.linkage_queue import QUEUED_TOGETHER, queue_every_record

RECORDS = [(f"record-{number}", number % 3 + 1) for number in range(QUEUED_TOGETHER * 2 + 7)]


def test_every_record_is_queued_once_with_its_version_as_the_relay_names_a_change():
    sent = []

    queued = queue_every_record(iter(RECORDS), sent.append)

    assert queued == len(RECORDS)
    assert [len(batch) for batch in sent] == [QUEUED_TOGETHER, QUEUED_TOGETHER, 7]
    messages = [message for batch in sent for message in batch]
    assert [(m["record_id"], m["version"]) for m in messages] == RECORDS
    assert {tuple(sorted(m)) for m in messages} == {("change", "record_id", "version")}
    assert {m["change"] for m in messages} == {"relinked"}


def test_no_records_sends_nothing():
    sent = []
    assert queue_every_record([], sent.append) == 0
    assert sent == []


def test_a_queue_failing_half_way_is_an_error_and_what_went_before_stays_sent():
    sent = []

    def send(batch):
        if sent:
            raise Unavailable("the queue is unavailable")
        sent.append(batch)

    with pytest.raises(Unavailable):
        queue_every_record(RECORDS, send)
    assert [m["record_id"] for m in sent[0]] == [record_id for record_id, _ in RECORDS[:QUEUED_TOGETHER]]
