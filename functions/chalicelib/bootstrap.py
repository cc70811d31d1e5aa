"""The only place that wires adapters to the domain. Everything is built lazily, once per
Lambda container: a cold start pays only for what its first request needs."""

from __future__ import annotations

import functools
import json

from chalicelib.adapters.tokens import TokenVerifier
from chalicelib.settings import Settings, get_settings

__all__ = ["get_settings", "get_token_verifier", "institution_types"]


@functools.lru_cache(maxsize=1)
def institution_types() -> tuple[str, ...]:
    """The institution types, from the registry schema (the one list of them)."""
    schema = json.loads((get_settings().schemas_dir / "institution-registry.schema.json").read_text())
    return tuple(schema["$defs"]["institution_type"]["enum"])


@functools.lru_cache(maxsize=1)
def get_token_verifier() -> TokenVerifier:
    settings: Settings = get_settings()
    return TokenVerifier(audience=settings.jwt_audience, issuer=settings.jwt_issuer,
                         institution_types=institution_types(),
                         public_key=settings.jwt_public_key, jwks_url=settings.jwt_jwks_url)
