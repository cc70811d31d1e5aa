"""The embedded emulator isolates DynamoDB requests as DynamoDB does: the records' versions
and the audit chain are only as safe as the conditions that guard them."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functional.storage.emulated import table_of_its_own

WRITERS = 6
ROUNDS = 15
ITEMS_BESIDE = 300
"""Items already in the table: moto copies a table for each transaction, which widens the race."""


@pytest.fixture
def table(dynamodb: Any) -> Iterator[str]:
    yield from table_of_its_own(dynamodb, "isolation")


def claim(dynamodb: Any, table: str, key: str, writer: int) -> bool:
    """One transaction that writes `key` only while it does not exist, with a second item beside it."""
    try:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": key}, "sk": {"S": "claim"}, "writer": {"N": str(writer)}},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": key}, "sk": {"S": f"by-{writer}"}}}},
        ])
    except ClientError as e:
        assert e.response["Error"]["Code"] == "TransactionCanceledException"
        return False
    return True


def test_concurrent_conditional_transactions_let_exactly_one_through(dynamodb, table):
    # GIVEN a table that already holds items
    for index in range(ITEMS_BESIDE):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": f"beside-{index}"}, "sk": {"S": "item"}})

    for round_ in range(ROUNDS):
        # WHEN several writers claim the same key at once
        key = f"round-{round_}"
        with ThreadPoolExecutor(WRITERS) as writers:
            won = list(writers.map(lambda writer: claim(dynamodb, table, key, writer), range(WRITERS)))

        # THEN exactly one wins, and the table holds its claim and nothing of the others
        assert won.count(True) == 1
        winner = won.index(True)
        items = dynamodb.query(TableName=table, KeyConditionExpression="pk = :key",
                               ExpressionAttributeValues={":key": {"S": key}}, ConsistentRead=True)["Items"]
        assert sorted(item["sk"]["S"] for item in items) == sorted(["claim", f"by-{winner}"])
        assert next(item for item in items if item["sk"]["S"] == "claim")["writer"]["N"] == str(winner)
