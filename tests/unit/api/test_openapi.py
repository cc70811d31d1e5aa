"""schemas/openapi.json documents exactly the routes the app serves, and is valid OpenAPI 3.1.

The document is written by hand; these tests are what keeps it true. A route added to a
blueprint without a path in the document, or a documented path the app lost, fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest
from chalice.test import Client
from openapi_spec_validator import OpenAPIV31SpecValidator

from ivdb import paths

OPENAPI = paths.SCHEMAS / "openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def read_json_file(uri: str) -> object:
    return json.loads(Path(url2pathname(urlparse(uri).path)).read_text(encoding="utf-8"))


class LocalJsonValidator(OpenAPIV31SpecValidator):
    """Reads the referenced schemas as JSON, from this checkout only: the validator's default
    reader is YAML, which refuses the invisible characters the record schema's patterns name."""

    resolver_handlers = {"file": read_json_file}


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(OPENAPI.read_text())


@pytest.fixture
def app(lambda_app):
    return lambda_app


def operations(document: dict) -> dict[tuple[str, str], dict]:
    return {(path, method.upper()): operation
            for path, item in document["paths"].items()
            for method, operation in item.items() if method in HTTP_METHODS}


def bearer_schemes(document: dict) -> set[str]:
    return {name for name, scheme in document["components"]["securitySchemes"].items()
            if scheme.get("type") == "http" and scheme.get("scheme") == "bearer"}


def test_the_document_is_valid_openapi_3_1_with_its_references_to_the_record_schema(document):
    assert document["openapi"].startswith("3.1")
    LocalJsonValidator(document, base_uri=OPENAPI.as_uri()).validate()


def external_references(value: object) -> set[str]:
    """The files that ``$ref`` values name, beside the document."""
    if isinstance(value, list):
        return set().union(*map(external_references, value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found = set().union(*map(external_references, value.values())) if value else set()
    reference = value.get("$ref")
    if isinstance(reference, str) and not reference.startswith("#"):
        found.add(reference.split("#", 1)[0])
    return found


def test_the_request_bodies_reference_the_record_schema_beside_the_document(document):
    # the validator does not fetch a reference without a fragment, so a wrong file name would pass it
    assert external_references(document) == {"identification-record.schema.json"}
    assert all((OPENAPI.parent / name).is_file() for name in external_references(document))


def test_the_document_has_exactly_the_routes_of_the_app(app, document):
    served = {(path, method) for path, methods in app.routes.items() for method in methods}

    assert set(operations(document)) == served


def test_every_operation_the_app_guards_with_a_token_declares_bearer_security(app, document):
    # GIVEN each documented operation, called without a token
    client = Client(app)
    schemes = bearer_schemes(document)
    for (path, method), operation in operations(document).items():
        concrete_path = path.replace("{record_id}", "00000000-0000-4000-8000-000000000000")
        answer = client.http.request(method, concrete_path, headers={"content-type": "application/json"},
                                     body=b"{}" if method in {"POST", "PATCH"} else b"")
        security = operation.get("security", document.get("security", []))
        declared = any(set(requirement) & schemes for requirement in security)

        # THEN it declares bearer security exactly when the app refuses it without one
        assert declared == (answer.status_code == 401), f"{method} {path}"


def test_every_error_response_uses_the_error_schema(document):
    responses = document["components"]["responses"]
    for (path, method), operation in operations(document).items():
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                reference = response["$ref"].rsplit("/", 1)[-1]
                schema = responses[reference]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}"


def test_the_statistics_route_names_every_dimension_a_query_may_group_by(document):
    from chalicelib.domain.statistics import DimensionCatalog

    catalog = DimensionCatalog.from_schemas(json.loads((paths.SCHEMAS / "identification-record.schema.json").read_text()),
                                            json.loads((paths.SCHEMAS / "institution-registry.schema.json").read_text()))
    group_by = next(parameter for parameter in document["paths"]["/statistics"]["get"]["parameters"]
                    if parameter["name"] == "group_by")

    assert all(name in group_by["description"] for name in catalog.dimensions)
