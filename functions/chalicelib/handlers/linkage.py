"""Links each changed record, from the linkage queue the records stream feeds; once a day,
weighs the pending reviews again.

A message only names a record; the handler links whatever the records table holds now,
so a repeated, late or reordered message changes nothing. A failure raises, the batch
returns to the queue and, after its last attempt, to the dead-letter queue.

A review was weighed when its newer record arrived; the nightly run weighs it again with
what the database has learnt since (services/linkage.py, ``reconsider_reviews``), and
stops while the function still has time to finish the review in hand.
"""

from __future__ import annotations

import json
import logging

from chalice import Blueprint, Rate

from chalicelib import bootstrap
from chalicelib.settings import event_source_arn

logger = logging.getLogger(__name__)

linkage_updates = Blueprint(__name__)

TIME_KEPT_IN_HAND_MS = 10_000
"""What one reconsideration may take at most, with room to spare: the run stops before then."""


@linkage_updates.on_sqs_message(queue_arn=event_source_arn(bootstrap.get_settings().linkage_queue_arn), batch_size=10,
                                name="link_records")
def link_records(event):
    linkage = bootstrap.get_linking()
    for message in event:
        linkage.link_record(json.loads(message.body)["record_id"])


@linkage_updates.schedule(Rate(1, unit=Rate.DAYS), name="reconsider_reviews")
def reconsider_reviews(event):
    context = event.context
    outcome = bootstrap.get_linking().reconsider_reviews(
        lambda: context.get_remaining_time_in_millis() > TIME_KEPT_IN_HAND_MS)
    logger.info("reconsidered %(reconsidered)d of %(pending)d pending reviews; %(linked)d now linked", outcome)
