"""The API handler answers a recorded API Gateway event the way Lambda would call it."""

import json

from ivdb.local.events import LambdaContext
from tests.events import load_event


def test_a_record_read_with_an_unsigned_token_is_refused_before_any_storage_is_touched(lambda_app):
    # GIVEN the recorded GET /records/{id} event, whose token is not a signed JWT
    event = load_event("api-get-record")

    # WHEN Lambda hands it to the API handler
    response = lambda_app(event, LambdaContext("APIHandler"))

    # THEN the answer is a JSON 401 that says nothing of the record
    assert response["statusCode"] == 401
    assert json.loads(response["body"])["error"]["code"] == "unauthorized"
