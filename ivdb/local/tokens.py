"""Token signing for local stacks: a key pair made at start, the private half in a file only
the developer can read, the public half handed to the API. Never used against AWS."""

from __future__ import annotations

import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ISSUER = "ivdb-local"
AUDIENCE = "ivdb"
ALGORITHM = "ES256"


def new_signing_key() -> tuple[str, str]:
    """A fresh (private PEM, public PEM) pair."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    private_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()).decode()
    public_pem = private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private_pem, public_pem


def sign_token(private_pem: str, institution: dict[str, str], lifetime_seconds: int,
               issuer: str = ISSUER, audience: str = AUDIENCE) -> str:
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "sub": institution["id"], "iat": now,
              "exp": now + lifetime_seconds, "institution_id": institution["id"],
              "institution_type": institution["type"]}
    return jwt.encode(claims, private_pem, algorithm=ALGORITHM)
