"""How long a statistics query takes as the number of persons grows, and what keeping the
projection current costs per submitted record.

1. Query: synthetic persons (10,000 and 100,000 by default) are counted into the cubes a
   two-dimension query over one year reads (sex x forms of exploitation, and the total),
   then the query is timed in memory and against DynamoDB (an emulator, moto or DynamoDB Local; sealed
   cells, through the statistics service as the API calls it, audit left out). A query reads
   one cube partition with one Query, so loading only the queried cubes is faithful: the
   other cubes live in partitions it never touches. Its time follows the number of distinct
   cells of the cube, which stops growing once every combination of values occurs, not the
   number of persons.
2. Refresh: persons are counted one by one as the statistics function counts them on a
   message (all cubes of up to four dimensions), first as new persons, then as persons whose
   record changed; milliseconds and DynamoDB requests per refresh. The records and the
   person directory are in memory here: reading a person's records (one GetItem and one
   decryption per record, see benchmarks/records.py) and the linkage's members Query come on top.

    python benchmarks/statistics_query.py [PERSONS ...] [--refreshes N] [--backend embedded|dynamodb-local]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

import boto3  # noqa: E402

from benchmarks.measure import ApiCalls, nearest_rank  # noqa: E402
from chalicelib.adapters.statistics_store import DynamoDBProjection, ProjectionKeys  # noqa: E402
from chalicelib.domain.caller import Caller  # noqa: E402
from chalicelib.domain.policy import load_access_policy  # noqa: E402
from chalicelib.domain.statistics import (  # noqa: E402
    DimensionCatalog,
    FactsDelta,
    InMemoryCellStore,
    PersonFacts,
    StatisticsProjection,
    query,
)
from chalicelib.services.statistics import Statistics  # noqa: E402

from ivdb import paths  # noqa: E402
from ivdb.local.backends import make_backend  # noqa: E402
from ivdb.local.stack import REGION, AwsResources, load_institutions  # noqa: E402
from tests.ports import free_port  # noqa: E402

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


QUERY_CUBE = ("sex", "forms_of_exploitation")
GROUP_BY = ["sex", "forms_of_exploitation"]
YEAR = ("2025-01-01", "2025-12-31")
COORDINATOR = Caller("mia-national-coordinator", "coordinator")


def timed(run: Any, runs: int = RUNS) -> tuple[float, float]:
    """(median, p99) milliseconds of ``runs`` calls."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), nearest_rank(timings, 0.99)


class Emulator:
    """An emulator provisioned as the local stack is, and a fresh statistics table per measurement."""

    def __init__(self, backend: str, calls: ApiCalls) -> None:
        for name, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                            "AWS_DEFAULT_REGION": REGION}.items():
            os.environ.setdefault(name, value)
        self.calls = calls
        self.resources = AwsResources.provision(make_backend(backend, free_port(), free_port()), load_institutions())
        self.dynamodb = boto3.client("dynamodb", endpoint_url=self.resources.backend.endpoint("dynamodb"),
                                     region_name=REGION)
        self.policy = load_access_policy(paths.ACCESS_POLICY)
        naming, sealing = os.urandom(32), os.urandom(32)
        self.keys = ProjectionKeys(naming=lambda: naming, sealing=lambda: sealing)

    def statistics(self, records: Any = None, directory: Any = None) -> Statistics:
        """A service over the provisioned statistics table, emptied first."""
        table = self.resources.environment["IVDB_STATISTICS_TABLE"]
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=table, ProjectionExpression="pk, sk"):
            for item in page["Items"]:
                self.dynamodb.delete_item(TableName=table, Key=item)
        return Statistics(policy=self.policy, catalog=catalog(), store=DynamoDBProjection(self.dynamodb, table, self.keys),
                          records=records, directory=directory, record_key=lambda person_id: 0,
                          audit=lambda event: None, threshold=5)

    def stop(self) -> None:
        self.resources.stop()


