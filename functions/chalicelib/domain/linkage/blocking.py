"""Blocking: which stored records a new record is compared with.

Each record gets several keyed blocking keys, each combining two features, so that one
wrong or missing field does not hide a true match: a misspelt family name still meets
its match through given name + father, a wrong birth year through the names, a changed
family name (marriage) through given name + birthday, a nickname through other_names.
Names enter as order-free skeletons (normalise.skeleton), so swapped given and family
names and spelling variants fall in the same block.

A record is compared only with the members of its blocks, and the store returns at most
``max_block_size`` members per block (the most recently added; ``BROAD_BLOCK_SIZE`` for
the names-only block). The work per record is therefore bounded by the number of keys
times these caps, whatever the size of the database. A specific block only reaches its
cap for a very common name with a very common father's name and birth year; the
record's other keys still find its match.
"""

from __future__ import annotations

from typing import Callable, Iterable

from chalicelib.domain.linkage.normalise import BirthDate, name_skeleton

DEFAULT_MAX_BLOCK_SIZE = 100
BROAD_BLOCK_SIZE = 10
BROAD_PREFIX = "b-"

Keyer = Callable[[str, str], str]


def _pair(first: str, second: str) -> str:
    return "+".join(sorted((first, second)))


def block_limit(block_key: str, max_block_size: int = DEFAULT_MAX_BLOCK_SIZE) -> int:
    """How many members of a block to compare with: few for the broad names-only key."""
    return min(BROAD_BLOCK_SIZE, max_block_size) if block_key.startswith(BROAD_PREFIX) else max_block_size


def block_keys(
    given: tuple[str, ...],
    family: tuple[str, ...],
    father: tuple[str, ...],
    aliases: Iterable[str],
    birth: BirthDate | None,
    document_numbers: Iterable[str],
    keyer: Keyer,
) -> tuple[str, ...]:
    """Keyed blocking keys of one record; ``keyer(purpose, value)`` makes each one secret.

    Every key but one combines at least three features (names and a year, names and
    father, one name with father and year, one name with the date of birth) so that its
    block stays small as the database grows. The names-only key is broad: it is marked
    (``b-``, which reveals nothing else) and only its most recent members are compared.
    """
    given_skeleton, family_skeleton = name_skeleton(given), name_skeleton(family)
    father_skeleton = name_skeleton(father)
    names = [s for s in (given_skeleton, family_skeleton) if s]
    years = list(birth.years) if birth else []
    specific: list[tuple[str, str]] = []
    broad: list[tuple[str, str]] = []

    if given_skeleton and family_skeleton:
        full_name = _pair(given_skeleton, family_skeleton)
        broad.append(("names", full_name))
        specific.extend(("names+year", f"{full_name}|{year}") for year in years)
        if father_skeleton:
            specific.append(("names+father", f"{full_name}|{father_skeleton}"))
    if family_skeleton:
        for alias in aliases:
            alias_name = _pair(name_skeleton((alias,)), family_skeleton)
            specific.extend(("names+year", f"{alias_name}|{year}") for year in years)
    if father_skeleton:
        specific.extend(("name+father+year", f"{name}|{father_skeleton}|{year}") for name in names for year in years)
    if birth is not None and birth.is_full:
        day_month = "-".join(map(str, sorted((birth.month, birth.day))))
        specific.extend(("name+birth", f"{name}|{birth.first_year}|{day_month}") for name in names)
    specific.extend(("document", number) for number in document_numbers)

    keys = [keyer(purpose, value) for purpose, value in specific]
    keys += [BROAD_PREFIX + keyer(purpose, value) for purpose, value in broad]
    return tuple(dict.fromkeys(keys))
