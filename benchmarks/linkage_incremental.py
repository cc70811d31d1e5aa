"""What linking one more record costs as the database grows, through the linkage function.

Starts the embedded AWS emulator in this process and provisions it as the local stack does.
For each size, the linkage table is first filled with the synthetic records of that many
persons, as far as the generator's stream has written them, linked by the very same engine
in memory and written with the DynamoDB store's own layout (a bulk load: linking them one by one through the queue
would take hours on the emulator and measure nothing new). Then the records that follow in
the generator's stream, some about persons already known and some new, are submitted
through the records service and linked one at a time by the linkage function's service, as
the queue's handler does: journal, effects and all. Prints median and p99 milliseconds per
probe, DynamoDB requests and candidates compared per probe. Both must stay flat as the
database grows: that is what blocking promises.

    python benchmarks/linkage_incremental.py [--sizes 10000,100000] [--probes 100]
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from benchmarks.measure import ApiCalls, nearest_rank  # noqa: E402
from ivdb.evaluation.synthetic import generate  # noqa: E402
from ivdb.local.backends import make_backend  # noqa: E402
from ivdb.local.stack import AwsResources, load_institutions  # noqa: E402
from tests.ports import free_port  # noqa: E402

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
BULK_WRITE = 25


def as_document(record: dict[str, Any], index: int) -> dict[str, Any]:
    """A synthetic record as a valid submission: dates the schema cannot take are left out."""
    identity = {name: value for name, value in record["identity"].items()
                if name != "date_of_birth" or ISO_DATE.fullmatch(str(value))}
    statistical = {"forms_of_exploitation": ["labour"], **record["statistical"]}
    return {"source_reference": f"BENCH-{index:08d}", "status": "presumed",
            "consent": {"share_identity": True, "share_assistance": True},
            "identity": identity, "statistical": statistical}


def bulk_load(records: list[dict[str, Any]], linking: Any, dynamodb: Any, table: str) -> None:
    """Links the records in memory with the linkage function's own encoder, then writes the
    resulting persons, links and encodings in the DynamoDB store's layout."""
    from chalicelib.adapters.journal import PendingWrites, to_attributes
    from chalicelib.adapters.linkage_store import DynamoDBLinkageStore
    from chalicelib.domain.linkage import InMemoryLinkageStore, Linker

    encoder = linking.encoder()
    memory = InMemoryLinkageStore()
    linker = Linker(memory, encoder, linking.thresholds)
    for record in records:
        linker.link(record["id"], record["identity"], record["statistical"])
    pending = PendingWrites(dynamodb, table)
    stored = DynamoDBLinkageStore(pending)
    persons: set[str] = set()
    for record in records:
        record_id = record["id"]
        stored.save_record(record_id, encoder.encode(record["identity"], record["statistical"]))
        person_id = memory.person_of(record_id)
        if person_id not in persons:
            stored.create_person(person_id, memory.person_created_at(person_id))
            persons.add(person_id)
        stored.assign(record_id, person_id)
        for link in memory.links_of(record_id):
            stored.save_link(link)
    requests = [{"PutRequest": {"Item": to_attributes(item)}} for item in pending.writes.values() if item is not None]
    for start in range(0, len(requests), BULK_WRITE):
        unprocessed = {table: requests[start:start + BULK_WRITE]}
        while unprocessed:
            unprocessed = dynamodb.batch_write_item(RequestItems=unprocessed).get("UnprocessedItems") or {}


def population_of(persons: int, probes: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The generator's records up to the first of person ``persons + 1``, and the ``probes``
    records that follow them in its stream."""
    stream = generate(sys.maxsize, seed=seed)
    loaded: list[dict[str, Any]] = []
    known: set[str] = set()
    record = next(stream)
    while record["true_person"] in known or len(known) < persons:
        known.add(record["true_person"])
        loaded.append(record)
        record = next(stream)
    return loaded, [record, *itertools.islice(stream, probes - 1)]


def probe(linking: Any, records_service: Any, probes: list[dict[str, Any]], calls: ApiCalls,
          first_index: int) -> tuple[list[float], list[int], list[int]]:
    from chalicelib.domain.caller import Caller

    submitter = Caller("kp-dthb", "police")
    milliseconds, requests, candidates = [], [], []
    for offset, record in enumerate(probes):
        record_id = records_service.submit(submitter, as_document(record, first_index + offset), None)["record_id"]
        before = calls.by_service["dynamodb"]
        started = time.perf_counter()
        outcome = linking.link_record(record_id)
        milliseconds.append((time.perf_counter() - started) * 1000)
        requests.append(calls.by_service["dynamodb"] - before)
        candidates.append(outcome.candidates)
    return milliseconds, requests, candidates


def measure(size: int, probe_count: int, backend: str) -> None:
    """One size in this process: a fresh emulator, the bulk load, then the probes."""
    calls = ApiCalls()
    calls.install()
    resources = AwsResources.provision(make_backend(backend, free_port(), free_port()), load_institutions())
    try:
        os.environ.update(resources.environment)
        os.environ["IVDB_STAGE"] = "local"
        import boto3

        from chalicelib import bootstrap

        dynamodb = boto3.client("dynamodb", region_name=resources.environment["AWS_REGION"])
        linking, records_service = bootstrap.get_linking(), bootstrap.get_records()
        loaded, probes = population_of(size, probe_count, seed=7)
        started = time.perf_counter()
        bulk_load(loaded, linking, dynamodb, bootstrap.get_settings().linkage_table)
        loaded_in = time.perf_counter() - started
        milliseconds, requests, candidates = probe(linking, records_service, probes, calls, 0)
        print(f"  {size:>7,} persons ({len(loaded):,} records, loaded in {loaded_in:5.0f} s): "
              f"median {statistics.median(milliseconds):7.1f} ms  p99 {nearest_rank(milliseconds, 0.99):7.1f} ms  "
              f"DynamoDB requests {statistics.mean(requests):5.1f}/record  "
              f"candidates {statistics.mean(candidates):5.1f}/record", flush=True)
    finally:
        resources.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="persons in the database before probing")
    parser.add_argument("--probes", type=int, default=100, help="records linked through the function per size")
    parser.add_argument("--backend", choices=("dynamodb-local", "embedded"), default="dynamodb-local",
                        help="DynamoDB Local queries one partition as DynamoDB does; moto's server reads "
                             "the whole table for every query, so its figures grow with the table")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one_size is not None:
        measure(arguments.one_size, arguments.probes, arguments.backend)
        return
    print(f"{arguments.probes} probe records per size, linked one at a time by the linkage service "
          f"against the {arguments.backend} backend; each size in a new process and emulator", flush=True)
    for size in sorted(int(size) for size in arguments.sizes.split(",")):
        subprocess.run([sys.executable, __file__, "--one-size", str(size), "--probes", str(arguments.probes),
                        "--backend", arguments.backend], check=True)


if __name__ == "__main__":
    main()
