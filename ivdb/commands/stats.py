"""``ivdb stats``: the statistics table of a running local stack; ``ivdb stats rebuild``: recount it.

``ivdb stats`` calls GET /statistics as the stack's national coordinator (a token signed with
the stack's key, as ``ivdb token`` makes) and prints the table; ``--format csv`` or ``json``
prints the API's answer as it is. ``ivdb stats rebuild`` recounts the projection from the
records in this process, with the functions' own code and the stack's environment, as
``ivdb audit verify`` reads the audit log. A rebuild that stops half-way is run again.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import requests

from ivdb.local.state import NoLocalStack, entered_stack, read_state
from ivdb.local.tokens import sign_token

TOKEN_LIFETIME_SECONDS = 300
REQUEST_TIMEOUT_SECONDS = 30
REFUSED, NOT_RUN = 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "stats", help="the statistics table of a local stack; `ivdb stats rebuild` recounts it",
        description="Print counts of persons from the local stack's GET /statistics, as its national "
                    "coordinator. Any other dimension filters with --filter NAME=VALUE[,VALUE].")
    parser.add_argument("--group-by", default="", help="up to three dimensions, comma-separated (sex,age_band)")
    parser.add_argument("--from", dest="date_from", help="first month: YYYY-MM or the first day of a month")
    parser.add_argument("--to", dest="date_to", help="last month: YYYY-MM or the last day of a month")
    parser.add_argument("--filter", action="append", default=[], metavar="NAME=VALUE",
                        help="keep the persons with this value (repeatable)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table", help="default: table")
    parser.add_argument("--institution", help="the coordinator to ask as (default: the stack's first)")
    parser.add_argument("--port", type=int, default=8000, help="the local stack's API port (default 8000)")
    parser.set_defaults(func=run_table)
    commands = parser.add_subparsers(dest="stats_command")
    rebuild = commands.add_parser("rebuild", help="recount the projection from the records",
                                  description="Recount the statistics projection of the local stack from its "
                                              "records and persons. Queries answer 503 until it ends.")
    rebuild.add_argument("--port", type=int, default=8000, help="the local stack's API port (default 8000)")
    rebuild.set_defaults(func=run_rebuild)


def _query_parameters(args: argparse.Namespace) -> list[tuple[str, str]] | None:
    parameters = [(name, value) for name, value in (("group_by", args.group_by), ("from", args.date_from),
                                                    ("to", args.date_to)) if value]
    for entry in args.filter:
        name, separator, value = entry.partition("=")
        if not separator or not name:
            print("ivdb stats: --filter takes NAME=VALUE", file=sys.stderr)
            return None
        parameters.append((name, value))
    if args.format == "csv":
        parameters.append(("format", "csv"))
    return parameters


def run_table(args: argparse.Namespace) -> int:
    try:
        state = read_state(args.port)
    except NoLocalStack as e:
        print(f"ivdb stats: {e}", file=sys.stderr)
        return NOT_RUN
    coordinators = [entry for entry in state["institutions"] if entry["type"] == "coordinator"
                    and (args.institution is None or entry["id"] == args.institution)]
    if not coordinators:
        print("ivdb stats: no such coordinator on this stack (see `ivdb institutions`)", file=sys.stderr)
        return NOT_RUN
    parameters = _query_parameters(args)
    if parameters is None:
        return NOT_RUN
    token = sign_token(state["signing_key"], coordinators[0], TOKEN_LIFETIME_SECONDS, state["issuer"],
                       state["audience"])
    try:
        response = requests.get(f"{state['api_url']}/statistics", params=parameters, timeout=REQUEST_TIMEOUT_SECONDS,
                                headers={"Authorization": f"Bearer {token}"})
    except requests.ConnectionError:
        print(f"ivdb stats: the local stack at {state['api_url']} does not answer", file=sys.stderr)
        return NOT_RUN
    if response.status_code != 200:
        _print_error(response)
        return REFUSED
    if args.format == "table":
        print(render_table(response.json()))
    else:
        sys.stdout.write(response.text if args.format == "csv" else response.text + "\n")
    return 0


def _print_error(response: requests.Response) -> None:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        print(f"ivdb stats: the API answered {response.status_code}", file=sys.stderr)
        return
    print(f"ivdb stats: {response.status_code} {error.get('message', '')}", file=sys.stderr)
    for problem in error.get("details", []):
        print(f"  {problem['path']}: {problem['message']}", file=sys.stderr)


def render_table(answer: dict[str, Any]) -> str:
    """Aligned columns, one row per cell, the total last; a suppressed count shows as ``x``."""
    first_cell = answer["cells"][0] if answer["cells"] else {}
    dimensions = [name for name in first_cell if name not in ("count", "suppressed")]

    def shown(count: int | None) -> str:
        return "x" if count is None else str(count)

    rows = [[*dimensions, "persons"]]
    if dimensions:
        rows += [[str(cell[name]) for name in dimensions] + [shown(cell["count"])] for cell in answer["cells"]]
        rows.append(["total"] * len(dimensions) + [shown(answer["total"])])
    else:
        rows.append([shown(answer["total"])])
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip() for row in rows]
    notes = [f"x: suppressed (1 to {answer['threshold']} persons, or to protect such a cell)"]
    if answer.get("multi_valued"):
        notes.append("a person counts once under each of their values of " + ", ".join(answer["multi_valued"]))
    return "\n".join(lines + [""] + notes)


def run_rebuild(args: argparse.Namespace) -> int:
    if not entered_stack(args.port, "ivdb stats rebuild"):
        return NOT_RUN
    from chalicelib import bootstrap
    from chalicelib.domain.errors import Unavailable
    from chalicelib.services.statistics import RebuildTakenOver

    try:
        counted = bootstrap.get_statistics().rebuild()
    except (Unavailable, RebuildTakenOver) as e:
        print(f"ivdb stats rebuild: {e}; run it again", file=sys.stderr)
        return NOT_RUN
    print(f"rebuilt: {counted} persons counted")
    return 0
