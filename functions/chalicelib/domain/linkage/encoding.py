"""Keyed encodings: the only form in which identity data is kept for linkage.

Everything compared is computed with a secret key, so a copy of the stored encodings is
useless for a dictionary attack ("hash every name in the phone book") without the key:

* **Bloom filters** of name bigrams for fuzzy comparison (Dice coefficient). Each bigram
  of a padded spelling key ("_a", "ar", "rb" … "r_") sets ``hashes`` bits chosen by
  double hashing, ``h1 + i·h2 mod length`` for ``i < hashes``, where ``h1`` and ``h2`` are
  HMAC-SHA256 of the bigram under two sub-keys. Without the key the bit positions of a
  bigram are unknown; what remains visible is that similar filters have similar bits
  (that is their purpose), which is why stored encodings should also be encrypted at rest.
* **Tokens**: the first 96 bits of HMAC-SHA256 of a purpose label and a value, for
  exact-match features (dates of birth, document numbers, birth years). 96 bits make a
  chance collision between two values negligible at any realistic database size.

Birth years are kept only as tokens: equality is visible, distance is not, so a dump
gives no ordering of birth years. A year derived from an age at identification carries
two tokens (the birthday may fall either side of the identification date).

Sub-keys are derived from the secret with HMAC under distinct labels, so a token for a
document can never equal a block key or a Bloom position of the same text.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np

from chalicelib.domain.linkage import normalise
from chalicelib.domain.linkage.blocking import block_keys

ENCODING_VERSION = 1
DEFAULT_BLOOM_BITS = 1024
DEFAULT_HASHES_PER_BIGRAM = 20
TOKEN_BYTES = 12
MAX_ALIASES = 6
MAX_DOCUMENTS = 4
_PAD = "_"


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A sub-key for one purpose; knowing one sub-key reveals neither the secret nor another."""
    return hmac.new(secret, b"ivdb/linkage/v1/" + purpose.encode(), hashlib.sha256).digest()


def bigrams(keys: Iterable[str]) -> set[str]:
    """Bigrams of every word, padded so first and last letters weigh like inner ones."""
    grams: set[str] = set()
    for key in keys:
        padded = f"{_PAD}{key}{_PAD}"
        grams.update(padded[index : index + 2] for index in range(len(padded) - 1))
    return grams


class BloomFilter:
    """A fixed-length bit array; compare two with :meth:`dice`.

    Bits are kept as one Python integer so that Dice is two AND/popcount operations;
    :attr:`bits` gives the NumPy bit array.
    """

    __slots__ = ("length", "_value", "_count")

    def __init__(self, length: int, value: int) -> None:
        self.length = length
        self._value = value
        self._count = value.bit_count()

    @classmethod
    def from_bits(cls, bits: np.ndarray) -> "BloomFilter":
        packed = np.packbits(bits.astype(bool)).tobytes()
        return cls(len(bits), int.from_bytes(packed, "big"))

    @classmethod
    def from_bytes(cls, packed: bytes) -> "BloomFilter":
        return cls(len(packed) * 8, int.from_bytes(packed, "big"))

    @property
    def bits(self) -> np.ndarray:
        return np.unpackbits(np.frombuffer(self.to_bytes(), dtype=np.uint8)).astype(bool)

    @property
    def count(self) -> int:
        return self._count

    def to_bytes(self) -> bytes:
        return self._value.to_bytes(self.length // 8, "big")

    def union(self, other: "BloomFilter") -> "BloomFilter":
        return BloomFilter(self.length, self._value | other._value)

    def dice(self, other: "BloomFilter") -> float:
        """2·|A∩B| / (|A|+|B|): 1.0 for equal filters, near 0 for unrelated names."""
        total = self._count + other._count
        if total == 0:
            return 0.0
        return 2 * (self._value & other._value).bit_count() / total

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, BloomFilter)
            and self.length == other.length
            and self._value == other._value
        )

    def __hash__(self) -> int:
        return hash((self.length, self._value))


@dataclass(frozen=True)
class Document:
    """A document as two tokens: its kind (type and country) and its number."""

    kind: bytes
    number: bytes


