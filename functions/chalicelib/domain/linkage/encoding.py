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
  exact-match features (dates of birth, document numbers, birth years and months, sex,
  citizenship). 96 bits make a chance collision between two values negligible at any
  realistic database size.
* **Spelling tokens**: 64-bit keyed BLAKE2b of a name's spelling key, of its other
  readings (normalise.name_readings) and of every spelling one letter shorter, as read
  and as written. Two names one letter apart share one of the shorter spellings; the
  store counts records per spelling (term frequencies, scoring.Frequencies). A given
  or family name of several words (Ana-Maria, a whole name written into one field) also
  has the spelling token of each word; a whole name written into one field, the other
  left empty, is also encoded as the given and family names it splits into (``splits``,
  blocking.name_pairs), so that it compares with names written apart. Names of more
  words than a given and a family name, with no father's name apart, also have the
  spelling tokens of each word read as a father's name (``father_in_name``), and are
  also encoded with the last word of a name left out (``without_father``).
  A name yields dozens of these, so the faster keyed hash; 64 bits keep a chance
  collision between two records' spellings negligible.
* **Initials**: a name written as its initial (J., P.) has no spelling; it is kept as a
  Bloom filter of one padded bigram ("_p") for each letter it may stand for
  (normalise.initial_letters), whose bits the filter of every name starting so holds.
  Initials within a name are no part of its spelling (Jelena P. is Jelena), and the one
  after a given name is the father's when the record gives none apart.

* **Periods of identification**: tokens of the 30-day period in which the record's
  institution identified the person and of the period before, so that records written
  within 30 days of each other always share one (referrals, scoring). Which records
  were identified within a month or two of each other is visible, and from the shared
  records the order of the periods; not the date of any one.

Birth years are kept only as tokens: equality and nearness are visible, the year is not. A
year derived from an age at identification carries two tokens (the birthday may fall
either side of the identification date), four when the age stands alone and may be a
year off. The years a year either side of those are tokens too (``near_birth_years``),
so that a year written a year off is told from a different year: which records' years
lie a year apart is visible (as the four tokens of an age alone already show), and from
many records the order of the year tokens; not which year a token is, though the ages
of victims, which are known, hint at it.
The months a record allows for the birth (one for a full date, the months of a written
year that agree with the age, the twelve months before an identification at a given
age) are tokens too, so that a full date can be compared with an age. A full date also
has tokens of its slips (``birth_date_slips``): the date with one digit of the day left
out, and the windows of a few days that hold it, so that a day written a digit or a few
days off (12 and 13, 06 and 16, 29 and 01) is told from another day; the first of a
month, often written for a day not known, has the slips of every day of its month. Which
dates are a digit or a few days apart is visible, and which dates are the first of a
month (they have more tokens), not the dates.

Sub-keys are derived from the secret with HMAC under distinct labels, so a token for a
document can never equal a block key or a Bloom position of the same text.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Iterable, Mapping, NamedTuple

import numpy as np

from chalicelib.domain.linkage import normalise
from chalicelib.domain.linkage.blocking import Readings, block_keys, name_pairs

ENCODING_VERSION = 2
DEFAULT_BLOOM_BITS = 1024
DEFAULT_HASHES_PER_BIGRAM = 20
TOKEN_BYTES = 12
SPELLING_TOKEN_BYTES = 8
MAX_ALIASES = 6
MAX_DOCUMENTS = 4
MAX_NAME_WORDS = 4
MAX_NAME_WORDS_READ_AS_FATHER = 6
SLIP_WINDOW_DAYS = 6
IDENTIFIED_TOGETHER_DAYS = 30
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

    Bits are kept as one Python integer so that Dice is two AND/popcount operations.
    """

    __slots__ = ("length", "_value", "_count")

    def __init__(self, length: int, value: int) -> None:
        self.length = length
        self._value = value
        self._count = value.bit_count()

    @classmethod
    def from_bytes(cls, packed: bytes) -> "BloomFilter":
        return cls(len(packed) * 8, int.from_bytes(packed, "big"))

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

    def within(self, other: "BloomFilter") -> bool:
        """Every bit of this filter is set in ``other``: what it was built from, ``other``
        most likely was built from too."""
        return self._value & ~other._value == 0

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


class Name(NamedTuple):
    """One name field's encodings together, as scoring compares them."""

    bloom: BloomFilter | None
    spelling: bytes | None
    readings: frozenset[bytes]
    neighbours: frozenset[bytes]
    words: frozenset[bytes]
    initials: tuple[BloomFilter, ...]


