"""The linkage store: the few operations the linker needs, and an in-memory implementation.

A DynamoDB implementation provides the abstract methods of :class:`LinkageStore`;
``resolve`` is built on them. The linker merges two persons by re-assigning the absorbed
person's records, removing it and saving a redirect to the survivor. The store only ever holds
keyed encodings, keyed block keys, random ids and scores: nothing readable about a person.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Mapping

from chalicelib.domain.linkage.encoding import EncodedRecord, RecordEncoding

MAX_REDIRECTS = 64


class LinkSource(str, Enum):
    AUTOMATIC = "automatic"
    REVIEWER = "reviewer"


class ReviewDecision(str, Enum):
    MATCH = "match"
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class StoredRecord:
    record_id: str
    encoding: RecordEncoding
    block_keys: tuple[str, ...]
    digest: str
    person_id: str | None


@dataclass(frozen=True)
class Link:
    """An edge between two records of one person: an automatic match or a reviewer's."""

    record_id: str
    other_id: str
    score: float
    source: LinkSource


@dataclass(frozen=True)
class ReviewPair:
    """An uncertain pair waiting for a reviewer, with what the scorer saw."""

    review_id: str
    record_id: str
    other_id: str
    comparison: Mapping[str, Any]
    created_at: int


class LinkageStore(ABC):
    """Persistence of encodings, blocks, persons, links, reviews and decisions."""

    # records and blocks

    @abstractmethod
    def get_record(self, record_id: str) -> StoredRecord | None: ...

    @abstractmethod
    def save_record(self, record_id: str, encoded: EncodedRecord) -> None:
        """Store (or replace) a record's encoding and its block memberships."""

    @abstractmethod
    def delete_record(self, record_id: str) -> None:
        """Remove a record's encoding, block memberships and person assignment."""

    @abstractmethod
    def block_members(self, block_key: str, limit: int) -> list[str]:
        """Up to ``limit`` record ids of a block, most recently added first."""

    @abstractmethod
    def get_encodings(self, record_ids: Iterable[str]) -> dict[str, RecordEncoding]: ...

    @abstractmethod
    def token_counts(self, tokens: Iterable[bytes]) -> tuple[int, dict[bytes, int]]:
        """The number of stored records, and how many of them hold each counted token
        (``RecordEncoding.counted_tokens``: name spellings, periods of identification);
        saving and deleting records keep both current."""

    # persons

    @abstractmethod
    def create_person(self, person_id: str, created_at: int) -> None: ...

    @abstractmethod
    def person_created_at(self, person_id: str) -> int: ...

    @abstractmethod
    def remove_person(self, person_id: str) -> None:
        """Forget a person that has no records left (its redirects stay)."""

    @abstractmethod
    def person_of(self, record_id: str) -> str | None: ...

    @abstractmethod
    def members(self, person_id: str) -> list[str]: ...

    @abstractmethod
    def assign(self, record_id: str, person_id: str) -> None: ...

    @abstractmethod
    def save_redirect(self, absorbed_id: str, survivor_id: str) -> None: ...

    @abstractmethod
    def redirect_of(self, person_id: str) -> str | None: ...

    # links

    @abstractmethod
    def save_link(self, link: Link) -> None:
        """Store an undirected link; ``links_of`` either record returns it."""

    @abstractmethod
    def links_of(self, record_id: str) -> list[Link]: ...

    @abstractmethod
    def delete_links(self, record_id: str, source: LinkSource | None = None) -> None:
        """Remove a record's links from both records: all, or only those of ``source``."""

    # reviews and decisions

    @abstractmethod
    def save_review(self, review: ReviewPair) -> None: ...

    @abstractmethod
    def get_review(self, review_id: str) -> ReviewPair | None: ...

    @abstractmethod
    def pending_reviews(self) -> list[ReviewPair]: ...

    @abstractmethod
    def reviews_of(self, record_id: str) -> list[ReviewPair]: ...

    @abstractmethod
    def delete_review(self, review_id: str) -> None: ...

    @abstractmethod
    def save_decision(self, record_id: str, other_id: str, decision: ReviewDecision) -> None: ...

    @abstractmethod
    def decisions_of(self, record_id: str) -> dict[str, ReviewDecision]:
        """Reviewer decisions involving a record, by the other record's id."""

    @abstractmethod
    def delete_decisions(self, record_id: str) -> None: ...

    # built on the above

    def resolve(self, person_id: str) -> str:
        """The current id of a person, following redirects left by merges."""
        for _ in range(MAX_REDIRECTS):
            survivor = self.redirect_of(person_id)
            if survivor is None:
                return person_id
            person_id = survivor
        raise RuntimeError("person redirects form a cycle")