@dataclass(frozen=True)
class RecordEncoding:
    """The keyed encoding of one record's identity: all that linkage stores or compares."""

    given: BloomFilter | None = None
    family: BloomFilter | None = None
    father: BloomFilter | None = None
    aliases: tuple[BloomFilter, ...] = ()
    place: BloomFilter | None = None
    birth_years: frozenset[bytes] = frozenset()
    birth_date: bytes | None = None
    birth_date_unordered: bytes | None = None
    birth_year_month: bytes | None = None
    birth_month_day: bytes | None = None
    documents: tuple[Document, ...] = ()

    _BLOOMS = ("given", "family", "father", "place")
    _TOKENS = ("birth_date", "birth_date_unordered", "birth_year_month", "birth_month_day")

    @property
    def birth_year_stated(self) -> bool:
        """One birth-year token: the year was written, not derived from an estimated age."""
        return len(self.birth_years) == 1

    def to_dict(self) -> dict[str, Any]:
        """Compact storable form: bytes, lists of bytes and an int version."""
        stored: dict[str, Any] = {"version": ENCODING_VERSION}
        for name in self._BLOOMS:
            bloom = getattr(self, name)
            if bloom is not None:
                stored[name] = bloom.to_bytes()
        for name in self._TOKENS:
            token = getattr(self, name)
            if token is not None:
                stored[name] = token
        if self.aliases:
            stored["aliases"] = [alias.to_bytes() for alias in self.aliases]
        if self.birth_years:
            stored["birth_years"] = sorted(self.birth_years)
        if self.documents:
            stored["documents"] = [doc.kind + doc.number for doc in self.documents]
        return stored

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> "RecordEncoding":
        if stored.get("version") != ENCODING_VERSION:
            raise ValueError("unsupported linkage encoding version")
        values: dict[str, Any] = {}
        for name in cls._BLOOMS:
            if name in stored:
                values[name] = BloomFilter.from_bytes(bytes(stored[name]))
        for name in cls._TOKENS:
            if name in stored:
                values[name] = bytes(stored[name])
        values["aliases"] = tuple(BloomFilter.from_bytes(bytes(a)) for a in stored.get("aliases", ()))
        values["birth_years"] = frozenset(bytes(t) for t in stored.get("birth_years", ()))
        values["documents"] = tuple(
            Document(bytes(d)[:TOKEN_BYTES], bytes(d)[TOKEN_BYTES:])
            for d in stored.get("documents", ())
        )
        return cls(**values)

    def to_bytes(self) -> bytes:
        """The dict form packed as tagged, length-prefixed fields (for in-memory stores)."""
        chunks = []
        for tag, value in self.to_dict().items():
            items = value if isinstance(value, list) else [value]
            for item in items:
                payload = item if isinstance(item, bytes) else struct.pack(">I", item)
                name = tag.encode()
                chunks.append(struct.pack(">BH", len(name), len(payload)) + name + payload)
        return b"".join(chunks)

    @classmethod
    def from_bytes(cls, packed: bytes) -> "RecordEncoding":
        stored: dict[str, Any] = {}
        offset = 0
        while offset < len(packed):
            name_length, payload_length = struct.unpack_from(">BH", packed, offset)
            offset += 3
            name = packed[offset : offset + name_length].decode()
            offset += name_length
            payload = packed[offset : offset + payload_length]
            offset += payload_length
            if name == "version":
                stored[name] = struct.unpack(">I", payload)[0]
            elif name in ("aliases", "birth_years", "documents"):
                stored.setdefault(name, []).append(payload)
            else:
                stored[name] = payload
        return cls.from_dict(stored)

    def digest(self) -> str:
        """Fingerprint of the content, to recognise an unchanged record on re-linking."""
        return hashlib.sha256(self.to_bytes()).hexdigest()[:32]


@dataclass(frozen=True)
class EncodedRecord:
    encoding: RecordEncoding
    block_keys: tuple[str, ...]
    digest: str = field(default="")


