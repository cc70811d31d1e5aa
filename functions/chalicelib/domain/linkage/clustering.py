"""The linker: from scored pairs to persons with stable random ids.

A person is a set of records joined by links (automatic matches above ``auto_link`` and
reviewers' ``match`` decisions) that no reviewer ``no_match`` keeps apart. Whenever links
or decisions change, the persons involved are recomputed:

1. links are taken strongest first (reviewer links, then by score), and two groups are
   joined unless a ``no_match`` decision lies between them — so a reviewer's ``no_match``
   can never be undone by automatic links, however many, nor a ``match`` by a record's
   later update, which weighs only its automatic links anew. An automatic link also leaves
   two groups apart when a pair across them *contradicts* (scoring.py: it would not link,
   and a lifelong field disagrees) and no third record answers it (another record of the
   other group agreeing on that field, or the link's ends spelling it as the two records
   of the pair do): a record that matches two namesakes joins one of them, never both,
   and a name misspelt in one record, or two ways, does not split a person;
2. each resulting group keeps the oldest person id among its records' former persons;
   the other former ids redirect to it (a merge), groups left without an id get a fresh
   random one (a split, or a new person). When a person splits, the part with most
   records keeps the id (ties broken by record id, so the outcome is deterministic).

A pending review can be weighed again (``reconsider``) as the database grows; it is linked
automatically when it now passes, under the same rules, and otherwise left to the reviewer.

Person ids are ``uuid4``: never derived from data, so they reveal nothing and never
change because a record's content changed. Every operation returns what moved, so the
statistics projection can follow.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Mapping

from chalicelib.domain.linkage.blocking import DEFAULT_MAX_BLOCK_SIZE, DEFAULT_MAX_CANDIDATES, block_limit
from chalicelib.domain.linkage.encoding import EncodedRecord, Encoder, RecordEncoding
from chalicelib.domain.linkage.scoring import Comparison, Decision, FellegiSunter, Frequencies, Thresholds
from chalicelib.domain.linkage.store import (
    InMemoryLinkageStore,
    LinkageStore,
    Link,
    LinkSource,
    ReviewDecision,
    ReviewPair,
)

MAX_REVIEWS_PER_RECORD = 2
MAX_PERSON_RECORDS = 50


class LinkageError(Exception):
    """Base of the linkage domain's errors."""


class ReviewNotFound(LinkageError):
    """No pending review has this id (decided already, or a record was withdrawn)."""


class DecisionConflict(LinkageError):
    """A ``match`` would join records that an earlier ``no_match`` decision keeps apart."""


class LinkChange(str, Enum):
    UNCHANGED = "unchanged"
    NEW_PERSON = "new_person"
    JOINED = "joined"
    MERGED = "merged"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class PersonChanges:
    """Every record whose person changed, and what happened to the person ids."""

    moved: Mapping[str, str] = field(default_factory=dict)
    merged: Mapping[str, str] = field(default_factory=dict)
    split: tuple[str, ...] = ()
    created: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkOutcome:
    record_id: str
    person_id: str | None
    change: LinkChange
    changes: PersonChanges = field(default_factory=PersonChanges)
    reviews: tuple[str, ...] = ()
    candidates: int = 0


@dataclass(frozen=True)
class DecisionOutcome:
    review_id: str
    decision: ReviewDecision
    changes: PersonChanges
    record_ids: tuple[str, str]
    """The reviewed pair."""


class _Changes:
    """Accumulates the effects of one operation."""

    def __init__(self) -> None:
        self.moved: dict[str, str] = {}
        self.merged: dict[str, str] = {}
        self.split: list[str] = []
        self.created: list[str] = []
        self.removed: list[str] = []

    def freeze(self) -> PersonChanges:
        return PersonChanges(dict(self.moved), dict(self.merged), tuple(self.split), tuple(self.created), tuple(self.removed))


class _Groups:
    """Union–find over records that refuses to join groups a ``no_match`` separates, and
    refuses automatic links between groups that hold a contradicting pair no other record
    answers (``Linker._contradiction_test``)."""

    def __init__(
        self,
        records: Iterable[str],
        apart: Mapping[str, set[str]],
        contradict: Callable[[set[str], set[str], set[str]], bool],
    ) -> None:
        self._group = {record: {record} for record in records}
        self._apart = apart
        self._contradict = contradict

    def join(self, first: str, second: str, automatic: bool) -> None:
        a, b = self._group[first], self._group[second]
        if a is b:
            return
        small, large = (a, b) if len(a) <= len(b) else (b, a)
        if any(self._apart.get(record, set()) & large for record in small):
            return
        if automatic and self._contradict(small, large, {first, second}):
            return
        large.update(small)
        for record in small:
            self._group[record] = large

    def groups(self) -> list[set[str]]:
        unique = {id(group): group for group in self._group.values()}
        return list(unique.values())


