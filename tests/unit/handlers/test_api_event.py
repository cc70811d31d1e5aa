"""The API handler answers a recorded API Gateway event the way Lambda would call it."""

import json

import pytest

from chalicelib import bootstrap, settings
from ivdb.local import tokens
from ivdb.local.events import LambdaContext
from tests.events import load_event


@pytest.fixture
def api(monkeypatch):
    from chalice.cli.factory import CLIFactory

    from ivdb import paths

    _, public_key = tokens.new_signing_key()
    monkeypatch.setenv("IVDB_JWT_PUBLIC_KEY", public_key)
    monkeypatch.setenv("IVDB_RECORDS_STREAM_ARN", load_event("relay-record-changes")["Records"][0]["eventSourceARN"])
    settings.get_settings.cache_clear()
    bootstrap.get_token_verifier.cache_clear()
    yield CLIFactory(project_dir=str(paths.FUNCTIONS)).load_chalice_app()
    settings.get_settings.cache_clear()
    bootstrap.get_token_verifier.cache_clear()


def test_a_record_read_with_an_unsigned_token_is_refused_before_any_storage_is_touched(api):
    # GIVEN the recorded GET /records/{id} event, whose token is not a signed JWT
    event = load_event("api-get-record")

    # WHEN Lambda hands it to the API handler
    response = api(event, LambdaContext("APIHandler"))

    # THEN the answer is a JSON 401 that says nothing of the record
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == "unauthorized"
