"""Links each changed record, from the linkage queue the records stream feeds.

A message only names a record; the handler links whatever the records table holds now,
so a repeated, late or reordered message changes nothing. A failure raises, the batch
returns to the queue and, after its last attempt, to the dead-letter queue.
"""

from __future__ import annotations

import json

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.settings import event_source_arn

linkage_updates = Blueprint(__name__)


@linkage_updates.on_sqs_message(queue_arn=event_source_arn(bootstrap.get_settings().linkage_queue_arn), batch_size=10,
                                name="link_records")
def link_records(event):
    linkage = bootstrap.get_linking()
    for message in event:
        linkage.link_record(json.loads(message.body)["record_id"])
