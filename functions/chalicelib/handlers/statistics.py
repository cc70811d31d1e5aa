"""Keeps the statistics projection current, from the statistics queue the linkage feeds.

A message only names persons whose records changed; the service counts each as their
records are now, so a repeated, late or reordered message changes nothing. A failure
raises, the batch returns to the queue and, after its last attempt, to the dead-letter queue.
"""

from __future__ import annotations

import json

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.settings import event_source_arn

statistics_updates = Blueprint(__name__)


@statistics_updates.on_sqs_message(queue_arn=event_source_arn(bootstrap.get_settings().statistics_queue_arn),
                                   batch_size=10, name="update_statistics")
def update_statistics(event):
    bootstrap.get_statistics().refresh(
        person_id for message in event for person_id in json.loads(message.body)["person_ids"])
