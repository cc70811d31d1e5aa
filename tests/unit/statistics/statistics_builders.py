"""Builders of persons for the statistics tests."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

from chalicelib.domain.statistics import PersonFacts


def person(**changes) -> PersonFacts:
    """A person with plain default facts; tests change only what they are about."""
    defaults = PersonFacts(
        first_identification=date(2025, 3, 1),
        sex="female",
        age_at_identification=17,
        citizenship=frozenset({"XK"}),
        forms_of_exploitation=frozenset({"sexual"}),
        trafficking_scope="internal",
        status="identified",
        institution_type="police",
        municipality="Prizren",
        referred_to_assistance=True,
        record_key=12345,
    )
    return replace(defaults, **changes)


MUNICIPALITIES = ("Prishtinë", "Prizren", "Pejë", "Gjakovë", "Ferizaj", "Gjilan", "Mitrovicë", "Dragash")


def random_person(generator: random.Random, year: int = 2025) -> PersonFacts:
    """A plausible synthetic person: mostly women and girls, mostly sexual exploitation, a few citizenships."""
    return PersonFacts(
        first_identification=date(year, generator.randint(1, 12), generator.randint(1, 28)),
        sex=generator.choices(["female", "male", "unknown"], weights=[8, 3, 1])[0],
        age_at_identification=generator.choice([None, *range(8, 60)]),
        citizenship=frozenset(
            generator.sample(["XK", "AL", "RS", "MK", "MD", "UA"], generator.choice([0, 1, 1, 1, 2]))
        ),
        forms_of_exploitation=frozenset(
            generator.sample(
                ["sexual", "labour", "begging", "forced_criminality", "forced_marriage"], generator.choice([1, 1, 2])
            )
        ),
        trafficking_scope=generator.choice(["internal", "transnational", "unknown"]),
        status=generator.choice(["presumed", "identified", "recognised_in_proceedings"]),
        institution_type=generator.choice(["police", "prosecution", "social_welfare", "ngo"]),
        municipality=generator.choice(MUNICIPALITIES),
        referred_to_assistance=generator.choice([True, False, None]),
        record_key=generator.randrange(2**32),
    )