class Linker:
    """Links records into persons through a :class:`LinkageStore`."""

    def __init__(
        self,
        store: LinkageStore,
        encoder: Encoder | None,
        thresholds: Thresholds = Thresholds(),
        model: FellegiSunter | None = None,
        max_block_size: int = DEFAULT_MAX_BLOCK_SIZE,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.store = store
        self.encoder = encoder
        self.thresholds = thresholds
        self.model = model or FellegiSunter()
        self.max_block_size = max_block_size
        self.max_candidates = max_candidates
        self._new_id = new_id
        self._clock = clock

    # linking

    def link(self, record_id: str, identity: Mapping[str, Any] | None, statistical: Mapping[str, Any] | None) -> LinkOutcome:
        """Link a new or updated record; linking unchanged content again changes nothing.

        An updated record's automatic links are weighed anew; a reviewer's decisions about
        it stand, ``match`` as much as ``no_match``: they are final."""
        if self.encoder is None:
            raise LinkageError("this linker holds no key of the encodings: it decides reviews and withdraws only")
        encoded = self.encoder.encode(identity, statistical)
        existing = self.store.get_record(record_id)
        if existing is not None and existing.digest == encoded.digest and existing.person_id:
            return LinkOutcome(record_id, self.store.resolve(existing.person_id), LinkChange.UNCHANGED)

        changes = _Changes()
        affected: set[str] = {record_id}
        if existing is not None:
            self.store.delete_links(record_id, LinkSource.AUTOMATIC)
            self._drop_reviews(record_id)
            if existing.person_id:
                affected.update(self.store.members(existing.person_id))
        self.store.save_record(record_id, encoded)

        scored = self._score_candidates(record_id, encoded)
        for other_id, comparison, decision in scored:
            if decision is Decision.LINK:
                self.store.save_link(Link(record_id, other_id, comparison.score, LinkSource.AUTOMATIC))
                person_id = self.store.person_of(other_id)
                if person_id is not None:
                    affected.update(self.store.members(person_id))

        self._recluster(affected, changes)
        person_id = self.store.person_of(record_id)
        reviews = self._queue_reviews(record_id, person_id, scored)
        return LinkOutcome(
            record_id, person_id, self._summarise(record_id, changes),
            changes.freeze(), reviews, len(scored),
        )

    def _score_candidates(self, record_id: str, encoded: EncodedRecord) -> list[tuple[str, Comparison, Decision]]:
        """The new record against those of its blocks' members that share the most blocks
        with it, at most ``max_candidates`` (blocking.py)."""
        shared_blocks: Counter[str] = Counter()
        for key in encoded.search_keys:
            shared_blocks.update(self.store.block_members(key, block_limit(key, self.max_block_size)))
        shared_blocks.pop(record_id, None)
        candidate_ids = [other_id for other_id, _ in shared_blocks.most_common(self.max_candidates)]
        return self._score_against(record_id, encoded.encoding, candidate_ids)

    def _score_against(
        self, record_id: str, encoding: RecordEncoding, candidate_ids: list[str]
    ) -> list[tuple[str, Comparison, Decision]]:
        """A record against some stored records, strongest first. Names, and an
        identification in the same weeks, weigh by how common they are among records
        other than the record and the candidate person's own (scoring.Frequencies): one
        read of the counts for all candidates."""
        candidates = self.store.get_encodings(candidate_ids)
        persons = {other_id: self.store.person_of(other_id) for other_id in candidates}
        frequencies = self._frequencies([encoding, *candidates.values()])
        thresholds = self._thresholds(frequencies)
        scored = []
        for other_id, theirs in candidates.items():
            same_person = [candidates[r] for r, p in persons.items() if p == persons[other_id] and r != other_id]
            others = frequencies.without(encoding, theirs, *same_person)
            comparison = self.model.compare(encoding, theirs, others)
            scored.append((other_id, comparison, self.model.classify(comparison, thresholds)))
        scored.sort(key=lambda item: -item[1].score)
        return self._with_whole_persons(record_id, encoding, scored, persons)

    def _with_whole_persons(
        self, record_id: str, encoding: RecordEncoding, scored: list[tuple[str, Comparison, Decision]],
        persons: Mapping[str, str | None],
    ) -> list[tuple[str, Comparison, Decision]]:
        """Weigh each candidate person as a whole, not only through its best record.

        A person's records complete each other: one gives the father, another the place
        of birth. For every candidate person no record of which links on its own but whose
        best record is worth a reviewer's look, the best pair is completed with what the
        person's other records say (scoring.py, ``FellegiSunter.complete``), unless one of
        them contradicts the new record. The work is bounded by the candidates' persons, at
        most ``MAX_PERSON_RECORDS`` each.
        """
        linked = {persons[other_id] for other_id, _, decision in scored if decision is Decision.LINK}
        best_of_person: dict[str, tuple[str, Comparison, Decision]] = {}
        for other_id, comparison, decision in scored:
            person_id = persons[other_id]
            if person_id is not None and person_id not in linked and person_id not in best_of_person:
                best_of_person[person_id] = (other_id, comparison, decision)
        completed: dict[str, Comparison] = {}
        for person_id, (best_id, best, decision) in best_of_person.items():
            if decision is not Decision.REVIEW:
                continue
            members = [m for m in self.store.members(person_id) if m != record_id]
            if len(members) < 2 or len(members) > MAX_PERSON_RECORDS:
                continue
            encodings = self.store.get_encodings(members)
            frequencies = self._frequencies([encoding, *encodings.values()])
            frequencies = frequencies.without(encoding, *encodings.values())
            others = [self.model.compare(encoding, theirs, frequencies)
                      for member, theirs in encodings.items() if member != best_id]
            thresholds = self._thresholds(frequencies)
            if any(self.model.contradicts(other, thresholds) for other in others):
                continue
            whole = self.model.complete(best, others)
            if self.model.classify(whole, thresholds) is Decision.LINK:
                completed[best_id] = whole
        if not completed:
            return scored
        rescored = [
            (other_id, completed[other_id], Decision.LINK) if other_id in completed else (other_id, comparison, decision)
            for other_id, comparison, decision in scored
        ]
        rescored.sort(key=lambda item: -item[1].score)
        return rescored

    def _thresholds(self, frequencies: Frequencies) -> Thresholds:
        """The thresholds for the database's size, which the counts carry (one read)."""
        return self.thresholds.for_database(frequencies.records)

    def _frequencies(self, encodings: Iterable[RecordEncoding]) -> Frequencies:
        """How common the names and periods of identification of these encodings are in
        the store (one read)."""
        tokens = set().union(*(encoding.counted_tokens for encoding in encodings))
        return Frequencies(*self.store.token_counts(sorted(tokens)))

    def _queue_reviews(self, record_id: str, person_id: str | None, scored: list[tuple[str, Comparison, Decision]]) -> tuple[str, ...]:
        decided = self.store.decisions_of(record_id)
        pending = {review.other_id if review.record_id == record_id else review.record_id for review in self.store.reviews_of(record_id)}
        queued: list[str] = []
        seen_persons: set[str | None] = {person_id}
        for other_id, comparison, decision in scored:
            if len(queued) >= MAX_REVIEWS_PER_RECORD:
                break
            other_person = self.store.person_of(other_id)
            if decision is not Decision.REVIEW or other_person in seen_persons or other_id in decided or other_id in pending:
                continue
            seen_persons.add(other_person)
            review = ReviewPair(self._new_id(), record_id, other_id, comparison.to_dict(), self._clock())
            self.store.save_review(review)
            queued.append(review.review_id)
        return tuple(queued)

    @staticmethod
    def _summarise(record_id: str, changes: _Changes) -> LinkChange:
        """The record's own fate; ``changes`` tells what happened to other records."""
        if changes.merged:
            return LinkChange.MERGED
        person_id = changes.moved.get(record_id)
        if person_id is None:
            return LinkChange.UNCHANGED
        return LinkChange.NEW_PERSON if person_id in changes.created else LinkChange.JOINED

    # withdrawal

    def withdraw(self, record_id: str) -> LinkOutcome:
        """Remove a record's encodings; its person is recomputed and may split."""
        existing = self.store.get_record(record_id)
        if existing is None:
            return LinkOutcome(record_id, None, LinkChange.UNCHANGED)
        changes = _Changes()
        self.store.delete_links(record_id)
        self._drop_reviews(record_id)
        self.store.delete_decisions(record_id)
        self.store.delete_record(record_id)
        if existing.person_id is not None:
            remaining = self.store.members(existing.person_id)
            if remaining:
                self._recluster(set(remaining), changes)
            else:
                self.store.remove_person(existing.person_id)
                changes.removed.append(existing.person_id)
        return LinkOutcome(record_id, None, LinkChange.WITHDRAWN, changes.freeze())

    def _drop_reviews(self, record_id: str) -> None:
        for review in self.store.reviews_of(record_id):
            self.store.delete_review(review.review_id)

    # reviewer decisions

    def pending_reviews(self) -> list[ReviewPair]:
        return self.store.pending_reviews()

    def decide(self, review_id: str, decision: ReviewDecision | str) -> DecisionOutcome:
        """Apply a reviewer's decision; it is final and binds every later automatic link."""
        decision = ReviewDecision(decision)
        review = self.store.get_review(review_id)
        if review is None:
            raise ReviewNotFound(review_id)
        first, second = review.record_id, review.other_id
        first_person, second_person = self.store.person_of(first), self.store.person_of(second)
        affected = set(self.store.members(first_person)) if first_person else {first}
        if decision is ReviewDecision.MATCH:
            others = set(self.store.members(second_person)) if second_person else {second}
            if first_person != second_person and self._kept_apart(affected, others):
                raise DecisionConflict(review_id)
            affected |= others
            self.store.save_link(Link(first, second, float(review.comparison.get("score", 0.0)), LinkSource.REVIEWER))
        self.store.save_decision(first, second, decision)
        self.store.delete_review(review_id)
        changes = _Changes()
        if decision is ReviewDecision.MATCH or first_person == second_person:
            self._recluster(affected, changes)
        return DecisionOutcome(review_id, decision, changes.freeze(), (first, second))

    def reconsider(self, review_id: str) -> PersonChanges:
        """Weigh a pending pair again as the database stands now; link it if it passes.

        A pair was weighed when its newer record arrived: with the names' frequencies of
        a younger database, which blends them with the defaults, and against the persons
        as they were then. Since then the database has learnt which names are rare, and
        either person may have gained records that complete it (``_with_whole_persons``).
        Each record of the pair is weighed against the other's person, as a record
        arriving now would be; when that links automatically, the links are saved and the
        persons recomputed under the same rules as ever (a ``no_match`` or a contradicting
        pair still keeps them apart). The review leaves the queue only when the two
        records are then one person; otherwise it stays for the reviewer. Returns what
        moved: nothing when the pair stays a review.
        """
        review = self.store.get_review(review_id)
        if review is None:
            raise ReviewNotFound(review_id)
        pair = (review.record_id, review.other_id)
        stored = {record_id: self.store.get_record(record_id) for record_id in pair}
        persons = {record_id: record.person_id if record else None for record_id, record in stored.items()}
        if None in persons.values() or persons[pair[0]] == persons[pair[1]]:
            return PersonChanges()
        members = {record_id: self.store.members(person_id) for record_id, person_id in persons.items()}
        links: list[Link] = []
        for record_id, other_id in (pair, pair[::-1]):
            others = [m for m in members[other_id] if m != other_id]
            scored = self._score_against(record_id, stored[record_id].encoding, [other_id, *others][:MAX_PERSON_RECORDS])
            links += [Link(record_id, candidate, comparison.score, LinkSource.AUTOMATIC)
                      for candidate, comparison, decision in scored if decision is Decision.LINK]
        if not links:
            return PersonChanges()
        for link in links:
            self.store.save_link(link)
        changes = _Changes()
        self._recluster({*members[pair[0]], *members[pair[1]]}, changes)
        if self.store.person_of(pair[0]) == self.store.person_of(pair[1]):
            self.store.delete_review(review_id)
        return changes.freeze()

    def reconsider_reviews(self) -> None:
        """Every pending review reconsidered once, oldest first, as offline runs end."""
        for review in self.store.pending_reviews():
            self.reconsider(review.review_id)

    def _kept_apart(self, records: set[str], others: set[str]) -> bool:
        return any(
            other in others and verdict is ReviewDecision.NO_MATCH
            for record in records
            for other, verdict in self.store.decisions_of(record).items()
        )

    # recomputing persons

    def _recluster(self, records: set[str], changes: _Changes) -> None:
        apart: dict[str, set[str]] = {}
        links: dict[tuple[str, str], Link] = {}
        for record in records:
            for other, verdict in self.store.decisions_of(record).items():
                if verdict is ReviewDecision.NO_MATCH and other in records:
                    apart.setdefault(record, set()).add(other)
            for link in self.store.links_of(record):
                if link.record_id in records and link.other_id in records:
                    pair = (min(link.record_id, link.other_id), max(link.record_id, link.other_id))
                    links[pair] = link

        groups = _Groups(records, apart, self._contradiction_test(records))
        strongest_first = sorted(links.values(), key=lambda l: (l.source is not LinkSource.REVIEWER, -l.score, l.record_id, l.other_id))
        for link in strongest_first:
            groups.join(link.record_id, link.other_id, automatic=link.source is LinkSource.AUTOMATIC)
        self._assign_ids(groups.groups(), changes)

    def _contradiction_test(self, records: set[str]) -> Callable[[set[str], set[str], set[str]], bool]:
        """Whether two groups of ``records``, about to be joined by a link, contradict as
        persons: a pair across them contradicts (scoring.py) on a lifelong field that
        neither record agrees on with another record of the other group, the link's own
        pair aside. A father's name mistyped in one record, or a given name misspelt
        two ways, is answered by the records that wrote it right; a namesake's father
        disagrees with every record of the other person that gives one. The link alone,
        which may be a chance agreement, never answers the doubt it raises; a chain of
        spellings through it does (``through_link``): aNtaša and Nakaša disagree, but
        each is a letter from the Nataša at the link's ends. Encodings are read once,
        pairs compared lazily and once."""
        encodings: dict[str, RecordEncoding] | None = None
        frequencies: Frequencies | None = None
        compared: dict[tuple[str, str], Comparison] = {}

        def loaded() -> tuple[dict[str, RecordEncoding], Frequencies]:
            nonlocal encodings, frequencies
            if encodings is None or frequencies is None:
                encodings = self.store.get_encodings(sorted(records))
                frequencies = self._frequencies(encodings.values())
            return encodings, frequencies

        def comparison(first: str, second: str) -> Comparison:
            if (first, second) not in compared:
                encoded, counts = loaded()
                compared[first, second] = self.model.compare(
                    encoded[first], encoded[second], counts.without(encoded[first], encoded[second])
                )
            return compared[first, second]

        def agreeing(record: str, group: set[str], link: set[str]) -> frozenset[str]:
            return frozenset().union(*(self.model.agreeing_lifelong_fields(comparison(record, other))
                                       for other in group if {record, other} != link))

        def through_link(mine: str, theirs: str, first: set[str], second: set[str], link: set[str]) -> frozenset[str]:
            """The fields a chain through the link answers: each record of the pair
            against its own side's end of the link, and the two ends (scoring.py)."""
            my_end, their_end = (next(iter(link & group), None) for group in (first, second))
            if my_end is None or their_end is None:
                return frozenset()
            chain = [comparison(a, b) for a, b in ((mine, my_end), (my_end, their_end), (their_end, theirs)) if a != b]
            return self.model.answered_by_chain(comparison(mine, theirs), chain)

        def contradict(first: set[str], second: set[str], link: set[str]) -> bool:
            encoded, counts = loaded()
            thresholds = self._thresholds(counts)
            first, second = first & encoded.keys(), second & encoded.keys()
            for mine in sorted(first):
                answered = agreeing(mine, second, link)
                for theirs in sorted(second):
                    fields = self.model.contradicting_fields(comparison(mine, theirs), thresholds) - answered
                    unanswered = fields and fields - agreeing(theirs, first, link)
                    if unanswered and unanswered - through_link(mine, theirs, first, second, link):
                        return True
            return False

        return contradict

    def _assign_ids(self, groups: list[set[str]], changes: _Changes) -> None:
        former = {record: self.store.person_of(record) for group in groups for record in group}
        records_of_person: dict[str, set[str]] = {}
        for record, person_id in former.items():
            if person_id is not None:
                records_of_person.setdefault(person_id, set()).add(record)
        created_at = {person_id: self.store.person_created_at(person_id) for person_id in records_of_person}
        taken: dict[str, set[str]] = {}
        for group in sorted(groups, key=lambda g: (-len(g), min(g))):
            candidates = sorted(
                {former[r] for r in group if former[r] is not None} - set(taken),
                key=lambda p: (created_at[p], p),
            )
            if candidates:
                person_id = candidates[0]
            else:
                person_id = self._new_id()
                self.store.create_person(person_id, self._clock())
                changes.created.append(person_id)
                if any(former[r] is not None for r in group):
                    changes.split.append(person_id)
            taken[person_id] = group
            for record in group:
                if former[record] != person_id:
                    self.store.assign(record, person_id)
                    changes.moved[record] = person_id

        for person_id, records in records_of_person.items():
            if person_id in taken:
                continue
            survivor = max(taken, key=lambda p: (len(taken[p] & records), -created_at.get(p, 0)))
            self.store.remove_person(person_id)
            self.store.save_redirect(person_id, survivor)
            changes.merged[person_id] = survivor


def in_memory_linker(secret: bytes, thresholds: Thresholds = Thresholds()) -> Linker:
    """A linker over an in-memory store with a counter for clock, as offline runs use."""
    counter = itertools.count()
    return Linker(InMemoryLinkageStore(), Encoder(secret), thresholds, clock=lambda: next(counter))
