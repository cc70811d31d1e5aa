"""``ivdb import FILE.csv|FILE.jsonl --institution ID``: submits a file through a local stack's API.

Each row is one POST /records. Its Idempotency-Key is made of the file's digest and the
row's line, so running the same file again after a crash submits nothing twice: a row
stored before is answered with its first answer. Rejected rows are reported by line, error
code and the problems' paths and messages; the API's messages never repeat a submitted
value, and this command prints none either.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from tqdm import tqdm

from ivdb import paths
from ivdb.local.state import NoLocalStack, read_state
from ivdb.local.tokens import sign_token

RECORD_SCHEMA = paths.SCHEMAS / "identification-record.schema.json"
LIST_SEPARATOR = ";"
TRUE_CELLS = {"true", "yes", "1"}
FALSE_CELLS = {"false", "no", "0"}
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
RETRYABLE = {429, 503}
ATTEMPTS = 6
FIRST_DELAY_SECONDS = 0.5
LONGEST_DELAY_SECONDS = 8.0
TOKEN_LIFETIME_SECONDS = 300
REQUEST_TIMEOUT_SECONDS = 30
SOME_REJECTED, NOT_IMPORTED = 1, 2

CSV_LAYOUT = f"""\
exit status: 0 when every row is stored, 1 when some were rejected, 2 when the import
could not run.

JSONL: one record document per line (see schemas/identification-record.schema.json).

CSV: a header row, then one record per row. A column is named by the field's path in the
record document, with dots:
  source_reference,status,consent.share_identity,identity.given_name,statistical.sex,...
- a list holds its values in one cell, separated by "{LIST_SEPARATOR}":
  statistical.forms_of_exploitation = sexual{LIST_SEPARATOR}begging
- a list of objects has one column per member and item, numbered from 1:
  identity.documents.1.type, identity.documents.1.number, identity.documents.2.type, ...
- true/false (or yes/no, 1/0) where the schema has a boolean, digits where it has a
  whole number; the types come from the record schema
- an empty cell leaves the field out
"""


class ImportAborted(Exception):
    """No further row can be submitted (the stack is gone, or refuses the institution)."""


@dataclass(frozen=True)
class Row:
    line: int
    document: Any = None
    unreadable: str | None = None
    """Why the row could not be read; it is then rejected without being sent."""


@dataclass(frozen=True)
class Rejection:
    line: int
    code: str
    message: str
    problems: list[dict[str, str]] = field(default_factory=list)


class RecordFields:
    """The JSON type of each field of the record schema, for turning CSV cells into values."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._schema = schema

    def _resolved(self, node: dict[str, Any]) -> dict[str, Any]:
        while isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            target: Any = self._schema
            for name in node["$ref"][2:].split("/"):
                target = target[name]
            node = {**target, **{key: value for key, value in node.items() if key != "$ref"}}
        return node

    def node(self, path: list[str]) -> dict[str, Any]:
        """The schema of the field at ``path``; empty when the schema has no such field."""
        node = self._resolved(self._schema)
        for name in path:
            if node.get("type") == "array" and name.isdigit():
                node = self._resolved(node.get("items", {}))
            else:
                node = self._resolved(node.get("properties", {}).get(name, {}))
        return node

    def value(self, path: list[str], cell: str) -> Any:
        node = self.node(path)
        if node.get("type") == "array":
            items = self._resolved(node.get("items", {}))
            return [_scalar(part.strip(), items) for part in cell.split(LIST_SEPARATOR) if part.strip()]
        return _scalar(cell, node)


def _scalar(cell: str, node: dict[str, Any]) -> Any:
    """The cell as the schema's type; a cell that does not fit stays text, for the API to reject."""
    kind = node.get("type")
    if kind == "integer" and WHOLE_NUMBER.fullmatch(cell):
        return int(cell)
    if kind == "boolean" and cell.lower() in TRUE_CELLS | FALSE_CELLS:
        return cell.lower() in TRUE_CELLS
    return cell


