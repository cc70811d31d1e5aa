"""Functional tests: the functions under Chalice's test client, AWS played by moto's server.

One emulator is provisioned per session from the infra template (as `ivdb local` does),
so every test shares its tables and keys: tests keep apart by using their own source
references, never by resetting the emulator.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import jwt
import pytest
from chalice.test import Client

from chalicelib.domain.policy import AccessPolicy, load_access_policy
from ivdb import paths
from ivdb.local import tokens
from ivdb.local.backends import EmbeddedBackend
from ivdb.local.stack import REGION, AwsResources, load_institutions
from tests.functional.records.record_api import Api, Tables
from tests.ports import free_port

TOKEN_LIFETIME_SECONDS = 600


def forget_configuration() -> None:
    """Empties the cached settings, clients and services, so that they are built from the environment again."""
    from chalicelib import bootstrap, settings

    settings.get_settings.cache_clear()
    for getter in vars(bootstrap).values():
        if isinstance(getter, functools._lru_cache_wrapper):
            getter.cache_clear()


@pytest.fixture(scope="session")
def signing_key() -> tuple[str, str]:
    """(private PEM, public PEM) of the local token issuer."""
    return tokens.new_signing_key()


@pytest.fixture(scope="session")
def aws(signing_key: tuple[str, str]) -> Iterator[AwsResources]:
    """moto's server on a free port, provisioned with every table, key and branch key, and
    the functions' environment pointing at it for the whole session."""
    with pytest.MonkeyPatch.context() as environment:
        for name, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                            "AWS_DEFAULT_REGION": REGION}.items():
            environment.setenv(name, value)
        resources = AwsResources.provision(EmbeddedBackend(free_port()), load_institutions())
        try:
            for name, value in resources.environment.items():
                environment.setenv(name, value)
            environment.setenv("IVDB_STAGE", "local")
            environment.setenv("IVDB_JWT_PUBLIC_KEY", signing_key[1])
            environment.setenv("IVDB_JWT_ISSUER", tokens.ISSUER)
            environment.setenv("IVDB_JWT_AUDIENCE", tokens.AUDIENCE)
            forget_configuration()
            yield resources
        finally:
            resources.stop()
            forget_configuration()


@pytest.fixture(scope="session")
def aws_client(aws: AwsResources) -> Callable[[str], Any]:
    """boto3 clients against the emulator, to look behind the API's back."""
    return functools.cache(lambda service: boto3.client(service, endpoint_url=aws.backend.endpoint(service),
                                                        region_name=REGION))


@pytest.fixture(scope="session")
def client(aws: AwsResources) -> Client:
    from app import app

    return Client(app, stage_name="local", project_dir=str(paths.FUNCTIONS))


@pytest.fixture(scope="session")
def institutions() -> dict[str, dict[str, str]]:
    """The demo registry by institution id."""
    return {institution["id"]: institution for institution in load_institutions()}


@pytest.fixture(scope="session")
def token_for(signing_key: tuple[str, str], institutions: dict[str, dict[str, str]]) -> Callable[..., str]:
    """token_for(institution_id, **claims) -> a bearer token of a demo institution.

    A claim given overrides the issued one (``exp=0``, ``aud="other"``); a claim given as
    None is left out. ``signing_key_pem=`` signs with another private key."""

    def issue(institution_id: str, /, *, signing_key_pem: str | None = None, **overrides: Any) -> str:
        institution = institutions[institution_id]
        now = int(time.time())
        claims: dict[str, Any] = {"iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "sub": institution_id,
                                  "iat": now, "exp": now + TOKEN_LIFETIME_SECONDS,
                                  "institution_id": institution_id, "institution_type": institution["type"]}
        claims.update(overrides)
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(claims, signing_key_pem or signing_key[0], algorithm=tokens.ALGORITHM)

    return issue


@pytest.fixture(scope="session")
def api(client: Client, token_for: Callable[..., str]) -> Api:
    """The HTTP API, as one demo institution or another: ``api.as_("kp-dthb")``."""
    return Api(client, token_for)


@pytest.fixture(scope="session")
def tables(aws: AwsResources, aws_client: Callable[[str], Any]) -> Tables:
    return Tables(aws_client("dynamodb"), aws.environment)


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
