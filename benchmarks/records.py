"""What submitting and reading identification records costs, through the real handlers.

Starts the embedded AWS emulator in this process, provisions it as the local stack does,
then submits N realistic records (1,000 by default) through the Chalice test client and
reads each back as its submitter. Prints server-side latency (time inside the app, around
the route, and how much of it the AWS calls took, split into the emulator's own work and
the client's: botocore and HTTP; and how much the Encryption SDK took), KMS calls per record, DynamoDB requests per submit and
per read, stored bytes per record, and the cold start of a new process against the running
emulator: from the interpreter's start to the answer of its first request, handed to the
app as Lambda hands it an API Gateway event.

The embedded emulator's transactions copy no table (`ivdb/local/transactions.py`), so the
emulator's share of a submit no longer grows with the tables. moto keeps every model
instance it makes for its dashboard, the item copies a transaction keeps for its undo
included; the benchmark lets them go between requests, or garbage collection over them
would stall the app's requests.

    python benchmarks/records.py [--records N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
sys.path[:0] = [str(FUNCTIONS), str(ROOT)]

import boto3  # noqa: E402

from benchmarks.measure import ApiCalls, nearest_rank  # noqa: E402
from ivdb.local import tokens  # noqa: E402
from ivdb.local.backends import EmbeddedBackend  # noqa: E402
from ivdb.local.stack import AwsResources, load_institutions  # noqa: E402

WARM_UP_RECORDS = 20
COLD_START_RUNS = 3
TOKEN_LIFETIME_SECONDS = 3600
SUBMITTER_TYPES = ("police", "prosecution", "social_welfare", "ngo")
REFERENCE_PREFIXES = {"police": "KP", "prosecution": "PPS", "social_welfare": "QPS", "ngo": "OJQ"}

GIVEN_NAMES = ("Arbër", "Drita", "Shqipe", "Blerta", "Valon", "Arta", "Jovana", "Јована", "Miloš", "Милош",
               "Ljubica", "Љубица", "Đorđe", "Djordje", "Elira", "Fatmire", "Dragana", "Ana", "Besa", "Marija")
FAMILY_NAMES = ("Krasniqi", "Gashi", "Hoxha", "Berisha", "Çeliku", "Morina", "Petrović", "Petrovic", "Петровић",
                "Jovanović", "Јовановић", "Šćepanović", "Ćirić", "Ahmeti", "Kelmendi", "Nikolić", "Николић")
FATHER_NAMES = ("Ilir", "Xhemajl", "Agim", "Fadil", "Bekim", "Dragan", "Драган", "Zoran", "Nenad", "Ramadan")
PLACES = ("Prizren", "Prishtinë", "Pristina", "Peja", "Peć", "Пећ", "Gjakovë", "Ferizaj", "Mitrovicë",
          "Mitrovica", "Gjilan", "Gračanica", "Грачаница", "Tirana", "Durrës", "Skopje", "Niš", "Beograd")
STREETS = ("Rruga e Shadërvanit", "Rruga Nënë Tereza", "Bulevardi Bill Clinton", "Ulica Kralja Petra",
           "Улица Кнеза Милоша", "Rruga Agim Ramadani", "Ulica Vojvode Putnika")
NARRATIVE_SENTENCES = (
    "Rekrutuar me premtim pune në një kafene në Prishtinë.",
    "Dokumentet iu morën në ditën e parë.",
    "Punonte pa pagesë dhe nuk lejohej të dilte nga banesa.",
    "Transportuar me autobus deri në kufi, pastaj me veturë private.",
    "Borxhi për udhëtimin rritej çdo javë.",
    "Vrbovana preko društvene mreže uz obećanje posla u inostranstvu.",
    "Pasoš joj je oduzet odmah po dolasku.",
    "Радила је без плате и није смела да напусти стан.",
    "Prijavu je podnela komšinica koja je primetila neobične posete.",
    "Identifikuar gjatë një kontrolli rutinë në një lokal nate.",
)
NOTES_SENTENCES = (
    "Strehim i përkohshëm në strehimore të licencuar.",
    "Vizitë mjekësore e kryer, pa nevojë për trajtim të mëtejshëm.",
    "Këshillim psikologjik dy herë në javë.",
    "Upućena na pravnu pomoć i tumača.",
    "Смештај у сигурној кући до краја периода опоравка.",
    "Familja është kontaktuar me pëlqimin e saj.",
)

COLD_START_SCRIPT = """
import json, sys, time
started = time.perf_counter()
sys.path.insert(0, "functions")
import app
imported = time.perf_counter()
method, resource, path, parameters, token, body = sys.argv[1:7]
event = {"resource": resource, "path": path, "httpMethod": method,
         "headers": {"Authorization": "Bearer " + token, "Content-Type": "application/json"},
         "multiValueHeaders": None, "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": json.loads(parameters), "stageVariables": None,
         "requestContext": {"resourcePath": resource, "httpMethod": method, "stage": "api",
                            "requestId": "cold-start"},
         "body": body or None, "isBase64Encoded": False}
