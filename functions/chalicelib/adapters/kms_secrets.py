"""Local HMAC keys derived from KMS HMAC keys.

KMS GenerateMac over a fixed label gives a 32-byte secret that only a role allowed to use
the KMS key can obtain. It is derived once per Lambda container and kept in memory, so a
keyed hash costs no KMS call per record and the secret is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import Unavailable


class KmsDerivedSecret:
    def __init__(self, kms: Any, key_id: str, label: str) -> None:
        self._kms = kms
        self._key_id = key_id
        self._label = label.encode()
        self._secret: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        with self._lock:
            if self._secret is None:
                try:
                    self._secret = self._kms.generate_mac(KeyId=self._key_id, Message=self._label,
                                                          MacAlgorithm="HMAC_SHA_256")["Mac"]
                except (ClientError, BotoCoreError) as e:
                    raise Unavailable("the key service is unavailable") from e
            return self._secret


def _framed(*values: str) -> bytes:
    """Length-prefixed, so that ("ab", "c") and ("a", "bc") never hash alike."""
    return b"".join(len(encoded).to_bytes(4, "big") + encoded for encoded in (value.encode() for value in values))


class KeyedHash:
    """keyed_hash(purpose, *values) -> hex HMAC-SHA256; the purpose separates uses of one key."""

    def __init__(self, secret: KmsDerivedSecret) -> None:
        self._secret = secret

    def __call__(self, purpose: str, *values: str) -> str:
        return hmac.new(self._secret(), _framed(purpose, *values), hashlib.sha256).hexdigest()

    def mac(self, message: bytes) -> str:
        return hmac.new(self._secret(), message, hashlib.sha256).hexdigest()
