"""The linkage store in DynamoDB, read and written through a unit of work of the serial writer.

Every method is one GetItem, one BatchGetItem or one Query of a single partition, so the
cost of linking a record depends on the sizes of its blocks (which the linker caps), never
on the size of the database. Writes only go to the unit's buffer (:class:`PendingWrites`);
they land together, through the journal, when the unit ends, and reads within the unit
already see them. Over a bare ``PendingWrites`` that is never committed the store is a
read-only view, as the API uses it.

Item layout (``pk`` / ``sk``; ``<n>`` is a 20-digit zero-padded number)::

    record#<record>   record                    encoding, block_keys, digest, block_sk, person_id?
    record#<record>   link#<other>              record_id, other_id, score, source  (under both records)
    record#<record>   decision#<other>          other_id, decision                  (under both records)
    record#<record>   review#<review>           the review                          (under both records)
    block#<key>       <n: added>#<record>       record_id; newest last, so queried backwards
    persons           <person>                  created_at; one partition that lists every person
    person#<person>   member#<record>           record_id
    person#<person>   redirect                  survivor_id, left by a merge
    review#<review>   review                    the review
    reviews           <n: created_at>#<review>  the review; the pending queue, oldest first
    count#<token>     count                     n: records holding that name spelling or period of identification
    records           count                     n: records stored

A review's comparison is kept as JSON, so its scores come back exactly as they were saved.
All of it is keyed encodings, keyed block keys, random ids and scores.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from chalicelib.adapters.journal import Item, Key, PendingWrites
from chalicelib.domain.linkage.encoding import EncodedRecord, RecordEncoding
from chalicelib.domain.linkage.store import (
    Link,
    LinkageStore,
    LinkSource,
    ReviewDecision,
    ReviewPair,
    StoredRecord,
)

RECORD_SK = "record"
REDIRECT_SK = "redirect"
REVIEW_SK = "review"
LINK_PREFIX = "link#"
DECISION_PREFIX = "decision#"
REVIEW_PREFIX = "review#"
MEMBER_PREFIX = "member#"
PERSONS_PK = "persons"
PENDING_REVIEWS_PK = "reviews"
RECORDS_PK = "records"
COUNT_SK = "count"
NUMBER_DIGITS = 20


def _record_pk(record_id: str) -> str:
    return f"record#{record_id}"


def _person_pk(person_id: str) -> str:
    return f"person#{person_id}"


def _block_pk(block_key: str) -> str:
    return f"block#{block_key}"


def _count_pk(token: bytes) -> str:
    return f"count#{token.hex()}"


def _ordered(number: int, identifier: str) -> str:
    """A sort key that orders by number, then by id."""
    return f"{number:0{NUMBER_DIGITS}d}#{identifier}"


class DynamoDBLinkageStore(LinkageStore):
    """A :class:`LinkageStore` over one unit of work (or a read-only view) of the linkage table.

    ``clock`` orders block members: a save is stamped with a nanosecond time, never earlier
    than the previous stamp of this store, and units of work run one at a time.
    """

    def __init__(self, pending: PendingWrites, clock: Callable[[], int] = time.time_ns) -> None:
        self._pending = pending
        self._clock = clock
        self._last_stamp = 0

    # records and blocks

    def get_record(self, record_id: str) -> StoredRecord | None:
        item = self._record_item(record_id)
        if item is None:
            return None
        return StoredRecord(record_id, RecordEncoding.from_bytes(bytes(item["encoding"])),
                            tuple(item["block_keys"]), str(item["digest"]), item.get("person_id"))

    def save_record(self, record_id: str, encoded: EncodedRecord) -> None:
        previous = self._record_item(record_id)
        if previous is not None:
            self._leave_blocks(previous)
        before = RecordEncoding.from_bytes(bytes(previous["encoding"])).counted_tokens if previous else frozenset()
        after = encoded.encoding.counted_tokens
        self._count({RECORDS_PK: 0 if previous else 1,
                     **{_count_pk(t): -1 for t in before - after}, **{_count_pk(t): 1 for t in after - before}})
        block_sk = _ordered(self._stamp(), record_id)
        item: Item = {"pk": _record_pk(record_id), "sk": RECORD_SK, "encoding": encoded.encoding.to_bytes(),
                      "block_keys": list(encoded.block_keys), "digest": encoded.digest, "block_sk": block_sk}
        if previous is not None and previous.get("person_id"):
            item["person_id"] = previous["person_id"]
        self._pending.put(item)
        for block_key in encoded.block_keys:
            self._pending.put({"pk": _block_pk(block_key), "sk": block_sk, "record_id": record_id})

    def delete_record(self, record_id: str) -> None:
        item = self._record_item(record_id)
        if item is None:
            return
        self._leave_blocks(item)
        tokens = RecordEncoding.from_bytes(bytes(item["encoding"])).counted_tokens
        self._count({RECORDS_PK: -1, **{_count_pk(token): -1 for token in tokens}})
        if item.get("person_id"):
            self._pending.delete(_person_pk(item["person_id"]), MEMBER_PREFIX + record_id)
        self._pending.delete(_record_pk(record_id), RECORD_SK)

    def block_members(self, block_key: str, limit: int) -> list[str]:
        if limit <= 0:
            return []
        return [item["record_id"] for item in self._pending.query(_block_pk(block_key), newest_first=True, limit=limit)]

    def get_encodings(self, record_ids: Iterable[str]) -> dict[str, RecordEncoding]:
        """In the order asked for, so that equal scores rank as they do in any other store."""
        wanted = list(dict.fromkeys(record_ids))
        found = self._pending.get_many([(_record_pk(record_id), RECORD_SK) for record_id in wanted])
        return {record_id: RecordEncoding.from_bytes(bytes(found[(_record_pk(record_id), RECORD_SK)]["encoding"]))
                for record_id in wanted if (_record_pk(record_id), RECORD_SK) in found}

    def token_counts(self, tokens: Iterable[bytes]) -> tuple[int, dict[bytes, int]]:
        wanted = list(dict.fromkeys(tokens))
        found = self._pending.get_many([(pk, COUNT_SK) for pk in (RECORDS_PK, *map(_count_pk, wanted))])
        return self._number(found, RECORDS_PK), {t: self._number(found, _count_pk(t)) for t in wanted}

    @staticmethod
    def _number(found: Mapping[Key, Item], pk: str) -> int:
        item = found.get((pk, COUNT_SK))
        return int(item["n"]) if item else 0

    def _count(self, changes: Mapping[str, int]) -> None:
        """Adds to counters; the serial writer makes read-then-write safe."""
        changes = {pk: change for pk, change in changes.items() if change}
        found = self._pending.get_many([(pk, COUNT_SK) for pk in changes])
        for pk, change in changes.items():
            number = self._number(found, pk) + change
            if number > 0:
                self._pending.put({"pk": pk, "sk": COUNT_SK, "n": number})
            else:
                self._pending.delete(pk, COUNT_SK)

    def _record_item(self, record_id: str) -> Item | None:
        return self._pending.get(_record_pk(record_id), RECORD_SK)

    def _leave_blocks(self, record_item: Item) -> None:
        for block_key in record_item["block_keys"]:
            self._pending.delete(_block_pk(block_key), record_item["block_sk"])

    def _stamp(self) -> int:
        self._last_stamp = max(self._clock(), self._last_stamp + 1)
        return self._last_stamp

    # persons

    def create_person(self, person_id: str, created_at: int) -> None:
        taken: list[Key] = [(PERSONS_PK, person_id), (_person_pk(person_id), REDIRECT_SK)]
        if self._pending.get_many(taken):
            raise ValueError("person id already used")
        self._pending.put({"pk": PERSONS_PK, "sk": person_id, "created_at": created_at})

    def person_created_at(self, person_id: str) -> int:
        item = self._pending.get(PERSONS_PK, person_id)
        if item is None:
            raise KeyError(person_id)
        return int(item["created_at"])

    def remove_person(self, person_id: str) -> None:
        for member in self._pending.query(_person_pk(person_id), MEMBER_PREFIX):
            self._pending.delete(member["pk"], member["sk"])
        self._pending.delete(PERSONS_PK, person_id)

    def person_of(self, record_id: str) -> str | None:
        item = self._record_item(record_id)
        return item.get("person_id") if item is not None else None

    def members(self, person_id: str) -> list[str]:
        return [item["record_id"] for item in self._pending.query(_person_pk(person_id), MEMBER_PREFIX)]

    def assign(self, record_id: str, person_id: str) -> None:
        record_key: Key = (_record_pk(record_id), RECORD_SK)
        found = self._pending.get_many([record_key, (PERSONS_PK, person_id)])
        if record_key not in found:
            raise KeyError(record_id)
        if (PERSONS_PK, person_id) not in found:
            raise KeyError(person_id)
        record = found[record_key]
        if record.get("person_id"):
            self._pending.delete(_person_pk(record["person_id"]), MEMBER_PREFIX + record_id)
        self._pending.put({**record, "person_id": person_id})
        self._pending.put({"pk": _person_pk(person_id), "sk": MEMBER_PREFIX + record_id, "record_id": record_id})

    def save_redirect(self, absorbed_id: str, survivor_id: str) -> None:
        self._pending.put({"pk": _person_pk(absorbed_id), "sk": REDIRECT_SK, "survivor_id": survivor_id})

    def redirect_of(self, person_id: str) -> str | None:
        item = self._pending.get(_person_pk(person_id), REDIRECT_SK)
        return item["survivor_id"] if item is not None else None

    def persons(self) -> Iterator[str]:
        """Every current person id, for rebuilding the statistics."""
        return (item["sk"] for item in self._pending.query(PERSONS_PK))

    # links

    def save_link(self, link: Link) -> None:
        stored = {"record_id": link.record_id, "other_id": link.other_id,
                  "score": Decimal(repr(float(link.score))), "source": link.source.value}
        self._pending.put({"pk": _record_pk(link.record_id), "sk": LINK_PREFIX + link.other_id, **stored})
        self._pending.put({"pk": _record_pk(link.other_id), "sk": LINK_PREFIX + link.record_id, **stored})

    def links_of(self, record_id: str) -> list[Link]:
        return [Link(item["record_id"], item["other_id"], float(item["score"]), LinkSource(item["source"]))
                for item in self._pending.query(_record_pk(record_id), LINK_PREFIX)]

    def delete_links(self, record_id: str, source: LinkSource | None = None) -> None:
        self._delete_both_sides(record_id, LINK_PREFIX, lambda item: source in (None, LinkSource(item["source"])))

    def _delete_both_sides(self, record_id: str, prefix: str,
                           chosen: Callable[[Mapping[str, Any]], bool] = lambda item: True) -> None:
        """Items kept under both records of a pair, ``chosen`` ones: this record's, and each
        other record's copy."""
        for item in filter(chosen, self._pending.query(_record_pk(record_id), prefix)):
            other_id = item["sk"][len(prefix):]
            self._pending.delete(item["pk"], item["sk"])
            self._pending.delete(_record_pk(other_id), prefix + record_id)

    # reviews and decisions

    def save_review(self, review: ReviewPair) -> None:
        stored = {"review_id": review.review_id, "record_id": review.record_id, "other_id": review.other_id,
                  "comparison": json.dumps(dict(review.comparison), separators=(",", ":")),
                  "created_at": review.created_at}
        for pk, sk in self._review_keys(review):
            self._pending.put({"pk": pk, "sk": sk, **stored})

    def get_review(self, review_id: str) -> ReviewPair | None:
        item = self._pending.get(f"review#{review_id}", REVIEW_SK)
        return _review_of(item) if item is not None else None

    def pending_reviews(self) -> list[ReviewPair]:
        return [_review_of(item) for item in self._pending.query(PENDING_REVIEWS_PK)]

    def reviews_of(self, record_id: str) -> list[ReviewPair]:
        return [_review_of(item) for item in self._pending.query(_record_pk(record_id), REVIEW_PREFIX)]

    def delete_review(self, review_id: str) -> None:
        review = self.get_review(review_id)
        if review is None:
            return
        for pk, sk in self._review_keys(review):
            self._pending.delete(pk, sk)

    @staticmethod
    def _review_keys(review: ReviewPair) -> list[Key]:
        return [(f"review#{review.review_id}", REVIEW_SK),
                (PENDING_REVIEWS_PK, _ordered(review.created_at, review.review_id)),
                (_record_pk(review.record_id), REVIEW_PREFIX + review.review_id),
                (_record_pk(review.other_id), REVIEW_PREFIX + review.review_id)]

    def save_decision(self, record_id: str, other_id: str, decision: ReviewDecision) -> None:
        self._pending.put({"pk": _record_pk(record_id), "sk": DECISION_PREFIX + other_id,
                           "other_id": other_id, "decision": decision.value})
        self._pending.put({"pk": _record_pk(other_id), "sk": DECISION_PREFIX + record_id,
                           "other_id": record_id, "decision": decision.value})

    def decisions_of(self, record_id: str) -> dict[str, ReviewDecision]:
        return {item["other_id"]: ReviewDecision(item["decision"])
                for item in self._pending.query(_record_pk(record_id), DECISION_PREFIX)}

    def delete_decisions(self, record_id: str) -> None:
        self._delete_both_sides(record_id, DECISION_PREFIX)


def _review_of(item: Mapping[str, Any]) -> ReviewPair:
    return ReviewPair(item["review_id"], item["record_id"], item["other_id"],
                      json.loads(item["comparison"]), int(item["created_at"]))
