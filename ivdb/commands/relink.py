"""``ivdb relink``: put every record of a running local stack on its linkage queue again.

After a change to how the engine encodes or blocks records, or to the linkage key, the
records stored before it are compared the old way until they are linked again
(services/linkage_queue.py). The command reads only record ids and versions, with the
functions' own code and the stack's environment, as ``ivdb stats rebuild`` does; the
stack's linkage function links each record, as after any change. Run again after a
failure: a record linked twice is linked once.
"""

from __future__ import annotations

import argparse
import sys

from ivdb.local.state import entered_stack

NOT_RUN = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "relink", help="link every record of a local stack again, after the linkage engine or its key changed",
        description="Put every record of the local stack on its linkage queue, so that each is encoded, "
                    "blocked and linked as the engine now does. Records the change left alone, and "
                    "reviewers' decisions, stay as they are.")
    parser.add_argument("--port", type=int, default=8000, help="the local stack's API port (default 8000)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not entered_stack(args.port, "ivdb relink"):
        return NOT_RUN
    from chalicelib import bootstrap
    from chalicelib.domain.errors import Unavailable
    from chalicelib.services.linkage_queue import queue_every_record

    try:
        queued = queue_every_record(bootstrap.get_records().versions(), bootstrap.get_linkage_queue().send)
    except Unavailable as e:
        print(f"ivdb relink: {e}; run it again", file=sys.stderr)
        return NOT_RUN
    print(f"queued: {queued} records to link again")
    return 0
