"""Liveness and the OpenAPI document: the two routes that need no token."""

from __future__ import annotations

import json

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api.http import endpoint

health = Blueprint(__name__)


@endpoint(health, "/health", public=True)
def liveness(request):
    return {"status": "ok"}


@endpoint(health, "/openapi.json", public=True)
def openapi_document(request):
    return json.loads((bootstrap.get_settings().schemas_dir / "openapi.json").read_text())
