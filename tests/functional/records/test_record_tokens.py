"""Every record route needs a valid bearer token; /health needs none."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from ivdb.local import tokens
from tests.functional.records.record_api import example_record


def tampered(token: str, **claims) -> str:
    """The token with its payload changed and the original signature kept."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded.update(claims)
    forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def bad_authorizations(token_for) -> dict[str, str | None]:
    other_private_key, _ = tokens.new_signing_key()
    return {
        "missing": None,
        "not a bearer scheme": f"Basic {token_for('kp-dthb')}",
        "empty bearer": "Bearer ",
        "malformed": "Bearer not.a-jwt",
        "tampered payload": f"Bearer {tampered(token_for('ngo-safe-house'), institution_type='police')}",
        "signed with another key": f"Bearer {token_for('kp-dthb', signing_key_pem=other_private_key)}",
        "expired": f"Bearer {token_for('kp-dthb', exp=int(time.time()) - 60)}",
        "wrong audience": f"Bearer {token_for('kp-dthb', aud='another-service')}",
        "wrong issuer": f"Bearer {token_for('kp-dthb', iss='https://issuer.example')}",
        "unknown institution type": f"Bearer {token_for('kp-dthb', institution_type='ministry')}",
        "no institution": f"Bearer {token_for('kp-dthb', institution_id=None)}",
    }


@pytest.mark.parametrize("route", [("POST", "/records"), ("GET", "/records/{id}"), ("PATCH", "/records/{id}"),
                                   ("DELETE", "/records/{id}"), ("GET", "/audit")])
def test_a_request_without_a_valid_token_gets_401(api, token_for, route):
    method, path = route
    record_id = api.as_("kp-dthb").submit(example_record())
    for case, authorization in bad_authorizations(token_for).items():
        headers = {"If-Match": "1"} if authorization is None else {"Authorization": authorization, "If-Match": "1"}
        answer = api.request(method, path.format(id=record_id), example_record() if method == "POST" else None,
                             headers=headers)
        assert answer.status == 401, case
        assert answer.body["error"]["code"] == "unauthorized", case
    assert api.as_("kp-dthb").get(f"/records/{record_id}").body["version"] == 1


def test_a_valid_token_is_accepted_so_the_refusals_are_about_the_token(api):
    assert api.as_("kp-dthb").get(f"/records/{uuid.uuid4()}").status == 404


def test_health_needs_no_token(api):
    answer = api.get("/health")
    assert (answer.status, answer.body) == (200, {"status": "ok"})
