"""Relays committed record changes from the records table's stream to the linkage queue.

The stream is the outbox: a change is on it exactly when its transaction committed, so a
record and its linkage message cannot part. A batch that fails is retried by Lambda from
the same position; linkage is idempotent, so a repeated message changes nothing.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.services.linkage_queue import linkage_message

relay = Blueprint(__name__)

CHANGE_BY_EVENT = {"INSERT": "submitted", "MODIFY": "updated", "REMOVE": "withdrawn"}


def _version(image: dict[str, Any] | None) -> int | None:
    return int(image["version"]["N"]) if image and "version" in image else None


def linkage_messages(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One message per content change. A modification that leaves the version alone (the
    linkage setting a person id) is not a change to link again."""
    messages = []
    for record in records:
        change = record["dynamodb"]
        old, new = change.get("OldImage"), change.get("NewImage")
        if record["eventName"] == "MODIFY" and _version(old) == _version(new):
            continue
        messages.append(linkage_message(change["Keys"]["record_id"]["S"], CHANGE_BY_EVENT[record["eventName"]],
                                        _version(new) or _version(old)))
    return messages


@relay.on_dynamodb_record(stream_arn=bootstrap.get_settings().records_stream_arn, name="relay_record_changes",
                          batch_size=100, starting_position="TRIM_HORIZON")
def relay_record_changes(event):
    messages = linkage_messages(event.to_dict()["Records"])
    if messages:
        bootstrap.get_linkage_queue().send(messages)
