"""One person's statistical facts, reconciled from all the records linked to them.

Statistics count persons, not records, so the records about one person (from any
institution) are folded into one set of facts by this rule:

* **first identification**: the earliest ``identification_date``; ties go to the record
  created first. It gives the identification month and year, the **identifying
  institution type** and the **municipality** (the first record that names one, in that
  order: a later move does not change where the person was identified).
* **age**: the age at the first identification. Each record's age is carried back to the
  first identification date (minus the whole years between the two dates); the earliest
  record that states an age decides. Carried-back ages more than one year apart are a
  conflict.
* **sex** and **trafficking scope**: the most frequent known value; ``unknown`` loses to any
  known value; a tie goes to the earliest record. Two different known values are a conflict.
* **citizenship** and **forms of exploitation**: the union over all records.
* **status**: the most advanced, in the order presumed < not_confirmed < identified <
  recognised_in_proceedings. A formal negative identification supersedes a presumption,
  but not a competent authority's positive identification; ``not_confirmed`` beside a
  positive status is a conflict.
* **referred to assistance**: yes if any record says so; no if some record says no and
  none yes; unknown otherwise.

Conflicts are not hidden: each ``PersonFacts`` names the attributes that conflicted and the
projection counts them, so the data quality can be reported.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from chalicelib.domain.statistics.dimensions import STATUS_PROGRESSION, UNKNOWN, normalise_free_text

RECORD_KEY_MODULUS = 2**32
"""Record keys are integers in [0, 2**32): the fraction key / 2**32 is the cell key method's uniform record key."""

POSITIVE_STATUSES = frozenset({"identified", "recognised_in_proceedings"})

DAYS_PER_YEAR = 365.2425


@dataclass(frozen=True)
class RecordContribution:
    """What one record brings to its person's statistics."""

    statistical: Mapping[str, Any]
    institution_type: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class PersonFacts:
    """A person's reconciled statistical facts: one row of the statistics, never stored as such.

    ``record_key`` is the person's random key for the cell key method; it must stay the same
    while the person exists (see ``record_key_for``) so that repeated queries cannot average
    the perturbation away.
    """

    first_identification: date
    sex: str
    age_at_identification: int | None
    citizenship: frozenset[str]
    forms_of_exploitation: frozenset[str]
    trafficking_scope: str
    status: str
    institution_type: str
    municipality: str
    referred_to_assistance: bool | None
    record_key: int
    conflicts: frozenset[str] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not 0 <= self.record_key < RECORD_KEY_MODULUS:
            raise ValueError("record_key must lie in [0, 2**32)")


def record_key_for(person_id: str, secret: bytes) -> int:
    """The person's record key: a keyed hash of the pseudonymous id, so it is stable and never stored.

    Keyed, because anyone who could compute record keys could strip the perturbation.
    """
    digest = hmac.new(secret, b"ivdb/statistics/record-key\x00" + person_id.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def reconcile(records: Sequence[RecordContribution], record_key: int) -> PersonFacts:
    """Fold one person's records into their facts by the rule in the module docstring."""
    if not records:
        raise ValueError("a person has at least one record")
    unranked = {record.status for record in records} - STATUS_PROGRESSION.keys()
    if unranked:
        raise ValueError("a record has a status with no rank in STATUS_PROGRESSION")
    chronological = sorted(records, key=lambda record: (_identification_date(record), record.created_at))
    first = chronological[0]
    first_date = _identification_date(first)
    conflicts: set[str] = set()

    sex = _most_frequent_known(chronological, "sex", conflicts)
    scope = _most_frequent_known(chronological, "trafficking_scope", conflicts)
    age = _age_at_first_identification(chronological, first_date, conflicts)
    status = _most_advanced_status(chronological, conflicts)

    return PersonFacts(
        first_identification=first_date,
        sex=sex,
        age_at_identification=age,
        citizenship=frozenset(code for record in records for code in record.statistical.get("citizenship", ())),
        forms_of_exploitation=frozenset(
            form for record in records for form in record.statistical.get("forms_of_exploitation", ())
        ),
        trafficking_scope=scope,
        status=status,
        institution_type=first.institution_type,
        municipality=_first_municipality(chronological),
        referred_to_assistance=_referred(records),
        record_key=record_key,
        conflicts=frozenset(conflicts),
    )


def _identification_date(record: RecordContribution) -> date:
    return date.fromisoformat(record.statistical["identification_date"])


def _most_frequent_known(chronological: Sequence[RecordContribution], attribute: str, conflicts: set[str]) -> str:
    known = [
        record.statistical[attribute]
        for record in chronological
        if record.statistical.get(attribute) not in (None, UNKNOWN)
    ]
    if not known:
        return UNKNOWN
    frequency = Counter(known)
    if len(frequency) > 1:
        conflicts.add(attribute)
    highest = max(frequency.values())
    return next(value for value in known if frequency[value] == highest)


def _age_at_first_identification(
    chronological: Sequence[RecordContribution], first_date: date, conflicts: set[str]
) -> int | None:
    carried_back = [
        max(0, record.statistical["age_at_identification"] - _whole_years(first_date, _identification_date(record)))
        for record in chronological
        if record.statistical.get("age_at_identification") is not None
    ]
    if not carried_back:
        return None
    if max(carried_back) - min(carried_back) > 1:
        conflicts.add("age")
    return carried_back[0]


def _whole_years(earlier: date, later: date) -> int:
    return int((later - earlier).days / DAYS_PER_YEAR)


def _most_advanced_status(chronological: Sequence[RecordContribution], conflicts: set[str]) -> str:
    statuses = {record.status for record in chronological}
    if "not_confirmed" in statuses and statuses & POSITIVE_STATUSES:
        conflicts.add("status")
    return max(statuses, key=STATUS_PROGRESSION.__getitem__)


def _first_municipality(chronological: Sequence[RecordContribution]) -> str:
    for record in chronological:
        municipality = record.statistical.get("municipality")
        if municipality and municipality.strip():
            return normalise_free_text(municipality)
    return UNKNOWN


def _referred(records: Sequence[RecordContribution]) -> bool | None:
    answers = {record.statistical.get("referred_to_assistance") for record in records} - {None}
    if True in answers:
        return True
    if False in answers:
        return False
    return None