@dataclass(frozen=True)
class RecordEncoding:
    """The keyed encoding of one record's identity: all that linkage stores or compares."""

    given: BloomFilter | None = None
    family: BloomFilter | None = None
    father: BloomFilter | None = None
    aliases: tuple[BloomFilter, ...] = ()
    place: BloomFilter | None = None
    given_spelling: bytes | None = None
    family_spelling: bytes | None = None
    father_spelling: bytes | None = None
    given_readings: frozenset[bytes] = frozenset()
    family_readings: frozenset[bytes] = frozenset()
    father_readings: frozenset[bytes] = frozenset()
    given_neighbours: frozenset[bytes] = frozenset()
    family_neighbours: frozenset[bytes] = frozenset()
    father_neighbours: frozenset[bytes] = frozenset()
    place_neighbours: frozenset[bytes] = frozenset()
    birth_years: frozenset[bytes] = frozenset()
    birth_months: frozenset[bytes] = frozenset()
    birth_date: bytes | None = None
    birth_date_unordered: bytes | None = None
    birth_month_day: bytes | None = None
    sex: bytes | None = None
    citizenships: frozenset[bytes] = frozenset()
    documents: tuple[Document, ...] = ()
    given_words: frozenset[bytes] = frozenset()
    family_words: frozenset[bytes] = frozenset()
    splits: tuple["RecordEncoding", ...] = ()
    father_in_name: frozenset[bytes] = frozenset()
    without_father: tuple["RecordEncoding", ...] = ()
    near_birth_years: frozenset[bytes] = frozenset()
    given_initials: tuple[BloomFilter, ...] = ()
    family_initials: tuple[BloomFilter, ...] = ()
    father_initials: tuple[BloomFilter, ...] = ()
    identified: frozenset[bytes] = frozenset()
    birth_date_slips: frozenset[bytes] = frozenset()
    full_name_spelling: bytes | None = field(init=False, repr=False, compare=False)
    name_spellings: frozenset[bytes] = field(init=False, repr=False, compare=False)
    counted_tokens: frozenset[bytes] = field(init=False, repr=False, compare=False)
    names: Mapping[str, "Name"] = field(init=False, repr=False, compare=False)

    _BLOOMS = ("given", "family", "father", "place")
    _TOKENS = ("given_spelling", "family_spelling", "father_spelling",
               "birth_date", "birth_date_unordered", "birth_month_day", "sex")
    _TOKEN_SETS = ("given_readings", "family_readings", "father_readings", "given_neighbours",
                   "family_neighbours", "father_neighbours", "place_neighbours",
                   "birth_years", "birth_months", "citizenships")
    _FULL_TOKEN_SETS = frozenset(
        {"birth_years", "birth_months", "citizenships", "near_birth_years", "identified", "birth_date_slips"}
    )
    # Stored after "aliases" and "documents" (_FIELD_NAMES), as "splits": the fields were
    # added to version 2, whose stored tags keep their numbers.
    _WORD_SETS = ("given_words", "family_words")
    # Stored after "splits", for the same reason.
    _LATER_WORD_SETS = ("father_in_name",)
    # Stored after "without_father", for the same reason.
    _LATEST_TOKEN_SETS = ("near_birth_years",)
    # Stored after the initials, for the same reason.
    _LAST_TOKEN_SETS = ("identified", "birth_date_slips")
    _ALL_TOKEN_SETS = _TOKEN_SETS + _WORD_SETS + _LATER_WORD_SETS + _LATEST_TOKEN_SETS + _LAST_TOKEN_SETS
    # A name written as its initial: one filter per letter it may stand for
    # (normalise.initial_letters). Stored after "near_birth_years", for the same reason.
    _INITIALS = ("given_initials", "family_initials", "father_initials")

    @property
    def birth_year_stated(self) -> bool:
        """One birth-year token: the date or year was written; an age alone gives four."""
        return len(self.birth_years) == 1

    def __post_init__(self) -> None:
        """The full name's spelling (given and family, in either order), the name
        spellings (given name, family name and both together) and the tokens the store
        counts: those spellings and the periods of identification."""
        full_name = None
        if self.given_spelling is not None and self.family_spelling is not None:
            first, second = sorted((self.given_spelling, self.family_spelling))
            full_name = hashlib.sha256(b"full-name\x1f" + first + second).digest()[:SPELLING_TOKEN_BYTES]
        spellings = (self.given_spelling, self.family_spelling, full_name)
        object.__setattr__(self, "full_name_spelling", full_name)
        object.__setattr__(self, "name_spellings", frozenset(s for s in spellings if s is not None))
        object.__setattr__(self, "counted_tokens", self.name_spellings | self.identified)
        object.__setattr__(self, "names", {
            name: Name(getattr(self, name), getattr(self, f"{name}_spelling"), getattr(self, f"{name}_readings"),
                       getattr(self, f"{name}_neighbours"), getattr(self, f"{name}_words", frozenset()),
                       getattr(self, f"{name}_initials"))
            for name in ("given", "family", "father")
        })

    @classmethod
    def _token_size(cls, name: str) -> int:
        return TOKEN_BYTES if name in cls._FULL_TOKEN_SETS else SPELLING_TOKEN_BYTES

    def to_dict(self) -> dict[str, Any]:
        """Compact storable form: bytes (a token set as its tokens end to end), lists of
        bytes and an int version."""
        stored: dict[str, Any] = {"version": ENCODING_VERSION}
        for name in self._BLOOMS:
            bloom = getattr(self, name)
            if bloom is not None:
                stored[name] = bloom.to_bytes()
        for name in self._TOKENS:
            token = getattr(self, name)
            if token is not None:
                stored[name] = token
        for name in self._ALL_TOKEN_SETS:
            if getattr(self, name):
                stored[name] = b"".join(sorted(getattr(self, name)))
        if self.aliases:
            stored["aliases"] = [alias.to_bytes() for alias in self.aliases]
        if self.documents:
            stored["documents"] = [doc.kind + doc.number for doc in self.documents]
        if self.splits:
            stored["splits"] = [split.to_bytes() for split in self.splits]
        if self.without_father:
            stored["without_father"] = [names.to_bytes() for names in self.without_father]
        for name in self._INITIALS:
            if getattr(self, name):
                stored[name] = [initial.to_bytes() for initial in getattr(self, name)]
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
        for name in cls._ALL_TOKEN_SETS:
            tokens, size = bytes(stored.get(name, b"")), cls._token_size(name)
            values[name] = frozenset(tokens[i : i + size] for i in range(0, len(tokens), size))
        values["aliases"] = tuple(BloomFilter.from_bytes(bytes(a)) for a in stored.get("aliases", ()))
        values["documents"] = tuple(
            Document(bytes(d)[:TOKEN_BYTES], bytes(d)[TOKEN_BYTES:])
            for d in stored.get("documents", ())
        )
        values["splits"] = tuple(cls.from_bytes(bytes(split)) for split in stored.get("splits", ()))
        values["without_father"] = tuple(cls.from_bytes(bytes(names)) for names in stored.get("without_father", ()))
        for name in cls._INITIALS:
            values[name] = tuple(BloomFilter.from_bytes(bytes(initial)) for initial in stored.get(name, ()))
        return cls(**values)

    def to_bytes(self) -> bytes:
        """The dict form packed as fields tagged by number, length-prefixed (for stores)."""
        return self._packed

    @cached_property
    def _packed(self) -> bytes:
        chunks = []
        for name, value in self.to_dict().items():
            tag = _FIELD_TAGS[name]
            for item in value if isinstance(value, list) else [value]:
                payload = item if isinstance(item, bytes) else struct.pack(">I", item)
                chunks.append(struct.pack(">BH", tag, len(payload)) + payload)
        return b"".join(chunks)

    @classmethod
    def from_bytes(cls, packed: bytes) -> "RecordEncoding":
        stored: dict[str, Any] = {}
        offset = 0
        while offset < len(packed):
            tag, length = struct.unpack_from(">BH", packed, offset)
            payload = packed[offset + 3 : offset + 3 + length]
            offset += 3 + length
            name = _FIELD_NAMES[tag]
            if name == "version":
                stored[name] = struct.unpack(">I", payload)[0]
            elif name in _REPEATED_FIELDS:
                stored.setdefault(name, []).append(payload)
            else:
                stored[name] = payload
        return cls.from_dict(stored)

    def digest(self) -> str:
        """Fingerprint of the content, to recognise an unchanged record on re-linking."""
        return hashlib.sha256(self.to_bytes()).hexdigest()[:32]


