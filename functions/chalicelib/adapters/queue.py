"""Messages to an SQS queue, in batches; a message that SQS refuses fails the whole call,
so that the caller's event is retried and nothing is lost."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import Unavailable

SQS_BATCH = 10


class SqsQueue:
    def __init__(self, sqs: Any, queue_name: str) -> None:
        self._sqs = sqs
        self._queue_name = queue_name
        self._url: str | None = None

    def _queue_url(self) -> str:
        if self._url is None:
            self._url = self._sqs.get_queue_url(QueueName=self._queue_name)["QueueUrl"]
        return self._url

    def send(self, messages: Iterable[Mapping[str, Any]]) -> None:
        pending = [json.dumps(message, sort_keys=True) for message in messages]
        try:
            for start in range(0, len(pending), SQS_BATCH):
                batch = pending[start:start + SQS_BATCH]
                answer = self._sqs.send_message_batch(QueueUrl=self._queue_url(), Entries=[
                    {"Id": str(index), "MessageBody": body} for index, body in enumerate(batch)])
                if answer.get("Failed"):
                    raise Unavailable("the queue refused some messages")
        except (ClientError, BotoCoreError) as e:
            raise Unavailable("the queue is unavailable") from e
