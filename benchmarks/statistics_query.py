"""How long a statistics query takes as the number of persons grows.

Builds the in-memory projection from synthetic persons (10,000 and 100,000 by default)
and times a two-dimension query over one year; the query reads one cube, so its time
follows the number of distinct cells, which stops growing once every combination of
values occurs, not the number of persons.

    python benchmarks/statistics_query.py [PERSONS ...]
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from chalicelib.domain.statistics import (  # noqa: E402
    DimensionCatalog,
    FactsDelta,
    InMemoryCellStore,
    PersonFacts,
    StatisticsProjection,
    query,
)

RUNS = 200
MUNICIPALITIES = [f"municipality-{index:02d}" for index in range(38)]
CITIZENSHIPS = ["XK", "AL", "RS", "MK", "MD", "UA", "BG", "RO", "DE", "TR"]
FORMS = ["sexual", "labour", "begging", "forced_criminality", "forced_marriage", "domestic_servitude"]


def synthetic_person(generator: random.Random) -> PersonFacts:
    return PersonFacts(
        first_identification=date(generator.randint(2020, 2025), generator.randint(1, 12), generator.randint(1, 28)),
        sex=generator.choices(["female", "male", "unknown"], weights=[8, 3, 1])[0],
        age_at_identification=generator.choice([None, *range(6, 70)]),
        citizenship=frozenset(generator.sample(CITIZENSHIPS, generator.choice([0, 1, 1, 1, 2]))),
        forms_of_exploitation=frozenset(generator.sample(FORMS, generator.choice([1, 1, 2]))),
        trafficking_scope=generator.choice(["internal", "transnational", "unknown"]),
        status=generator.choice(["presumed", "identified", "recognised_in_proceedings", "not_confirmed"]),
        institution_type=generator.choice(["police", "prosecution", "social_welfare", "ngo"]),
        municipality=generator.choice(MUNICIPALITIES),
        referred_to_assistance=generator.choice([True, False, None]),
        record_key=generator.randrange(2**32),
    )


def catalog() -> DimensionCatalog:
    schemas = ROOT / "schemas"
    return DimensionCatalog.from_schemas(
        json.loads((schemas / "identification-record.schema.json").read_text()),
        json.loads((schemas / "institution-registry.schema.json").read_text()),
    )


def measure(persons: int) -> None:
    generator = random.Random(persons)
    projection = StatisticsProjection(InMemoryCellStore(), catalog())
    started = time.perf_counter()
    projection.apply(FactsDelta(add=[synthetic_person(generator) for _ in range(persons)]))
    built = time.perf_counter() - started
    cells = sum(1 for _ in projection.read(("sex", "forms_of_exploitation"), None, None))
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        query(projection, group_by=["sex", "forms_of_exploitation"], date_from="2025-01-01", date_to="2025-12-31")
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(
        f"{persons:>8} persons  built in {built:6.1f} s  cells of the cube read: {cells:>5}  "
        f"query median {statistics.median(timings):6.2f} ms  p99 {p99:6.2f} ms"
    )


if __name__ == "__main__":
    for count in [int(argument) for argument in sys.argv[1:]] or [10_000, 100_000]:
        measure(count)