def _numbered_lists(value: Any) -> Any:
    """Objects keyed by item numbers (from ``documents.1.type``) become lists, in number order."""
    if not isinstance(value, dict):
        return value
    converted = {key: _numbered_lists(item) for key, item in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def csv_document(header: list[str], cells: list[str], fields: RecordFields) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for column, cell in zip(header, cells):
        cell = cell.strip()
        if not cell:
            continue
        path = column.strip().split(".")
        parent = document
        for name in path[:-1]:
            parent = parent.setdefault(name, {})
        parent[path[-1]] = fields.value(path, cell)
    return _numbered_lists(document)


def read_csv(text: str, fields: RecordFields) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    previous_end = reader.line_num
    for cells in reader:
        line, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            yield Row(line, unreadable=f"the row has {len(cells)} cells but the header names {len(header)} columns")
        else:
            yield Row(line, csv_document(header, cells, fields))


def read_jsonl(text: str) -> Iterator[Row]:
    for line, content in enumerate(text.splitlines(), start=1):
        if not content.strip():
            continue
        try:
            document = json.loads(content)
        except json.JSONDecodeError:
            yield Row(line, unreadable="the line is not valid JSON")
            continue
        if isinstance(document, dict):
            yield Row(line, document)
        else:
            yield Row(line, unreadable="the line is not a JSON object")


def read_rows(path: Path) -> tuple[str, list[Row]]:
    """(the file's digest, its rows)."""
    content = path.read_bytes()
    text = content.decode("utf-8-sig")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        fields = RecordFields(json.loads(RECORD_SCHEMA.read_text(encoding="utf-8")))
        rows = list(read_csv(text, fields))
    elif suffix in (".jsonl", ".ndjson"):
        rows = list(read_jsonl(text))
    else:
        raise ImportAborted(f"{path.name} is neither .csv nor .jsonl")
    return hashlib.sha256(content).hexdigest(), rows


class RecordsApi:
    """POST /records of a local stack, as one institution, retrying what the API asks to retry."""

    def __init__(self, state: dict[str, Any], institution: dict[str, str]) -> None:
        self._state = state
        self._institution = institution
        self._url = f"{state['api_url']}/records"
        self._session = requests.Session()

    def _token(self) -> str:
        return sign_token(self._state["signing_key"], self._institution, TOKEN_LIFETIME_SECONDS,
                          self._state["issuer"], self._state["audience"])

    def _post(self, document: Any, idempotency_key: str) -> requests.Response | None:
        """The API's answer, or None when it did not answer."""
        try:
            return self._session.post(self._url, json=document, timeout=REQUEST_TIMEOUT_SECONDS, headers={
                "Authorization": f"Bearer {self._token()}", "Idempotency-Key": idempotency_key})
        except requests.ConnectionError:
            return None

    def submit(self, document: Any, idempotency_key: str) -> requests.Response:
        """The first answer that is not 429 or 503 (nor no answer), with exponential backoff;
        the same Idempotency-Key on every attempt makes a retry of a stored row harmless."""
        delay = FIRST_DELAY_SECONDS
        for _ in range(ATTEMPTS - 1):
            response = self._post(document, idempotency_key)
            if response is not None and response.status_code not in RETRYABLE:
                return response
            time.sleep(max(delay, _retry_after(response)))
            delay = min(delay * 2, LONGEST_DELAY_SECONDS)
        response = self._post(document, idempotency_key)
        if response is None:
            raise ImportAborted(f"the local stack at {self._state['api_url']} does not answer")
        return response


def _retry_after(response: requests.Response | None) -> float:
    text = response.headers.get("Retry-After", "") if response is not None else ""
    return float(text) if text.isdigit() else 0.0


def _rejection(line: int, response: requests.Response) -> Rejection:
    try:
        error = response.json()["error"]
        return Rejection(line, error["code"], error["message"], list(error.get("details", [])))
    except (ValueError, KeyError, TypeError):
        return Rejection(line, f"http_{response.status_code}", "the API's answer was not an error document")


def import_rows(api: RecordsApi, digest: str, rows: list[Row]) -> tuple[int, list[Rejection]]:
    """(rows stored, rows rejected). A 401 or 403 stops the import: every other row would get it too."""
    stored, rejections = 0, []
    for row in tqdm(rows, desc="Importing", unit="row", file=sys.stderr):
        if row.unreadable is not None:
            rejections.append(Rejection(row.line, "unreadable_row", row.unreadable))
            continue
        response = api.submit(row.document, f"ivdb-import-{digest}-{row.line}")
        if response.status_code == 201:
            stored += 1
        elif response.status_code in (401, 403):
            raise ImportAborted(f"the API refused the institution: {_rejection(row.line, response).message}")
        else:
            rejections.append(_rejection(row.line, response))
    return stored, rejections


def report(stored: int, rejections: list[Rejection]) -> None:
    print(f"{stored} row(s) stored, {len(rejections)} rejected")
    for rejection in rejections:
        print(f"line {rejection.line}: {rejection.code}: {rejection.message}")
        for problem in rejection.problems:
            print(f"    {problem.get('path') or '/'}: {problem.get('message', '')}")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import", help="submit the records of a CSV or JSONL file through a local stack's API",
        description="Submit every record of FILE through the API of the local stack on --port, as one "
                    "institution. Running the same file again submits no row twice.",
        epilog=CSV_LAYOUT, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", metavar="FILE.csv|FILE.jsonl", type=Path, help="the records to submit")
    parser.add_argument("--institution", required=True, help="the submitting institution's id (see `ivdb institutions`)")
    parser.add_argument("--port", type=int, default=8000, help="the local stack's API port (default 8000)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        state = read_state(args.port)
        institution = next((entry for entry in state["institutions"] if entry["id"] == args.institution), None)
        if institution is None:
            raise ImportAborted(f"no institution {args.institution!r} on this stack (see `ivdb institutions`)")
        digest, rows = read_rows(args.file)
        stored, rejections = import_rows(RecordsApi(state, institution), digest, rows)
    except (NoLocalStack, ImportAborted, OSError, UnicodeDecodeError) as e:
        print(f"ivdb import: {e}", file=sys.stderr)
        return NOT_IMPORTED
    report(stored, rejections)
    return SOME_REJECTED if rejections else 0
