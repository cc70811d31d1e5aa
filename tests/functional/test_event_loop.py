"""The local event loop drives SQS handlers as Lambda does: same event shape, a batch deleted
only when its handler returns, redelivered after the visibility timeout when it raises."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice import Chalice
from moto.server import ThreadedMotoServer

from ivdb.local.events import EventLoop
from tests.ports import free_port

REGION = "eu-central-1"
VISIBILITY_SECONDS = 1
WAIT_SECONDS = 15


class Deliveries:
    """What the handlers were given, for the test thread to wait on."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.failed_attempts = 0
        self.changed = threading.Condition()

    def wait_for(self, condition, seconds: float = WAIT_SECONDS) -> bool:
        with self.changed:
            return self.changed.wait_for(condition, timeout=seconds)


@pytest.fixture(scope="module")
def sqs() -> Iterator[Any]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("AWS_ACCESS_KEY_ID", "local")
        environment.setenv("AWS_SECRET_ACCESS_KEY", "local")
        client = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION)
        for name in ("accepted", "refused"):
            client.create_queue(QueueName=name, Attributes={"VisibilityTimeout": str(VISIBILITY_SECONDS)})
        yield client
    server.stop()


@pytest.fixture(scope="module")
def deliveries(sqs) -> Iterator[Deliveries]:
    """An app with one handler that records its events and one that always fails, under the loop."""
    seen = Deliveries()
    app = Chalice(app_name="event-loop-test")

    @app.on_sqs_message(queue="accepted", batch_size=1, name="accept")
    def accept(event):
        with seen.changed:
            seen.events.append(event.to_dict())
            seen.changed.notify_all()

    @app.on_sqs_message(queue="refused", batch_size=1, name="refuse")
    def refuse(event):
        with seen.changed:
            seen.failed_attempts += 1
            seen.changed.notify_all()
        raise RuntimeError("the handler fails")

    loop = EventLoop(app, {"accept": accept, "refuse": refuse}, lambda service: sqs.meta.endpoint_url, REGION)
    loop.start()
    yield seen
    loop.stop()


def queue_url(sqs: Any, name: str) -> str:
    return sqs.get_queue_url(QueueName=name)["QueueUrl"]


def messages_left(sqs: Any, name: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url(sqs, name), AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_a_message_reaches_its_handler_in_lambdas_sqs_event_shape_and_is_deleted(sqs, deliveries):
    # GIVEN a message on the queue the handler listens to
    sqs.send_message(QueueUrl=queue_url(sqs, "accepted"), MessageBody='{"record_id": "r-1"}')

    # WHEN the loop delivers it
    assert deliveries.wait_for(lambda: deliveries.events)

    # THEN the handler got Lambda's event for one SQS message
    (record,) = deliveries.events[0]["Records"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url(sqs, "accepted"),
                                         AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert record["body"] == '{"record_id": "r-1"}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue_arn
    assert record["awsRegion"] == REGION
    assert {"messageId", "receiptHandle", "attributes", "messageAttributes", "md5OfBody"} <= set(record)
    # AND the message is gone from the queue, never delivered again
    deadline = time.monotonic() + WAIT_SECONDS
    while messages_left(sqs, "accepted") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert messages_left(sqs, "accepted") == 0
    time.sleep(VISIBILITY_SECONDS + 1)
    assert len(deliveries.events) == 1


def test_a_message_whose_handler_fails_stays_on_the_queue_and_comes_again(sqs, deliveries):
    # GIVEN a message for the handler that raises
    sqs.send_message(QueueUrl=queue_url(sqs, "refused"), MessageBody='{"record_id": "r-2"}')

    # THEN it is delivered again once the visibility timeout has passed
    assert deliveries.wait_for(lambda: deliveries.failed_attempts >= 2, seconds=WAIT_SECONDS)
    # AND it is still on the queue
    assert messages_left(sqs, "refused") == 1


def test_a_scheduled_function_runs_every_interval_with_a_scheduled_event_and_again_after_failing():
    # GIVEN an app with a daily function that fails on its first run, under a loop that
    # runs schedules every tenth of a second
    seen = Deliveries()
    app = Chalice(app_name="schedule-test")

    @app.schedule("rate(1 day)", name="nightly")
    def nightly(event):
        with seen.changed:
            seen.events.append(event.to_dict())
            seen.changed.notify_all()
        if len(seen.events) == 1:
            raise RuntimeError("the first run fails")

    loop = EventLoop(app, {"nightly": nightly}, lambda service: "http://127.0.0.1:1", REGION, schedule_seconds=0.1)
    loop.start()
    try:
        # THEN it runs again after the failed run
        assert seen.wait_for(lambda: len(seen.events) >= 3)
    finally:
        loop.stop()

    # AND each run had EventBridge's scheduled event
    event = seen.events[0]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["region"] == REGION
    assert event["resources"][0].endswith(":rule/nightly")
    assert len({e["id"] for e in seen.events}) == len(seen.events)
