"""Who is calling: taken from a verified token, never from the request body or a header."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    institution_id: str
    institution_type: str
