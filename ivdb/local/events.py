"""Drives the app's event handlers from the emulator's queues and streams, as Lambda would.

For every SQS and DynamoDB-stream event source the Chalice app declares, a poller thread
reads the emulator and calls the very handler Lambda would call, with an event of the same
shape. Failures keep Lambda's semantics: an SQS batch that raises is not deleted (the
queue redelivers it and, after maxReceiveCount, moves it to its dead-letter queue); a
stream batch that raises is retried from the same position, so no change is skipped.

A scheduled function runs every ``schedule_seconds`` whatever its schedule says (once a
day on AWS), so that what it does is seen while one works on a laptop; a run that raises
is logged, and the next one comes as scheduled, as on AWS.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
from chalice.app import Chalice, DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]
IDLE_SECONDS = 0.2
RETRY_SECONDS = 1.0
SCHEDULE_SECONDS = 60.0


class LambdaContext:
    """The parts of Lambda's context object that handlers may read."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 1024

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [{
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    } for message in messages]}


def scheduled_event(rule_name: str, region: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "resources": [f"arn:aws:events:{region}:000000000000:rule/{rule_name}"],
        "detail": {},
    }


def stream_event(records: list[dict[str, Any]], stream_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [{**record, "eventSourceARN": stream_arn, "awsRegion": region}
                        for record in records]}


class EventLoop:
    """One poller thread per event source of the app; `stop` ends them all."""

    def __init__(self, app: Chalice, handlers: dict[str, Handler], endpoint: Callable[[str], str],
                 region: str, schedule_seconds: float = SCHEDULE_SECONDS) -> None:
        self._app = app
        self._schedule_seconds = schedule_seconds
        self._handlers = handlers
        self._endpoint = endpoint
        self._region = region
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def _client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self._endpoint(service), region_name=self._region)

    def start(self) -> None:
        for source in self._app.event_sources:
            handler = self._handlers[source.name]
            if isinstance(source, SQSEventConfig):
                target = self._poll_queue
            elif isinstance(source, DynamoDBEventConfig):
                target = self._poll_stream
            elif isinstance(source, ScheduledEventConfig):
                target = self._run_on_schedule
            else:
                raise ValueError(f"the local stack cannot drive the event source of {source.name}")
            thread = threading.Thread(target=target, args=(source, handler), name=source.name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()

    def _invoke(self, source_name: str, handler: Handler, event: dict[str, Any],
                after_failure: str = "the batch will be delivered again") -> bool:
        try:
            handler(event, LambdaContext(source_name))
        except Exception as e:
            logger.error("%s failed with %s; %s", source_name, type(e).__name__, after_failure)
            return False
        return True

    def _run_on_schedule(self, source: ScheduledEventConfig, handler: Handler) -> None:
        while not self._stopping.wait(self._schedule_seconds):
            self._invoke(source.name, handler, scheduled_event(source.name, self._region),
                         after_failure="it runs again as scheduled")

    def _poll_queue(self, source: SQSEventConfig, handler: Handler) -> None:
        sqs = self._client("sqs")
        queue_name = source.queue or source.queue_arn.rpartition(":")[2]
        queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        while not self._stopping.is_set():
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=min(source.batch_size, 10),
                                           WaitTimeSeconds=1, AttributeNames=["All"],
                                           MessageAttributeNames=["All"]).get("Messages", [])
            if not messages:
                continue
            if self._invoke(source.name, handler, sqs_event(messages, queue_arn, self._region)):
                sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(messages)])

    def _poll_stream(self, source: DynamoDBEventConfig, handler: Handler) -> None:
        streams = self._client("dynamodbstreams")
        iterators: dict[str, str | None] = {}
        last_delivered: dict[str, str] = {}

        def position(shard_id: str) -> str:
            """An iterator after the last record delivered from the shard, or at its oldest."""
            where: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
            if shard_id in last_delivered:
                where = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last_delivered[shard_id]}
            return streams.get_shard_iterator(StreamArn=source.stream_arn, ShardId=shard_id, **where)["ShardIterator"]

        while not self._stopping.is_set():
            for shard in streams.describe_stream(StreamArn=source.stream_arn)["StreamDescription"]["Shards"]:
                if shard["ShardId"] not in iterators:
                    iterators[shard["ShardId"]] = position(shard["ShardId"])
            delivered = False
            for shard_id, iterator in list(iterators.items()):
                if iterator is None:
                    continue
                try:
                    answer = streams.get_records(ShardIterator=iterator, Limit=source.batch_size)
                except (streams.exceptions.TrimmedDataAccessException, streams.exceptions.ExpiredIteratorException):
                    # DynamoDB Local refuses an iterator taken at TRIM_HORIZON while the shard was empty
                    iterators[shard_id] = position(shard_id)
                    continue
                if answer["Records"]:
                    delivered = True
                    event = stream_event(answer["Records"], source.stream_arn, self._region)
                    if not self._invoke(source.name, handler, event):
                        time.sleep(RETRY_SECONDS)
                        continue
                    last_delivered[shard_id] = answer["Records"][-1]["dynamodb"]["SequenceNumber"]
                iterators[shard_id] = answer.get("NextShardIterator")
            if not delivered:
                self._stopping.wait(IDLE_SECONDS)
