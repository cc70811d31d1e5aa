"""When KMS or DynamoDB fail during a write: 503 with Retry-After, and nothing half-written."""

from __future__ import annotations

import itertools

import botocore.client
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from tests.functional.conftest import forget_configuration
from tests.functional.records.record_api import example_record

THROTTLED = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "operation")


@pytest.fixture
def failing_aws(monkeypatch):
    """fail(service, operation, error, after=0): that AWS call raises `error` once `after` calls went through."""
    real_call = botocore.client.BaseClient._make_api_call

    def fail(service: str, operation: str | None, error: Exception, after: int = 0) -> None:
        calls = itertools.count()

        def call(client, operation_name, parameters):
            if client.meta.service_model.service_name == service and operation in (None, operation_name):
                if next(calls) >= after:
                    raise error
            return real_call(client, operation_name, parameters)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", call)

    return fail


@pytest.fixture
def fresh_key_cache():
    """Cached branch keys spare KMS; a new container (emptied caches) must call it."""
    forget_configuration()
    yield
    forget_configuration()


def stored_counts(tables) -> dict[str, int]:
    return {setting: len(tables.items(setting))
            for setting in ("IVDB_RECORDS_TABLE", "IVDB_UNIQUES_TABLE", "IVDB_AUDIT_TABLE")}


def assert_unavailable(answer) -> None:
    assert answer.status == 503, answer.text
    assert answer.body["error"]["code"] == "unavailable"
    assert int(answer.headers["Retry-After"]) > 0


@pytest.mark.parametrize("error", [THROTTLED, EndpointConnectionError(endpoint_url="http://dynamodb")],
                         ids=["throttled", "unreachable"])
def test_a_failed_dynamodb_transaction_leaves_nothing_behind(api, tables, failing_aws, error):
    police = api.as_("kp-dthb")
    record = example_record()
    before = stored_counts(tables)

    failing_aws("dynamodb", "TransactWriteItems", error)
    answer = police.post("/records", record, headers={"Idempotency-Key": record["source_reference"]})

    assert_unavailable(answer)
    assert stored_counts(tables) == before


def test_a_failed_update_keeps_the_previous_version(api, tables, failing_aws):
    police = api.as_("kp-dthb")
    record_id = police.submit(example_record())

    failing_aws("dynamodb", "TransactWriteItems", THROTTLED)
    answer = police.patch(f"/records/{record_id}", {"status": "identified"}, headers={"If-Match": "1"})

    assert_unavailable(answer)
    item = next(item for item in tables.items("IVDB_RECORDS_TABLE") if item["record_id"] == record_id)
    assert item["version"] == 1


@pytest.mark.parametrize("error", [THROTTLED, EndpointConnectionError(endpoint_url="http://kms")],
                         ids=["throttled", "unreachable"])
def test_kms_failing_while_the_sections_are_encrypted_leaves_nothing_behind(api, tables, failing_aws,
                                                                            fresh_key_cache, error):
    # GIVEN a new container, whose KMS answers the first two calls and then fails
    police = api.as_("kp-dthb")
    record = example_record()
    before = stored_counts(tables)
    failing_aws("kms", None, error, after=2)

    # WHEN a record is submitted
    answer = police.post("/records", record)

    # THEN the caller is asked to retry, nothing was stored, and the retry succeeds once KMS is back
    assert_unavailable(answer)
    assert stored_counts(tables) == before
    failing_aws("kms", None, error, after=10**9)
    assert police.post("/records", record).status == 201


def test_a_section_that_fails_to_encrypt_leaves_nothing_behind(api, tables, monkeypatch):
    from chalicelib import bootstrap
    from chalicelib.domain.errors import Unavailable

    cipher = bootstrap.get_section_cipher()
    real_encrypt = cipher.encrypt
    encrypted = itertools.count(1)

    def encrypt(plaintext, readers, context):
        if next(encrypted) == 3:
            raise Unavailable("the key service is unavailable")
        return real_encrypt(plaintext, readers, context)

    before = stored_counts(tables)
    monkeypatch.setattr(cipher, "encrypt", encrypt)

    answer = api.as_("kp-dthb").post("/records", example_record())

    assert_unavailable(answer)
    assert stored_counts(tables) == before


def test_kms_failing_during_a_read_is_unavailable_not_a_missing_record(api, failing_aws, fresh_key_cache):
    police = api.as_("kp-dthb")
    record_id = police.submit(example_record())
    forget_configuration()
    failing_aws("kms", None, THROTTLED)

    assert_unavailable(police.get(f"/records/{record_id}"))
