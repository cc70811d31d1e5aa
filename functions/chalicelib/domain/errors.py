"""Errors the domain raises.

Each subclass stands for one kind of failure; the API maps them to HTTP statuses in one
place, by class, never by message. A message is shown to the caller and may be logged:
it never contains a submitted value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a JSON pointer such as /statistical/sex) and what."""

    path: str
    message: str


def json_pointer(parts: Iterable[Any]) -> str:
    """RFC 6901 pointer of a path of keys and indices; the whole document is the empty pointer."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    default_message = "the request cannot be carried out"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidInput(DomainError):
    """The input breaks the rules; every problem found is listed, not only the first."""

    default_message = "the input is not valid"

    def __init__(self, problems: Iterable[Problem], message: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(message)


class InvalidConfiguration(DomainError):
    """A file the service is configured with (such as the access policy) is wrong: a fault of the deployment, not of the caller."""

    default_message = "the service is misconfigured"

    def __init__(self, problems: Iterable[Problem], message: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(message)


class Unauthorized(DomainError):
    """The caller did not prove who it is."""

    default_message = "authentication is required"


class Forbidden(DomainError):
    """The caller is known but its institution type may not do this."""

    default_message = "not allowed for this institution"


class NotFound(DomainError):
    """The thing asked for does not exist, or the caller may not know that it exists."""

    default_message = "not found"


class Conflict(DomainError):
    """The request contradicts what is stored, such as a reused source reference or idempotency key."""

    default_message = "conflicts with the current state"


class PreconditionFailed(DomainError):
    """The caller's version of a record is no longer the current one."""

    default_message = "the record has changed since it was read"


class PayloadTooLarge(DomainError):
    """The request body is larger than the service accepts."""

    default_message = "the request is too large"


class Unavailable(DomainError):
    """A service the request depends on does not answer now; the caller may retry later."""

    default_message = "temporarily unavailable"
