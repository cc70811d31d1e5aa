"""What the linkage queue carries, and putting every record on it again.

A message names a record, never its content: the linkage function links whatever the
records table holds when the message arrives. The change and version say why it was sent,
for whoever reads the queue or its dead letters.

The linkage keeps each record's encodings and blocks as the engine made them when the
record was last linked. When the engine changes how it encodes or blocks (a new kind of
token, a new blocking key) or the linkage key changes, records stored before the change
are compared and found the old way until they are linked again: ``queue_every_record``
puts them all on the queue. Linking a record whose encoding the change left alone changes
nothing, and a reviewer's decisions stand, so it may be run again, or stopped and run
again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

RELINKED = "relinked"
QUEUED_TOGETHER = 500
"""Records put on the queue per call of ``send``: progress that a failure does not undo."""


def linkage_message(record_id: str, change: str, version: int | None) -> dict[str, Any]:
    return {"record_id": record_id, "change": change, "version": version}


def queue_every_record(versions: Iterable[tuple[str, int]],
                       send: Callable[[list[Mapping[str, Any]]], None]) -> int:
    """Puts each (record id, version) on the linkage queue to be linked again; returns how
    many. A failure of ``send`` propagates: what was sent before it stays sent."""
    queued = 0
    for chunk in _chunks(iter(versions), QUEUED_TOGETHER):
        send([linkage_message(record_id, RELINKED, version) for record_id, version in chunk])
        queued += len(chunk)
    return queued


def _chunks(items: Iterator[tuple[str, int]], size: int) -> Iterator[list[tuple[str, int]]]:
    while chunk := list(islice(items, size)):
        yield chunk