response = app.app(event, None)
answered = time.perf_counter()
print(json.dumps({"status": response["statusCode"], "import": imported - started,
                  "request": answered - imported}), flush=True)
"""
"""Run by a new interpreter from the repository root; prints phase durations, never the answer.
It calls the app as the Lambda runtime does, with an API Gateway proxy event (and no context
object, which no route reads), and nothing else: Chalice's test client would add the imports
of Chalice's command line, which no Lambda function loads."""


def schema_vocabularies() -> dict[str, list[str]]:
    schema = json.loads((ROOT / "schemas" / "identification-record.schema.json").read_text())
    return {name: definition["enum"] for name, definition in schema["$defs"].items() if "enum" in definition}


class RecordGenerator:
    """Seeded, realistic records: Albanian and Serbian names in both scripts, consistent dates,
    narratives and notes of a few hundred characters to a few kilobytes."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self._vocabulary = schema_vocabularies()
        self._issued = Counter()

    def _some(self, vocabulary: str, most: int) -> list[str]:
        return self._random.sample(self._vocabulary[vocabulary], self._random.randint(1, most))

    def _sentences(self, sentences: tuple[str, ...], fewest: int, most: int) -> str:
        chosen = self._random.choices(sentences, k=self._random.randint(fewest, most))
        return "\n".join(" ".join(chosen[index:index + 3]) for index in range(0, len(chosen), 3))

    def source_reference(self, institution_type: str, year: int) -> str:
        self._issued[institution_type] += 1
        return f"{REFERENCE_PREFIXES[institution_type]}-{year}-{self._issued[institution_type]:05d}"

    def record(self, institution_type: str) -> dict[str, Any]:
        pick = self._random.choice
        identified_on = date(2020, 1, 1) + timedelta(days=self._random.randrange(5 * 365))
        born_on = identified_on - timedelta(days=self._random.randrange(12 * 365, 45 * 365))
        age = (identified_on - born_on).days // 365
        document: dict[str, Any] = {
            "source_reference": self.source_reference(institution_type, identified_on.year),
            "status": pick(self._vocabulary["status"]),
            "consent": {"share_identity": self._random.random() < 0.7, "share_assistance": self._random.random() < 0.6},
            "statistical": {
                "sex": pick(self._vocabulary["sex"]), "age_at_identification": age,
                "citizenship": pick([["XK"], ["AL"], ["RS"], ["XK", "AL"], ["MD"], ["UA"]]),
                "identification_date": identified_on.isoformat(), "municipality": pick(PLACES),
                "forms_of_exploitation": self._some("form_of_exploitation", 2),
                "trafficking_scope": pick(self._vocabulary["trafficking_scope"]),
                "country_of_exploitation": pick([["XK"], ["AL"], ["DE"], ["XK", "MK"], ["TR"]]),
                "referred_to_assistance": self._random.random() < 0.8,
            },
        }
        identity: dict[str, Any] = {
            "given_name": pick(GIVEN_NAMES), "family_name": pick(FAMILY_NAMES), "father_name": pick(FATHER_NAMES),
            "date_of_birth": born_on.isoformat(), "birth_year": born_on.year, "place_of_birth": pick(PLACES),
            "phone": f"+383 4{self._random.randint(3, 9)} {self._random.randrange(1000):03d} "
                     f"{self._random.randrange(1000):03d}",
            "address": f"{pick(STREETS)} {self._random.randint(1, 200)}, {pick(PLACES)}",
        }
        if self._random.random() < 0.3:
            identity["other_names"] = [pick(GIVEN_NAMES)]
        if self._random.random() < 0.6:
            identity["documents"] = [{"type": pick(self._vocabulary["document_type"]),
                                      "number": f"P{self._random.randrange(10**7):07d}", "country": "XK"}]
        document["identity"] = identity
        if self._random.random() < 0.8:
            document["case"] = {
                "narrative": self._sentences(NARRATIVE_SENTENCES, 2, 30),
                "means_of_control": self._some("means_of_control", 4),
                "recruitment": pick(self._vocabulary["recruitment"]),
                "criminal_case_number": f"PPS-{self._random.randrange(1000)}/{identified_on.year % 100:02d}",
            }
        if self._random.random() < 0.7:
            document["assistance"] = {"services": self._some("service", 5),
                                      "reflection_period_granted": self._random.random() < 0.5,
                                      "notes": self._sentences(NOTES_SENTENCES, 1, 8)}
        return document


class TimeSpentIn:
    """Seconds spent inside some methods, and how many calls they answered, once ``install``
    has wrapped them."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def install(self, owner: type, *names: str) -> None:
        for name in names:
            setattr(owner, name, self._timed(getattr(owner, name)))

    def _timed(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1

        return timed


def time_the_emulator() -> TimeSpentIn:
    """The embedded emulator's WSGI application answering requests. The rest of an AWS call's
    time is botocore's and HTTP's: the emulator's server closes every connection, so each call
    also opens a new one and the server starts a thread for it."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    emulator = TimeSpentIn()
    emulator.install(DomainDispatcherApplication, "__call__")
    return emulator


def time_the_cipher() -> TimeSpentIn:
    """The Encryption SDK encrypting and decrypting sections, a call per message. Once the branch
    keys are cached no KMS call is left in it: this is the material providers' own work, pure
    Python, per message and per reader it is wrapped for."""
    from chalicelib.adapters.section_cipher import EncryptionSdkSectionCipher

    cipher = TimeSpentIn()
    cipher.install(EncryptionSdkSectionCipher, "encrypt", "decrypt")
    return cipher


Timing = tuple[float, float, float, float, int]
"""One request: milliseconds in the app, in its AWS calls, in the emulator answering them and in
the Encryption SDK, and the messages it encrypted or decrypted."""


class HandlerTimer:
    """Chalice middleware: the timing of each HTTP request the app answers."""

    def __init__(self, calls: ApiCalls, emulator: TimeSpentIn, cipher: TimeSpentIn) -> None:
        self._calls = calls
        self._emulator = emulator
        self._cipher = cipher
        self.requests: list[Timing] = []

    def __call__(self, event: Any, get_response: Callable[[Any], Any]) -> Any:
        started, in_calls, in_emulator = time.perf_counter(), self._calls.seconds, self._emulator.seconds
        in_cipher, messages = self._cipher.seconds, self._cipher.calls
        try:
            return get_response(event)
        finally:
            self.requests.append(((time.perf_counter() - started) * 1000, (self._calls.seconds - in_calls) * 1000,
                                  (self._emulator.seconds - in_emulator) * 1000,
                                  (self._cipher.seconds - in_cipher) * 1000, self._cipher.calls - messages))

    def take(self) -> list[Timing]:
        taken, self.requests = self.requests, []
        return taken


def attribute_size(value: Any) -> int:
    """Bytes DynamoDB bills for one attribute value (its documented item-size rules)."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "B":
        return len(inner)
    if kind == "N":
        digits = Decimal(inner).normalize().as_tuple().digits
        return (len(digits) + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(text.encode()) for text in inner)
    if kind == "BS":
        return sum(len(blob) for blob in inner)
    if kind == "NS":
        return sum(attribute_size({"N": number}) for number in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(element) for element in inner)
    return 3 + sum(1 + len(name.encode()) + attribute_size(element) for name, element in inner.items())


def stored_bytes(dynamodb: Any) -> dict[str, int]:
    """Table name -> sum of its items' sizes, for every table the emulator holds."""
    sizes = {}
    for table in dynamodb.list_tables()["TableNames"]:
        items: Iterator[dict[str, Any]] = (item for page in dynamodb.get_paginator("scan").paginate(TableName=table)
                                           for item in page["Items"])
        sizes[table] = sum(len(name.encode()) + attribute_size(value) for item in items for name, value in item.items())
    return sizes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Bench:
    """The app under test, its signed callers and the counters around it."""

    def __init__(self, institutions: list[dict[str, str]], private_key: str, calls: ApiCalls,
                 emulator: TimeSpentIn, cipher: TimeSpentIn) -> None:
        import app
        from chalice.test import Client

        self.timer = HandlerTimer(calls, emulator, cipher)
        app.app.register_middleware(self.timer, "http")
        self.client = Client(app.app, stage_name="local", project_dir=str(FUNCTIONS))
        self.submitters = [institution for institution in institutions if institution["type"] in SUBMITTER_TYPES]
        self.tokens = {institution["id"]: tokens.sign_token(private_key, institution, TOKEN_LIFETIME_SECONDS)
                       for institution in self.submitters}

    def headers(self, institution_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[institution_id]}", "Content-Type": "application/json"}

    def submit(self, institution: dict[str, str], document: dict[str, Any], idempotency_key: str) -> str:
        headers = {**self.headers(institution["id"]), "Idempotency-Key": idempotency_key}
        response = self.client.http.post("/records", body=json.dumps(document), headers=headers)
        if response.status_code != 201:
            raise RuntimeError(f"submit answered {response.status_code}")
        return json.loads(response.body)["record_id"]

    def read(self, institution: dict[str, str], record_id: str) -> None:
        response = self.client.http.get(f"/records/{record_id}", headers=self.headers(institution["id"]))
        if response.status_code != 200:
            raise RuntimeError(f"read answered {response.status_code}")


def forget_emulator_copies() -> None:
    """Drops moto's dashboard references to DynamoDB model instances, among them the item
    copies each TransactWriteItems keeps in case it must undo a write, which nothing else
    holds. The tables and their items are held by their backend and stay as they are."""
    from moto.core.model_instances import model_data

    for model in model_data["dynamodb"].values():
        model.instances_tracked.clear()


def submit_batch(bench: Bench, generator: RecordGenerator, count: int, key_prefix: str) -> list[tuple[dict, str]]:
    """Submits `count` records round-robin over the submitters; (submitter, record id) of each."""
    submitted = []
    for index in range(count):
        institution = bench.submitters[index % len(bench.submitters)]
        record_id = bench.submit(institution, generator.record(institution["type"]), f"{key_prefix}-{index}")
        submitted.append((institution, record_id))
        forget_emulator_copies()
    return submitted


def read_batch(bench: Bench, submitted: list[tuple[dict, str]]) -> None:
    for institution, record_id in submitted:
        bench.read(institution, record_id)
        forget_emulator_copies()


def cold_start(method: str, resource: str, path: str, parameters: dict[str, str] | None, token: str,
               body: str) -> tuple[float, dict[str, Any]]:
    """Seconds from spawning a new interpreter to its first answered request, and its phases."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", COLD_START_SCRIPT, method, resource, path, json.dumps(parameters),
                              token, body],
                             cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    elapsed = time.perf_counter() - started
    child.wait()
    if child.returncode != 0 or not line:
        raise RuntimeError(f"the cold-start process failed with exit status {child.returncode}")
    return elapsed, json.loads(line)


def interpreter_start() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def report_cold_starts(bench: Bench, generator: RecordGenerator, known: tuple[dict, str]) -> None:
    institution, record_id = known
    token = bench.tokens[institution["id"]]
    print(f"cold start, new process to first answer (median of {COLD_START_RUNS}; "
          f"a bare interpreter starts in {interpreter_start():.3f} s):")
    requests = (("GET /records/{id}", "GET", "/records/{record_id}", f"/records/{record_id}",
                 {"record_id": record_id}, lambda: ""),
                ("POST /records", "POST", "/records", "/records", None,
                 lambda: json.dumps(generator.record(institution["type"]))))
    for label, method, resource, path, parameters, body in requests:
        runs = [cold_start(method, resource, path, parameters, token, body()) for _ in range(COLD_START_RUNS)]
        statuses = sorted({phases["status"] for _, phases in runs})
        phase = {name: statistics.median(phases[name] for _, phases in runs) for name in ("import", "request")}
        print(f"  {label:<18} {statistics.median(seconds for seconds, _ in runs):.3f} s  "
              f"(import app {phase['import']:.3f} s, first request {phase['request']:.3f} s; status {statuses})")


def latency(requests: list[Timing]) -> str:
    total = [milliseconds for milliseconds, *_ in requests]
    own = [milliseconds - in_calls for milliseconds, in_calls, *_ in requests]
    in_calls = [milliseconds for _, milliseconds, *_ in requests]
    in_emulator = [milliseconds for _, _, milliseconds, *_ in requests]
    in_cipher = [milliseconds for *_, milliseconds, _ in requests]
    messages = [count for *_, count in requests]
    return (f"median {statistics.median(total):7.2f} ms  p99 {nearest_rank(total, 0.99):7.2f} ms"
            f"  (outside AWS calls: median {statistics.median(own):6.2f} ms  p99 {nearest_rank(own, 0.99):6.2f} ms;"
            f" AWS calls: median {statistics.median(in_calls):6.2f} ms,"
            f" of which the emulator {statistics.median(in_emulator):6.2f} ms)\n"
            f"         of which in the Encryption SDK: median {statistics.median(in_cipher):6.2f} ms"
            f" for {statistics.mean(messages):.1f} messages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000, help="records to submit and read (default 1000)")
    records = parser.parse_args().records

    calls = ApiCalls()
    calls.install()
    emulator, cipher = time_the_emulator(), time_the_cipher()
    institutions = load_institutions()
    resources = AwsResources.provision(EmbeddedBackend(free_port()), institutions)
    try:
        private_key, public_key = tokens.new_signing_key()
        os.environ.update(resources.environment)
        os.environ.update({"IVDB_STAGE": "local", "IVDB_JWT_PUBLIC_KEY": public_key,
                           "IVDB_JWT_ISSUER": tokens.ISSUER, "IVDB_JWT_AUDIENCE": tokens.AUDIENCE})
        inspector = boto3.client("dynamodb", region_name=resources.environment["AWS_REGION"])
        bench = Bench(institutions, private_key, calls, emulator, cipher)
        generator = RecordGenerator(seed=records)

        warmed = submit_batch(bench, generator, WARM_UP_RECORDS, "warm-up")
        read_batch(bench, warmed)
        bench.timer.take()
        before_bytes, before_calls = stored_bytes(inspector), calls.snapshot()

        submitted = submit_batch(bench, generator, records, "batch")
        submit_requests, after_submits = bench.timer.take(), calls.snapshot()
        read_batch(bench, submitted)
        read_requests, after_reads = bench.timer.take(), calls.snapshot()
        after_bytes = stored_bytes(inspector)

        submit_calls, read_calls = after_submits - before_calls, after_reads - after_submits
        print(f"{records} records after {WARM_UP_RECORDS} warm-up records, each read back by its submitter")
        print("server-side time around the handler:")
        print(f"  submit {latency(submit_requests)}")
        print(f"  read   {latency(read_requests)}")
        print(f"KMS calls per record            {(submit_calls['kms'] + read_calls['kms']) / records:.4f}"
              f"  (submits {submit_calls['kms']}, reads {read_calls['kms']})")
        print(f"DynamoDB requests per submit    {submit_calls['dynamodb'] / records:.2f}")
        print(f"DynamoDB requests per read      {read_calls['dynamodb'] / records:.2f}")
        growth = {table: after_bytes[table] - before_bytes.get(table, 0) for table in after_bytes}
        print(f"stored bytes per record         {sum(growth.values()) / records:.0f}  ("
              + ", ".join(f"{table} {size / records:.0f}" for table, size in sorted(growth.items()) if size)
              + "; reads add audit entries)")
        report_cold_starts(bench, generator, warmed[0])
    finally:
        resources.stop()


if __name__ == "__main__":
    main()
