"""What a running local stack tells the other commands (`ivdb token`, `ivdb import`, …):
its URLs, its institutions and its signing key, in a file readable by the developer only."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


class NoLocalStack(Exception):
    """No local stack is running on that port."""


def state_home() -> Path:
    override = os.environ.get("IVDB_STATE_DIR")
    if override:
        return Path(override)
    return Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "ivdb"


def state_file(port: int) -> Path:
    return state_home() / f"stack-{port}.json"


def write_state(port: int, state: dict[str, Any]) -> Path:
    path = state_file(port)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file left by an earlier run keeps its mode through O_CREAT
    with os.fdopen(descriptor, "w") as file:
        json.dump(state, file)
    return path


def read_state(port: int) -> dict[str, Any]:
    path = state_file(port)
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError as e:
        raise NoLocalStack(f"no local stack is running on port {port}: start one with `ivdb local`") from e
    if not _alive(state["pid"]):
        raise NoLocalStack(f"the local stack on port {port} is no longer running: start one with `ivdb local`")
    return state


def enter_stack(port: int) -> None:
    """Points this process at the running local stack's tables, keys and endpoints, as its
    functions see them, so that a command runs the functions' own code against it."""
    os.environ.update(read_state(port)["environment"])


def entered_stack(port: int, command: str) -> bool:
    """``enter_stack``; when no stack runs on ``port``, says so as ``command`` and is False."""
    try:
        enter_stack(port)
    except NoLocalStack as e:
        print(f"{command}: {e}", file=sys.stderr)
        return False
    return True


def remove_state(port: int) -> None:
    state_file(port).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
