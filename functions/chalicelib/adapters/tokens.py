"""Bearer token verification (JWT): signature, expiry, audience and issuer.

In AWS the tokens come from a Cognito user pool or the institutions' identity provider and
are checked against its JWKS; a local stack signs them with a key it generates and hands
the public half to the API. Either way the caller's institution comes from the token only.
"""

from __future__ import annotations

from collections.abc import Collection

import jwt

from chalicelib.domain.caller import Caller
from chalicelib.domain.errors import Unauthorized

ALGORITHMS = ["ES256", "RS256"]
INSTITUTION_CLAIM = "institution_id"
INSTITUTION_TYPE_CLAIM = "institution_type"


class TokenVerifier:
    def __init__(self, *, audience: str, issuer: str, institution_types: Collection[str],
                 public_key: str | None = None, jwks_url: str | None = None) -> None:
        if not public_key and not jwks_url:
            raise ValueError("a public key or a JWKS URL is required to verify tokens")
        self._audience = audience
        self._issuer = issuer
        self._institution_types = frozenset(institution_types)
        self._public_key = public_key
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None

    def _signing_key(self, token: str) -> object:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        return self._public_key

    def caller(self, token: str) -> Caller:
        try:
            claims = jwt.decode(
                token, self._signing_key(token), algorithms=ALGORITHMS, audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "aud", "iss", INSTITUTION_CLAIM, INSTITUTION_TYPE_CLAIM]},
            )
        except jwt.ExpiredSignatureError as e:
            raise Unauthorized("the token has expired") from e
        except jwt.PyJWTError as e:
            raise Unauthorized("the token is not valid") from e
        institution_id = claims[INSTITUTION_CLAIM]
        institution_type = claims[INSTITUTION_TYPE_CLAIM]
        if not isinstance(institution_id, str) or not institution_id:
            raise Unauthorized("the token names no institution")
        if institution_type not in self._institution_types:
            raise Unauthorized("the token names an unknown institution type")
        return Caller(institution_id=institution_id, institution_type=institution_type)
