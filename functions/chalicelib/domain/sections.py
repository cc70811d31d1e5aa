"""How the domain sees field-level encryption: a cipher that encrypts a section to a set of
readers under an encryption context, and decrypts it for one reader only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol


class SectionUnreadable(Exception):
    """This reader cannot decrypt this section (not a recipient, or the context differs)."""


class SectionCipher(Protocol):
    def encrypt(self, plaintext: bytes, readers: Iterable[str], context: Mapping[str, str]) -> bytes: ...

    def decrypt(self, ciphertext: bytes, reader: str, context: Mapping[str, str]) -> bytes: ...
