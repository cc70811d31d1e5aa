"""Fixtures of the record tests: the API as one institution or another, the policy, the tables."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from chalice.test import Client

from chalicelib.domain.policy import AccessPolicy, load_access_policy
from ivdb import paths
from tests.functional.records.record_api import Api, Tables


@pytest.fixture(scope="session")
def api(client: Client, token_for: Callable[..., str]) -> Api:
    return Api(client, token_for)


@pytest.fixture(scope="session")
def access_policy() -> AccessPolicy:
    return load_access_policy(paths.ACCESS_POLICY)


@pytest.fixture(scope="session")
def institution_of_type(institutions: dict[str, dict[str, str]]) -> dict[str, str]:
    """One demo institution id per institution type."""
    chosen: dict[str, str] = {}
    for institution in institutions.values():
        chosen.setdefault(institution["type"], institution["id"])
    return chosen


@pytest.fixture(scope="session")
def tables(aws, aws_client) -> Tables:
    return Tables(aws_client("dynamodb"), aws.environment)