_FIELD_NAMES = ("version", *RecordEncoding._BLOOMS, *RecordEncoding._TOKENS, *RecordEncoding._TOKEN_SETS,
                "aliases", "documents", *RecordEncoding._WORD_SETS, "splits", *RecordEncoding._LATER_WORD_SETS,
                "without_father", *RecordEncoding._LATEST_TOKEN_SETS, *RecordEncoding._INITIALS,
                *RecordEncoding._LAST_TOKEN_SETS)
_REPEATED_FIELDS = frozenset({"aliases", "documents", "splits", "without_father", *RecordEncoding._INITIALS})
_FIELD_TAGS = {name: tag for tag, name in enumerate(_FIELD_NAMES)}


def _word_keys(readings: tuple[str, ...]) -> Readings:
    """A name's readings (normalise.name_readings) as the spelling keys of their words."""
    return tuple(tuple(reading.split()) for reading in readings)


@dataclass(frozen=True)
class EncodedRecord:
    """A record's encoding, the blocks it joins (``block_keys``, stored with it) and the
    blocks whose members it is compared with (``search_keys``, see blocking.BlockKeys)."""

    encoding: RecordEncoding
    block_keys: tuple[str, ...]
    digest: str = field(default="")
    search_keys: tuple[str, ...] = ()


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
        self._token_mac = hmac.new(derive_key(secret, "token"), digestmod=hashlib.sha256)
        self._block_mac = hmac.new(derive_key(secret, "block"), digestmod=hashlib.sha256)
        self._spelling_key = derive_key(secret, "spelling")
        self._bigram_masks: dict[str, int] = {}

    @staticmethod
    def _mac(keyed: "hmac.HMAC", purpose: str, value: str) -> bytes:
        """HMAC-SHA256 of a purpose and a value; copying a keyed HMAC skips the key setup."""
        mac = keyed.copy()
        mac.update(f"{purpose}\x1f{value}".encode())
        return mac.digest()

    def token(self, purpose: str, value: str) -> bytes:
        return self._mac(self._token_mac, purpose, value)[:TOKEN_BYTES]

    def block_key(self, purpose: str, value: str) -> str:
        return self._mac(self._block_mac, purpose, value)[:TOKEN_BYTES].hex()

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
        written, initials = self._written_names(identity)
        readings = {"given": normalise.name_readings(written["given"]),
                    "family": normalise.name_readings(written["family"]),
                    "father": normalise.father_name_readings(written["father"])}
        reading_keys = {name: _word_keys(spellings) for name, spellings in readings.items()}
        given, family, father = (keys[0] if keys else () for keys in reading_keys.values())
        names_apart = name_pairs(reading_keys["given"], reading_keys["family"]) if not (given and family) else []
        words = {} if father else {name: normalise.name_words(written[name]) for name in ("given", "family")}
        father_within = self._father_within(words, reading_keys) if words else []
        other_names = self._other_name_keys(identity.get("other_names"), given)
        aliases = self._alias_keys(other_names, reading_keys["given"])
        written_place = " ".join(normalise.name_keys(identity.get("place_of_birth")))
        place = normalise.place_key(identity.get("place_of_birth"))
        birth = normalise.birth_date(identity, statistical)
        documents = self._documents(identity.get("documents"))
        sex = normalise.sex(statistical.get("sex"))
        citizenships = normalise.countries(statistical.get("citizenship"))

        encoding = RecordEncoding(
            given=self.bloom(given),
            family=self.bloom(family),
            father=self.bloom(father),
            aliases=tuple(b for b in (self.bloom((alias,)) for alias in aliases) if b),
            place=self.bloom(place.split()),
            place_neighbours=frozenset().union(*map(self._neighbours, {place, written_place})),
            **self._spelling_tokens("given", readings["given"], written["given"]),
            **self._spelling_tokens("family", readings["family"], written["family"]),
            **self._spelling_tokens("father", readings["father"], written["father"]),
            **{f"{name}_initials": self._initial(initial) for name, initial in initials.items() if initial},
            documents=tuple(
                Document(self.token("document-kind", kind), self.token("document-number", number))
                for kind, number in documents
            ),
            sex=self.token("sex", sex) if sex else None,
            citizenships=frozenset(self.token("citizenship", country) for country in citizenships),
            **self._birth_tokens(birth),
            splits=tuple(self._names(*pair) for pair in names_apart),
            father_in_name=self._father_in_name(words) if words else frozenset(),
            without_father=tuple(self._names(given, family) for given, family, _ in father_within),
            identified=self._identified(normalise.identification_date(statistical)),
        )
        keys = block_keys(reading_keys["given"], reading_keys["family"], reading_keys["father"],
                          aliases, other_names, birth, [n for _, n in documents], self.block_key, father_within)
        return EncodedRecord(encoding, keys.joined, encoding.digest(), keys.searched)

    def _identified(self, day: date | None) -> frozenset[bytes]:
        """Tokens of the period of ``IDENTIFIED_TOGETHER_DAYS`` holding the identification
        and of the period before: records identified that many days apart or fewer always
        share one, records up to twice as far apart may."""
        if day is None:
            return frozenset()
        period = day.toordinal() // IDENTIFIED_TOGETHER_DAYS
        return frozenset(self.token("identified", str(number)) for number in (period, period - 1))

    @staticmethod
    def _written_names(identity: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str | None]]:
        """Each name field without its initials (normalise.without_initials), and the
        initial a name is written as: that of a field holding nothing else, and for the
        father's name, when the record gives none apart, the given name's next initial
        (Jelena P., J. P.)."""
        written: dict[str, Any] = {}
        found: dict[str, tuple[str, ...]] = {}
        for name in ("given", "family", "father"):
            written[name], found[name] = normalise.without_initials(identity.get(f"{name}_name"))
        initials = {name: found[name][0] if found[name] and not written[name] else None for name in written}
        if written["father"] is None:
            after_given = found["given"][1:] if initials["given"] else found["given"]
            initials["father"] = after_given[0] if after_given else None
        return written, initials

    def _initial(self, initial: str) -> tuple[BloomFilter, ...]:
        """A filter of the padded first bigram ("_p") for each letter an initial may stand
        for: a name starting with it sets all of that filter's bits."""
        return tuple(BloomFilter(self.bloom_bits, self._bigram_mask(_PAD + letter))
                     for letter in normalise.initial_letters(initial))

    def _names(self, given: Readings, family: Readings) -> RecordEncoding:
        """The given and family names alone, as a whole name in one field splits into."""
        return RecordEncoding(
            given=self.bloom(given[0]),
            family=self.bloom(family[0]),
            **self._spelling_tokens("given", tuple(" ".join(keys) for keys in given)),
            **self._spelling_tokens("family", tuple(" ".join(keys) for keys in family)),
        )

    def _father_in_name(self, words: Mapping[str, list[str]]) -> frozenset[bytes]:
        """The readings of each word of the given and family names (``words``), when they
        hold more words than a given and a family name and no father's name is given
        apart: Albanian and Serbian write it between the two (Arta Ilir Berisha, Jelena
        (Petar) Jovanović), Russian as the patronymic after the given name (Мария
        Петровна Иванова)."""
        all_words = [*words["given"], *words["family"]]
        if len(all_words) <= 2:
            return frozenset()
        return frozenset(
            self._spelling(reading)
            for word in all_words[:MAX_NAME_WORDS_READ_AS_FATHER]
            for reading in normalise.father_name_readings(word)
        )

    @staticmethod
    def _father_within(words: Mapping[str, list[str]], reading_keys: Mapping[str, Readings]) -> list[
        tuple[Readings, Readings, Readings]
    ]:
        """Given, family and father's name where the last word of a name of several words
        is read as the father's name (``_father_in_name``): Arta Ilir Berisha as Arta
        Berisha, father Ilir; Мария Петровна Иванова as Мария Иванова, father Пётр."""
        found = []
        for name, other in (("given", "family"), ("family", "given")):
            if len(words[name]) < 2 or not reading_keys[other]:
                continue
            names = {name: _word_keys(normalise.name_readings(" ".join(words[name][:-1]))), other: reading_keys[other]}
            father = _word_keys(normalise.father_name_readings(words[name][-1]))
            if names[name] and father:
                found.append((names["given"], names["family"], father))
        return found

    @staticmethod
    def _other_name_keys(other_names: Any, given: tuple[str, ...]) -> tuple[str, ...]:
        """Words of other_names other than the given name, deduplicated."""
        names = other_names if isinstance(other_names, list) else [other_names]
        words: list[str] = []
        for name in names:
            words.extend(normalise.name_keys(name))
        return tuple(w for w in dict.fromkeys(words) if w and (w,) != given)[:MAX_ALIASES]

    @staticmethod
    def _alias_keys(other_names: tuple[str, ...], given_readings: Readings) -> tuple[str, ...]:
        """Words of other_names, then known short/full forms of the given name in any of its
        readings (Vitaliy, as a Russian passport writes Vitalie, has Vitea), deduplicated."""
        variants = (w for given in given_readings for w in normalise.known_variants(given)
                    if (w,) not in given_readings)
        return tuple(dict.fromkeys((*other_names, *variants)))[:MAX_ALIASES]

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

    def _spelling(self, spelling: str) -> bytes:
        """Keyed BLAKE2b: a name yields dozens of these, and it is three times HMAC's speed."""
        return hashlib.blake2b(spelling.encode(), key=self._spelling_key, digest_size=SPELLING_TOKEN_BYTES).digest()

    def _spelling_tokens(self, name: str, readings: tuple[str, ...], written: Any = None) -> dict[str, Any]:
        """The spelling of a name, its other readings (normalise.name_readings), the
        spellings one letter shorter of each reading and of the name as ``written``, and
        for a given or family name of several words each word's spelling.

        Two names one letter apart (a letter wrong, missing, added or two swapped) share
        a spelling one letter shorter, or one is the other one letter shorter: as read
        (Svnetlana / Svetlana; Snlvije, read with its other ending, / Selvija), or as
        written (normalise.written_neighbours: Neand / Nenad).
        """
        if not readings:
            return {}
        spelling, *others = readings
        neighbours = set().union(*map(normalise.one_letter_neighbours, readings), normalise.written_neighbours(written))
        tokens = {
            f"{name}_spelling": self._spelling(spelling),
            f"{name}_readings": frozenset(map(self._spelling, others)),
            f"{name}_neighbours": frozenset(map(self._spelling, neighbours)),
        }
        words = spelling.split()
        if len(words) > 1 and f"{name}_words" in RecordEncoding._WORD_SETS:
            tokens[f"{name}_words"] = frozenset(map(self._spelling, words[:MAX_NAME_WORDS]))
        return tokens

    def _neighbours(self, spelling: str) -> frozenset[bytes]:
        return frozenset(map(self._spelling, normalise.one_letter_neighbours(spelling)))

    def _birth_date_slips(self, year: int, month: int, day: int) -> frozenset[bytes]:
        """The date with one digit of the day left out, and the windows of
        ``SLIP_WINDOW_DAYS`` days, at two offsets, that hold it: two dates a digit of the
        day apart share the first, two dates up to half a window apart one of the windows.
        The first of a month, which registries write for a day not known, shares a slip
        with every day of its month: it carries every digit left out."""
        tens, units = ("0123", "0123456789") if day == 1 else f"{day:02d}"
        digits_left_out = [f"{digit}_" for digit in tens] + [f"_{digit}" for digit in units]
        ordinal = date(year, month, day).toordinal()
        return frozenset({
            *(self.token("birth-day-digit", f"{year}-{month}-{digits}") for digits in digits_left_out),
            *(self.token("birth-date-window", f"{offset}-{(ordinal + offset) // SLIP_WINDOW_DAYS}")
              for offset in (0, SLIP_WINDOW_DAYS // 2)),
        })

    def _birth_tokens(self, birth: normalise.BirthDate | None) -> dict[str, Any]:
        if birth is None:
            return {}
        tokens: dict[str, Any] = {
            "birth_years": frozenset(self.token("birth-year", str(year)) for year in birth.possible_years),
            "near_birth_years": frozenset(self.token("birth-year", str(year)) for year in birth.near_years),
        }
        if birth.is_full:
            year, month, day = birth.first_year, birth.month, birth.day
            low, high = sorted((month, day))
            tokens["birth_date"] = self.token("birth-date", f"{year}-{month}-{day}")
            tokens["birth_date_unordered"] = self.token("birth-date-unordered", f"{year}-{low}-{high}")
            tokens["birth_month_day"] = self.token("birth-month-day", f"{month}-{day}")
            tokens["birth_date_slips"] = self._birth_date_slips(year, month, day)
        tokens["birth_months"] = frozenset(self.token("birth-month", f"{y}-{m}") for y, m in birth.months())
        return tokens
