"""``ivdb audit verify``: checks the audit chain of a running local stack.

Reads every entry with the functions' own adapter and MAC key (the stack's state file names
the tables, keys and endpoints), so it checks exactly what the API wrote. Prints OK with
the number of entries, or every break; exits 1 on a break, 2 when it cannot check.
"""

from __future__ import annotations

import argparse
import sys

from ivdb.local.state import entered_stack

CHAIN_BROKEN = 1
NOT_CHECKED = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="the audit log of a local stack")
    commands = parser.add_subparsers(dest="audit_command", required=True)
    verify = commands.add_parser("verify", help="check that no audit entry was edited, removed or reordered",
                                 description="Check the audit chain of the local stack: exit 0 when it is "
                                             "intact, 1 on a break, 2 when it cannot be read.")
    verify.add_argument("--port", type=int, default=8000, help="the local stack's API port (default 8000)")
    verify.set_defaults(func=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    if not entered_stack(args.port, "ivdb audit verify"):
        return NOT_CHECKED
    from chalicelib import bootstrap
    from chalicelib.domain.audit import chain_problems
    from chalicelib.domain.errors import Unavailable

    log = bootstrap.get_audit_log()
    try:
        newest_change = log.newest_change()
        entries = list(log.entries(0))
        problems = chain_problems(entries, newest_change, bootstrap.audit_mac())
    except Unavailable as e:
        print(f"ivdb audit verify: {e}", file=sys.stderr)
        return NOT_CHECKED
    if problems:
        print(f"BROKEN: {len(problems)} problem(s) in the audit chain of {len(entries)} entries")
        for problem in problems:
            print(f"  {problem}")
        return CHAIN_BROKEN
    print(f"OK: the audit chain of {len(entries)} entries is intact")
    return 0
