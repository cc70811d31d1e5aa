"""Reaching the emulated DynamoDB behind a store's back: a client that crashes on cue, a
partition's items as the table holds them, and a table of a test's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any


def table_of_its_own(dynamodb: Any, prefix: str, **properties: Any) -> Iterator[str]:
    """A fresh ``pk``/``sk`` table for one test, with any further CreateTable `properties`,
    deleted after it (a fixture's body: ``yield from``)."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                {"AttributeName": "sk", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                     {"AttributeName": "sk", "KeyType": "RANGE"}], **properties)
    yield name
    dynamodb.delete_table(TableName=name)


class Crash(Exception):
    """Stands for the process dying at that point."""


class CrashingClient:
    """Passes calls through to DynamoDB until the named operation has run `survive` times, then crashes."""

    def __init__(self, client: Any, operation: str, survive: int = 0) -> None:
        self._client = client
        self._operation = operation
        self._left = survive

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._client, name)
        if name != self._operation:
            return call

        def maybe_crash(**arguments: Any) -> Any:
            if self._left == 0:
                raise Crash(name)
            self._left -= 1
            return call(**arguments)

        return maybe_crash


def stored(dynamodb: Any, table: str, pk: str) -> dict[str, dict[str, Any]]:
    """The raw items of one partition, by sort key."""
    items = dynamodb.query(TableName=table, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": {"S": pk}}, ConsistentRead=True)["Items"]
    return {item["sk"]["S"]: item for item in items}
