"""The one timestamp format of records, audit entries and statistics: UTC, ISO 8601, milliseconds."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
