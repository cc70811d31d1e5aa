"""Fixtures shared by the unit tests."""

import pytest
from chalicelib import bootstrap, settings

from ivdb import paths
from ivdb.local import tokens
from tests.events import load_event


@pytest.fixture
def lambda_app(monkeypatch):
    """The app as Lambda loads it, with a token key so that its routes can refuse a token;
    no AWS is configured, so a test that reaches storage fails loudly."""
    from chalice.cli.factory import CLIFactory

    _, public_key = tokens.new_signing_key()
    monkeypatch.setenv("IVDB_JWT_PUBLIC_KEY", public_key)
    monkeypatch.setenv("IVDB_RECORDS_STREAM_ARN", load_event("relay-record-changes")["Records"][0]["eventSourceARN"])
    settings.get_settings.cache_clear()
    bootstrap.get_token_verifier.cache_clear()
    yield CLIFactory(project_dir=str(paths.FUNCTIONS)).load_chalice_app()
    settings.get_settings.cache_clear()
    bootstrap.get_token_verifier.cache_clear()
