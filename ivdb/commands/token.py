"""`ivdb token --institution ID`: a bearer token from a running local stack's key."""

from __future__ import annotations

import argparse
import sys

from ivdb.local.state import NoLocalStack, read_state
from ivdb.local.tokens import sign_token


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("token", help="print a bearer token for an institution (local stacks only)")
    parser.add_argument("--institution", required=True, help="the institution's id (see `ivdb institutions`)")
    parser.add_argument("--port", type=int, default=8000, help="the local stack's API port (default 8000)")
    parser.add_argument("--lifetime", type=int, default=3600, help="seconds until the token expires")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        state = read_state(args.port)
    except NoLocalStack as e:
        print(f"ivdb token: {e}", file=sys.stderr)
        return 1
    institution = next((entry for entry in state["institutions"] if entry["id"] == args.institution), None)
    if institution is None:
        print(f"ivdb token: no institution {args.institution!r} on this stack (see `ivdb institutions`)",
              file=sys.stderr)
        return 1
    print(sign_token(state["signing_key"], institution, args.lifetime, state["issuer"], state["audience"]))
    return 0