def measure_query(emulator: Emulator, persons: int) -> None:
    generator = random.Random(persons)
    counting = StatisticsProjection(InMemoryCellStore(), catalog())
    started = time.perf_counter()
    increments = counting.increments(FactsDelta(add=[synthetic_person(generator) for _ in range(persons)]),
                                     only=[QUERY_CUBE, ()])
    counting.store.add_to_cells(increments)
    counted = time.perf_counter() - started
    cells = sum(1 for cell in counting.read(QUERY_CUBE, None, None) if cell.month // 12 == 2025)
    memory = timed(lambda: query(counting, group_by=GROUP_BY, date_from=YEAR[0], date_to=YEAR[1]))

    calls = emulator.calls
    service = emulator.statistics()
    for start in range(0, len(increments), 500):
        with service.store.unit() as unit:
            unit.cells.add_to_cells(increments[start:start + 500])
    parameters = {"group_by": [",".join(GROUP_BY)], "from": [YEAR[0]], "to": [YEAR[1]]}
    requests_before = calls.by_service["dynamodb"]
    outside_calls: list[float] = []

    def answer() -> None:
        started, in_calls = time.perf_counter(), calls.seconds
        service.query(COORDINATOR, parameters)
        outside_calls.append((time.perf_counter() - started - (calls.seconds - in_calls)) * 1000)

    dynamodb = timed(answer, runs=RUNS // 2)
    print(f"{persons:>8} persons  counted in {counted:5.1f} s  cells of the cube in the year: {cells:>5}\n"
          f"           in memory         median {memory[0]:7.2f} ms  p99 {memory[1]:7.2f} ms\n"
          f"           DynamoDB          median {dynamodb[0]:7.2f} ms  p99 {dynamodb[1]:7.2f} ms  "
          f"({(calls.by_service['dynamodb'] - requests_before) / (RUNS // 2):.0f} requests a query)\n"
          f"             outside its calls median {statistics.median(outside_calls):5.2f} ms  "
          f"p99 {nearest_rank(outside_calls, 0.99):7.2f} ms  (opening the sealed cells and counting)")


class Records:
    """Records of synthetic persons, one record each, as the statistics service reads them."""

    def __init__(self) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}
        self.members_of: dict[str, list[str]] = {}

    def add(self, generator: random.Random) -> str:
        facts = synthetic_person(generator)
        record_id, person_id = str(uuid.uuid4()), str(uuid.uuid4())
        statistical = {"sex": facts.sex, "identification_date": facts.first_identification.isoformat(),
                       "forms_of_exploitation": sorted(facts.forms_of_exploitation),
                       "citizenship": sorted(facts.citizenship), "trafficking_scope": facts.trafficking_scope,
                       "municipality": facts.municipality}
        if facts.age_at_identification is not None:
            statistical["age_at_identification"] = facts.age_at_identification
        if facts.referred_to_assistance is not None:
            statistical["referred_to_assistance"] = facts.referred_to_assistance
        self.by_id[record_id] = {"statistical": statistical, "status": facts.status,
                                 "institution_type": facts.institution_type,
                                 "created_at": datetime.now(timezone.utc).isoformat()}
        self.members_of[person_id] = [record_id]
        return person_id

    def read_for_service(self, service: str, record_id: str,
                         parts: Iterable[str]) -> tuple[Any, dict[str, Any]] | None:
        record = self.by_id[record_id]
        return (SimpleNamespace(institution_type=record["institution_type"], created_at=record["created_at"]),
                {"statistical": record["statistical"], "meta": {"status": record["status"], "consent": {}}})

    def members(self, person_id: str) -> list[str]:
        return self.members_of.get(person_id, [])

    def persons(self) -> list[str]:
        return list(self.members_of)


def measure_refresh(emulator: Emulator, refreshes: int) -> None:
    generator = random.Random(refreshes)
    records = Records()
    calls = emulator.calls
    service = emulator.statistics(records, records)
    persons = [records.add(generator) for _ in range(refreshes)]
    print(f"refresh of one person, all {len(StatisticsProjection(InMemoryCellStore(), catalog()).cubes)} cubes "
          f"of up to four dimensions, {refreshes} persons:")
    for label, change in (("a new person (first record)", lambda person_id: None),
                          ("a person whose record changed", lambda person_id: records.by_id[
                              records.members_of[person_id][0]]["statistical"].update(sex="male", municipality="x"))):
        operations_before = Counter(calls.by_operation)
        timings, outside_calls = [], []
        for person_id in persons:
            change(person_id)
            started, in_calls = time.perf_counter(), calls.seconds
            service.refresh([person_id])
            timings.append((time.perf_counter() - started) * 1000)
            outside_calls.append(timings[-1] - (calls.seconds - in_calls) * 1000)
        operations = calls.by_operation - operations_before
        per_refresh = sum(operations.values()) / len(persons)
        by_operation = ", ".join(f"{name} {count / len(persons):.1f}" for name, count in operations.most_common())
        print(f"  {label:<31} median {statistics.median(timings):7.1f} ms  p99 {nearest_rank(timings, 0.99):7.1f} ms"
              f"  (outside its calls: median {statistics.median(outside_calls):5.1f} ms)"
              f"  DynamoDB requests {per_refresh:5.1f} ({by_operation})")
    print("  no KMS call: the projection's secrets are derived once per container")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("persons", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--refreshes", type=int, default=200, help="persons counted one by one (default 200)")
    parser.add_argument("--backend", choices=("embedded", "dynamodb-local"), default="embedded",
                        help="the emulator behind DynamoDB: moto's server (embedded) or Amazon's DynamoDB Local")
    arguments = parser.parse_args()
    calls = ApiCalls()
    calls.install()
    emulator = Emulator(arguments.backend, calls)
    try:
        table = emulator.resources.environment["IVDB_STATISTICS_TABLE"]
        nothing = {"pk": {"S": "-"}, "sk": {"S": "-"}}
        round_trip = timed(lambda: emulator.dynamodb.get_item(TableName=table, Key=nothing), runs=50)
        print(f"the emulator answers a GetItem of nothing in {round_trip[0]:.1f} ms (median): "
              f"its latency, not the code's, dominates the DynamoDB figures")
        print(f"two-dimension query ({' x '.join(GROUP_BY)}, one year), {RUNS} runs in memory, "
              f"{RUNS // 2} against the emulator:")
        for persons in arguments.persons:
            measure_query(emulator, persons)
        measure_refresh(emulator, arguments.refreshes)
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
