"""Calling the record routes as one institution or another, and reading the tables behind them."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from chalice.test import Client

from ivdb import paths

EXAMPLE_RECORDS = sorted(paths.SCHEMAS.glob("examples/record-*.json"))
SUBMITTING_TYPES = ("police", "prosecution", "social_welfare", "ngo")


def unique_reference(prefix: str = "T") -> str:
    """A source reference no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex}"


def example_record(name: str = "albanian", **changes: Any) -> dict[str, Any]:
    """schemas/examples/record-<name>.json with its own source reference and `changes` applied at the top."""
    record = json.loads((paths.SCHEMAS / "examples" / f"record-{name}.json").read_text(encoding="utf-8"))
    record["source_reference"] = unique_reference(record["source_reference"])
    record.update(copy.deepcopy(changes))
    return record


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]
    text: str


@dataclass
class Api:
    """The HTTP API as seen by one institution: ``api.as_("kp-dthb").post("/records", record)``."""

    client: Client
    token_for: Callable[..., str]
    institution_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)

    def as_(self, institution: str, **claims: Any) -> "Api":
        """Calls as a demo institution; `claims` override its token's (see `token_for`)."""
        return Api(self.client, self.token_for, institution, claims)

    def request(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        sent = {"Content-Type": "application/json"}
        if self.institution_id is not None:
            sent["Authorization"] = f"Bearer {self.token_for(self.institution_id, **self.claims)}"
        sent.update(headers or {})
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        response = self.client.http.request(method, path, headers=sent, body=payload)
        text = response.body.decode("utf-8") if response.body else ""
        return Answer(response.status_code, json.loads(text) if text else None, dict(response.headers), text)

    def post(self, path: str, body: Any = None, **options: Any) -> Answer:
        return self.request("POST", path, body, **options)

    def get(self, path: str, **options: Any) -> Answer:
        return self.request("GET", path, **options)

    def patch(self, path: str, body: Any = None, **options: Any) -> Answer:
        return self.request("PATCH", path, body, **options)

    def delete(self, path: str, **options: Any) -> Answer:
        return self.request("DELETE", path, **options)

    def submit(self, record: dict[str, Any], **options: Any) -> str:
        """Submits a record that must be accepted and returns its id."""
        answer = self.post("/records", record, **options)
        assert answer.status == 201, answer.text
        return answer.body["record_id"]


@dataclass
class Tables:
    """Every DynamoDB table of the emulator, read with boto3 rather than through the functions."""

    dynamodb: Any
    environment: dict[str, str]

    def names(self) -> list[str]:
        return self.dynamodb.list_tables()["TableNames"]

    def scan(self, table_name: str) -> Iterator[dict[str, Any]]:
        """Raw items, attribute types and all."""
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=table_name, ConsistentRead=True):
            yield from page["Items"]

    def items(self, setting: str) -> list[dict[str, Any]]:
        """The items of the table named by a setting (``IVDB_RECORDS_TABLE``), as Python values."""
        deserializer = TypeDeserializer()
        return [{name: deserializer.deserialize(value) for name, value in item.items()}
                for item in self.scan(self.environment[setting])]