class _Entry:
    __slots__ = ("encoding", "block_keys", "digest", "person_id")

    def __init__(self, encoding: bytes, block_keys: tuple[str, ...], digest: str) -> None:
        self.encoding = encoding
        self.block_keys = block_keys
        self.digest = digest
        self.person_id: str | None = None


class InMemoryLinkageStore(LinkageStore):
    """For tests and the offline ``ivdb link``: compact enough for a million records.

    Encodings are kept packed (``RecordEncoding.to_bytes``) and decoded on demand.
    """

    def __init__(self) -> None:
        self._records: dict[str, _Entry] = {}
        self._blocks: dict[str, list[str]] = {}
        self._persons: dict[str, tuple[int, set[str]]] = {}
        self._redirects: dict[str, str] = {}
        self._links: dict[str, dict[str, Link]] = {}
        self._reviews: dict[str, ReviewPair] = {}
        self._reviews_by_record: dict[str, set[str]] = {}
        self._decisions: dict[str, dict[str, ReviewDecision]] = {}
        self._token_counts: dict[bytes, int] = {}

    def get_record(self, record_id: str) -> StoredRecord | None:
        entry = self._records.get(record_id)
        if entry is None:
            return None
        return StoredRecord(
            record_id,
            RecordEncoding.from_bytes(entry.encoding),
            entry.block_keys,
            entry.digest,
            entry.person_id,
        )

    def save_record(self, record_id: str, encoded: EncodedRecord) -> None:
        previous = self._records.get(record_id)
        entry = _Entry(encoded.encoding.to_bytes(), encoded.block_keys, encoded.digest)
        if previous is not None:
            self._leave_blocks(record_id, previous.block_keys)
            self._count(RecordEncoding.from_bytes(previous.encoding).counted_tokens, -1)
            entry.person_id = previous.person_id
        self._records[record_id] = entry
        self._count(encoded.encoding.counted_tokens, 1)
        for key in encoded.block_keys:
            self._blocks.setdefault(key, []).append(record_id)

    def _count(self, tokens: frozenset[bytes], change: int) -> None:
        for token in tokens:
            count = self._token_counts.get(token, 0) + change
            if count:
                self._token_counts[token] = count
            else:
                del self._token_counts[token]

    def _leave_blocks(self, record_id: str, block_keys: tuple[str, ...]) -> None:
        for key in block_keys:
            members = self._blocks.get(key)
            if members is not None:
                members.remove(record_id)
                if not members:
                    del self._blocks[key]

    def delete_record(self, record_id: str) -> None:
        entry = self._records.pop(record_id, None)
        if entry is None:
            return
        self._leave_blocks(record_id, entry.block_keys)
        self._count(RecordEncoding.from_bytes(entry.encoding).counted_tokens, -1)
        if entry.person_id is not None and entry.person_id in self._persons:
            self._persons[entry.person_id][1].discard(record_id)

    def block_members(self, block_key: str, limit: int) -> list[str]:
        members = self._blocks.get(block_key, [])
        return members[: -limit - 1 : -1]

    def get_encodings(self, record_ids: Iterable[str]) -> dict[str, RecordEncoding]:
        return {
            record_id: RecordEncoding.from_bytes(self._records[record_id].encoding)
            for record_id in record_ids
            if record_id in self._records
        }

    def token_counts(self, tokens: Iterable[bytes]) -> tuple[int, dict[bytes, int]]:
        return len(self._records), {token: self._token_counts.get(token, 0) for token in tokens}

    def create_person(self, person_id: str, created_at: int) -> None:
        if person_id in self._persons or person_id in self._redirects:
            raise ValueError("person id already used")
        self._persons[person_id] = (created_at, set())

    def person_created_at(self, person_id: str) -> int:
        return self._persons[person_id][0]

    def remove_person(self, person_id: str) -> None:
        self._persons.pop(person_id, None)

    def person_of(self, record_id: str) -> str | None:
        entry = self._records.get(record_id)
        return entry.person_id if entry else None

    def members(self, person_id: str) -> list[str]:
        person = self._persons.get(person_id)
        return sorted(person[1]) if person else []

    def assign(self, record_id: str, person_id: str) -> None:
        entry = self._records[record_id]
        if entry.person_id is not None and entry.person_id in self._persons:
            self._persons[entry.person_id][1].discard(record_id)
        entry.person_id = person_id
        self._persons[person_id][1].add(record_id)

    def save_redirect(self, absorbed_id: str, survivor_id: str) -> None:
        self._redirects[absorbed_id] = survivor_id

    def redirect_of(self, person_id: str) -> str | None:
        return self._redirects.get(person_id)

    def save_link(self, link: Link) -> None:
        self._links.setdefault(link.record_id, {})[link.other_id] = link
        self._links.setdefault(link.other_id, {})[link.record_id] = link

    def links_of(self, record_id: str) -> list[Link]:
        return list(self._links.get(record_id, {}).values())

    def delete_links(self, record_id: str, source: LinkSource | None = None) -> None:
        mine = self._links.get(record_id, {})
        for other_id in [other for other, link in mine.items() if source in (None, link.source)]:
            for first, second in ((record_id, other_id), (other_id, record_id)):
                links = self._links[first]
                del links[second]
                if not links:
                    del self._links[first]

    def save_review(self, review: ReviewPair) -> None:
        self._reviews[review.review_id] = review
        for record_id in (review.record_id, review.other_id):
            self._reviews_by_record.setdefault(record_id, set()).add(review.review_id)

    def get_review(self, review_id: str) -> ReviewPair | None:
        return self._reviews.get(review_id)

    def pending_reviews(self) -> list[ReviewPair]:
        return sorted(self._reviews.values(), key=lambda review: (review.created_at, review.review_id))

    def reviews_of(self, record_id: str) -> list[ReviewPair]:
        return [self._reviews[r] for r in sorted(self._reviews_by_record.get(record_id, ()))]

    def delete_review(self, review_id: str) -> None:
        review = self._reviews.pop(review_id, None)
        if review is None:
            return
        for record_id in (review.record_id, review.other_id):
            ids = self._reviews_by_record.get(record_id)
            if ids is not None:
                ids.discard(review_id)
                if not ids:
                    del self._reviews_by_record[record_id]

    def save_decision(self, record_id: str, other_id: str, decision: ReviewDecision) -> None:
        self._decisions.setdefault(record_id, {})[other_id] = decision
        self._decisions.setdefault(other_id, {})[record_id] = decision

    def decisions_of(self, record_id: str) -> dict[str, ReviewDecision]:
        return dict(self._decisions.get(record_id, {}))

    def delete_decisions(self, record_id: str) -> None:
        for other_id in self._decisions.pop(record_id, {}):
            others = self._decisions.get(other_id)
            if others is not None:
                others.pop(record_id, None)
                if not others:
                    del self._decisions[other_id]

    def __len__(self) -> int:
        return len(self._records)