class Encoder:
    """Turns a record's identity and statistical sections into keyed encodings.

    The secret comes from the key service; nothing else about a record leaves here.
    Bigram masks are cached per encoder: they are as secret as the key itself and never
    leave the process.
    """

    def __init__(
        self,
        secret: bytes,
        bloom_bits: int = DEFAULT_BLOOM_BITS,
        hashes_per_bigram: int = DEFAULT_HASHES_PER_BIGRAM,
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the linkage key must have at least 128 bits")
        if bloom_bits % 64:
            raise ValueError("the Bloom filter length must be a multiple of 64 bits")
        self.bloom_bits = bloom_bits
        self.hashes_per_bigram = hashes_per_bigram
        self._first_hash_key = derive_key(secret, "bloom/h1")
        self._second_hash_key = derive_key(secret, "bloom/h2")
        self._token_key = derive_key(secret, "token")
        self._block_key = derive_key(secret, "block")
        self._bigram_masks: dict[str, int] = {}

    def token(self, purpose: str, value: str) -> bytes:
        message = f"{purpose}\x1f{value}".encode()
        return hmac.new(self._token_key, message, hashlib.sha256).digest()[:TOKEN_BYTES]

    def block_key(self, purpose: str, value: str) -> str:
        message = f"{purpose}\x1f{value}".encode()
        digest = hmac.new(self._block_key, message, hashlib.sha256).digest()
        return digest[:TOKEN_BYTES].hex()

    def _bigram_mask(self, gram: str) -> int:
        mask = self._bigram_masks.get(gram)
        if mask is None:
            data = gram.encode()
            first = int.from_bytes(hmac.new(self._first_hash_key, data, hashlib.sha256).digest()[:8], "big")
            second = int.from_bytes(hmac.new(self._second_hash_key, data, hashlib.sha256).digest()[:8], "big")
            step = second | 1
            positions = [(first + index * step) % self.bloom_bits for index in range(self.hashes_per_bigram)]
            bits = np.zeros(self.bloom_bits, dtype=bool)
            bits[positions] = True
            mask = int.from_bytes(np.packbits(bits).tobytes(), "big")
            self._bigram_masks[gram] = mask
        return mask

    def bloom(self, keys: Iterable[str]) -> BloomFilter | None:
        """Bloom filter of the bigrams of some spelling keys; None when there are none."""
        value = 0
        for gram in bigrams(keys):
            value |= self._bigram_mask(gram)
        return BloomFilter(self.bloom_bits, value) if value else None

    def encode(self, identity: Mapping[str, Any] | None, statistical: Mapping[str, Any] | None) -> EncodedRecord:
        identity = dict(identity or {})
        statistical = dict(statistical or {})
        given = normalise.name_keys(identity.get("given_name"))
        family = normalise.name_keys(identity.get("family_name"))
        father = normalise.name_keys(identity.get("father_name"))
        aliases = self._alias_keys(identity.get("other_names"), given)
        place = normalise.place_key(identity.get("place_of_birth"))
        birth = normalise.birth_date(identity, statistical)
        documents = self._documents(identity.get("documents"))

        encoding = RecordEncoding(
            given=self.bloom(given),
            family=self.bloom(family),
            father=self.bloom(father),
            aliases=tuple(b for b in (self.bloom((alias,)) for alias in aliases) if b),
            place=self.bloom(place.split()),
            documents=tuple(
                Document(self.token("document-kind", kind), self.token("document-number", number))
                for kind, number in documents
            ),
            **self._birth_tokens(birth),
        )
        keys = block_keys(given, family, father, aliases, birth, [n for _, n in documents], self.block_key)
        return EncodedRecord(encoding, keys, encoding.digest())

    @staticmethod
    def _alias_keys(other_names: Any, given: tuple[str, ...]) -> tuple[str, ...]:
        """Words of other_names plus known short/full forms of the given name, deduplicated."""
        names = other_names if isinstance(other_names, list) else [other_names]
        words: list[str] = []
        for name in names:
            words.extend(normalise.name_keys(name))
        words.extend(normalise.known_variants(given))
        unique = [w for w in dict.fromkeys(words) if w and (w,) != given]
        return tuple(unique[:MAX_ALIASES])

    @staticmethod
    def _documents(documents: Any) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for document in documents if isinstance(documents, list) else []:
            if not isinstance(document, Mapping):
                continue
            number = normalise.document_number(document.get("number"))
            if number:
                kind = f"{normalise.fold(str(document.get('type', '')))}|{str(document.get('country', '')).upper()}"
                found.append((kind, number))
        return found[:MAX_DOCUMENTS]

    def _birth_tokens(self, birth: normalise.BirthDate | None) -> dict[str, Any]:
        if birth is None:
            return {}
        tokens: dict[str, Any] = {
            "birth_years": frozenset(self.token("birth-year", str(year)) for year in birth.years)
        }
        if birth.is_full:
            year, month, day = birth.first_year, birth.month, birth.day
            low, high = sorted((month, day))
            tokens["birth_date"] = self.token("birth-date", f"{year}-{month}-{day}")
            tokens["birth_date_unordered"] = self.token("birth-date-unordered", f"{year}-{low}-{high}")
            tokens["birth_year_month"] = self.token("birth-year-month", f"{year}-{month}")
            tokens["birth_month_day"] = self.token("birth-month-day", f"{month}-{day}")
        return tokens
