"""`ivdb institutions`: the institutions of the registry, as JSON."""

from __future__ import annotations

import argparse
import json

from ivdb import paths
from ivdb.local.stack import load_institutions


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("institutions", help="list the institutions (id, type, name) as JSON")
    parser.add_argument("--registry", default=str(paths.DEMO_INSTITUTIONS),
                        help="an institution registry file (default: the demo institutions)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(load_institutions(args.registry), indent=2, ensure_ascii=False))
    return 0
