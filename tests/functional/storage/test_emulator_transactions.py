"""The embedded emulator's transactions keep DynamoDB's all-or-nothing promise without
copying a table: cancelled ones write nothing, and a write that fails after the checks is
undone, item and stream record alike."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functional.storage.emulated import table_of_its_own


@pytest.fixture
def table(dynamodb: Any) -> Iterator[str]:
    """A table with a stream, as the records table has."""
    yield from table_of_its_own(dynamodb, "transactions",
                                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})


@pytest.fixture
def dynamodb_streams(aws_client: Any) -> Any:
    return aws_client("dynamodbstreams")


def key(name: str) -> dict[str, Any]:
    return {"pk": {"S": name}, "sk": {"S": "item"}}


def put(table: str, name: str, version: int, condition: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"TableName": table, "Item": {**key(name), "version": {"N": str(version)}}}
    if condition:
        request["ConditionExpression"] = condition
    return {"Put": request}


def item(dynamodb: Any, table: str, name: str) -> dict[str, Any] | None:
    return dynamodb.get_item(TableName=table, Key=key(name), ConsistentRead=True).get("Item")


def stream_records(dynamodb: Any, dynamodb_streams: Any, table: str) -> list[dict[str, Any]]:
    stream_arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard_id = dynamodb_streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = dynamodb_streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id,
                                                   ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return dynamodb_streams.get_records(ShardIterator=iterator)["Records"]


def test_a_transaction_whose_conditions_hold_writes_every_item(dynamodb, table):
    dynamodb.put_item(TableName=table, Item={**key("kept"), "version": {"N": "1"}})

    dynamodb.transact_write_items(TransactItems=[
        put(table, "new", 1, "attribute_not_exists(pk)"),
        {"Update": {"TableName": table, "Key": key("kept"), "UpdateExpression": "SET version = :next",
                    "ConditionExpression": "version = :current",
                    "ExpressionAttributeValues": {":next": {"N": "2"}, ":current": {"N": "1"}}}},
    ])

    assert item(dynamodb, table, "new")["version"] == {"N": "1"}
    assert item(dynamodb, table, "kept")["version"] == {"N": "2"}


def test_a_cancelled_transaction_writes_nothing_and_gives_a_reason_per_item(dynamodb, table):
    dynamodb.put_item(TableName=table, Item={**key("taken"), "version": {"N": "1"}})

    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=[
            put(table, "first", 1),
            {"Put": {**put(table, "taken", 2, "attribute_not_exists(pk)")["Put"],
                     "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        ])

    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["version"] == {"N": "1"}
    assert item(dynamodb, table, "first") is None
    assert item(dynamodb, table, "taken")["version"] == {"N": "1"}


def test_a_write_that_fails_after_the_checks_is_undone_with_its_stream_records(dynamodb, dynamodb_streams, table):
    dynamodb.put_item(TableName=table, Item={**key("kept"), "version": {"N": "1"}})
    records_before = stream_records(dynamodb, dynamodb_streams, table)

    with pytest.raises(ClientError) as rejected:
        dynamodb.transact_write_items(TransactItems=[
            put(table, "first", 1),
            {"Update": {"TableName": table, "Key": key("kept"), "UpdateExpression": "SET version = :next",
                        "ExpressionAttributeValues": {":next": {"N": "2"}}}},
            {"Update": {"TableName": table, "Key": key("second"), "UpdateExpression": "SET version = :unbound"}},
        ])

    assert rejected.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert item(dynamodb, table, "first") is None
    assert item(dynamodb, table, "kept")["version"] == {"N": "1"}
    assert stream_records(dynamodb, dynamodb_streams, table) == records_before


def test_two_writes_to_one_item_are_refused_and_write_nothing(dynamodb, table):
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[put(table, "twice", 1), put(table, "twice", 2)])

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert item(dynamodb, table, "twice") is None
