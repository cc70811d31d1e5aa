"""Recorded sample events from events/, one per function."""

import json
from pathlib import Path

EVENTS = Path(__file__).resolve().parent.parent / "events"


def load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())
