"""The `ivdb` command line."""

from __future__ import annotations

import argparse
import importlib
import sys

from ivdb import paths

COMMANDS = ("local", "institutions", "token", "import_records", "audit", "stats", "provision", "link",
            "relink", "evaluate_linkage")


def _make_importable() -> None:
    """The functions' code (chalicelib) and infra/ are imported from the checkout."""
    for folder in (paths.FUNCTIONS, paths.REPOSITORY):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="ivdb", description="Interinstitutional victim database")
    subparsers = root.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"ivdb.commands.{name}").register(subparsers)
    return root


def main(argv: list[str] | None = None) -> int:
    _make_importable()
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
