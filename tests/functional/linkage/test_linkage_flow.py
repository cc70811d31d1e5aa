"""Linkage as the queue drives it: records about one person get one person id, whoever submits
them and however the name is spelled; a person id survives merges as a redirect; reviewers
see uncertain pairs and decide them."""

from __future__ import annotations

import json
import random
import uuid
from datetime import date
from typing import Any

import pytest

from chalicelib.services.linkage_queue import linkage_message, queue_every_record
from ivdb.local.events import LambdaContext
from tests.events import load_event
from tests.functional.records.record_api import Api, example_record

SYLLABLES = ("ar", "bë", "dri", "ta", "ve", "lo", "ra", "mi", "na", "je", "sa", "ko", "li", "de", "ni", "va")


def invented_name(rng: random.Random, syllables: int = 3) -> str:
    """A name no other test uses, so that only this test's records can be linked together."""
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize() + rng.choice(("a", "e", "i"))


def identity_of_someone(seed: int | None = None) -> dict[str, Any]:
    rng = random.Random(seed if seed is not None else uuid.uuid4().int)
    year = rng.randint(1975, 2008)
    return {"given_name": invented_name(rng), "family_name": invented_name(rng, 4),
            "father_name": invented_name(rng), "date_of_birth": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "birth_year": year, "place_of_birth": "Prizren"}


def record_about(identity: dict[str, Any]) -> dict[str, Any]:
    """A record about someone identified in 2025, their age told by their year of birth if known."""
    record = example_record("albanian", identity=identity)
    if "birth_year" in identity:
        record["statistical"]["age_at_identification"] = 2025 - identity["birth_year"]
    return record


def a_year_later(record: dict[str, Any]) -> dict[str, Any]:
    """The record written a year after the identification it gives, not in the weeks of a referral."""
    identified = date.fromisoformat(record["statistical"]["identification_date"])
    record["statistical"]["identification_date"] = identified.replace(year=identified.year + 1).isoformat()
    return record


def link(*record_ids: str) -> None:
    """Delivers what the relay would put on the linkage queue for these records."""
    deliver([linkage_message(record_id, "submitted", 1) for record_id in record_ids])


def deliver(messages: list[dict[str, Any]]) -> None:
    """Runs the linkage function on these messages of its queue."""
    from chalicelib.handlers.linkage import link_records

    event = load_event("link-records")
    template = event["Records"][0]
    event["Records"] = [{**template, "messageId": str(uuid.uuid4()), "body": json.dumps(message)}
                        for message in messages]
    link_records(event, None)


def person_of(api: Api, record_id: str) -> str | None:
    answer = api.get(f"/records/{record_id}")
    assert answer.status == 200, answer.text
    return answer.body["person_id"]


@pytest.fixture
def police(api: Api) -> Api:
    return api.as_("kp-dthb")


@pytest.fixture
def ngo(api: Api) -> Api:
    return api.as_("ngo-safe-house")


def test_records_of_one_person_from_two_institutions_get_one_person_id(police, ngo):
    someone = identity_of_someone()
    spelled_otherwise = {**someone, "given_name": someone["given_name"].upper(),
                         "family_name": someone["family_name"].replace("ë", "e")}
    by_police = police.submit(record_about(someone))
    by_ngo = ngo.submit(record_about(spelled_otherwise))
    assert person_of(police, by_police) is None

    link(by_police, by_ngo)

    person_id = person_of(police, by_police)
    assert person_id is not None
    assert person_of(ngo, by_ngo) == person_id


def test_records_of_two_different_persons_stay_apart(police):
    first, second = police.submit(record_about(identity_of_someone())), police.submit(record_about(identity_of_someone()))
    link(first, second)
    assert person_of(police, first) != person_of(police, second)


def test_a_person_shows_each_linked_record_as_the_caller_may_see_it(api, police, ngo):
    someone = identity_of_someone()
    by_police, by_ngo = police.submit(record_about(someone)), ngo.submit(record_about(someone))
    link(by_police, by_ngo)
    person_id = person_of(police, by_police)

    as_police = police.get(f"/persons/{person_id}")
    assert as_police.status == 200
    assert {record["record_id"] for record in as_police.body["records"]} == {by_police, by_ngo}
    as_ngo = ngo.get(f"/persons/{person_id}")
    assert {record["record_id"]: "identity" in record for record in as_ngo.body["records"]} == {
        by_police: False, by_ngo: True}
    assert api.as_("mia-national-coordinator").get(f"/persons/{person_id}").status == 403


def test_an_unknown_person_is_not_found(police):
    assert police.get(f"/persons/{uuid.uuid4()}").status == 404


def test_a_repeated_message_changes_nothing(police):
    someone = identity_of_someone()
    first, second = police.submit(record_about(someone)), police.submit(record_about(someone))
    link(first, second)
    person_id = person_of(police, first)

    link(second, first, second)

    assert person_of(police, first) == person_of(police, second) == person_id


def test_a_withdrawn_record_leaves_its_person_and_the_others_stay(police, ngo):
    someone = identity_of_someone()
    by_police, by_ngo = police.submit(record_about(someone)), ngo.submit(record_about(someone))
    link(by_police, by_ngo)
    person_id = person_of(police, by_police)

    assert police.delete(f"/records/{by_police}").status == 204
    link(by_police)

    assert person_of(ngo, by_ngo) == person_id
    assert [record["record_id"] for record in ngo.get(f"/persons/{person_id}").body["records"]] == [by_ngo]


def test_a_record_changed_to_another_person_moves_to_a_person_of_its_own(police):
    someone = identity_of_someone()
    first, second = police.submit(record_about(someone)), police.submit(record_about(someone))
    link(first, second)
    current = police.get(f"/records/{second}").body

    answer = police.patch(f"/records/{second}", {"identity": identity_of_someone()},
                          headers={"If-Match": str(current["version"])})
    assert answer.status == 200, answer.text
    link(second)

    assert person_of(police, second) not in (None, person_of(police, first))


def uncertain_pair(police: Api, ngo: Api) -> tuple[str, str]:
    """Two records that agree on names, one giving only an age a year off (an estimate), and say
    nothing else: for a reviewer to decide.

    The birthday falls months away from the identification date, so that the age is a year
    off at the month too, which is as close as linkage compares birth dates. The second
    record is written a year after the first, not in the weeks of a referral."""
    someone = identity_of_someone()
    someone["date_of_birth"] = f"{someone['birth_year']}-07-15"
    estimated = a_year_later(record_about({name: someone[name] for name in ("given_name", "family_name")}))
    identified = date.fromisoformat(estimated["statistical"]["identification_date"])
    assert identified.month < 7
    true_age = identified.year - someone["birth_year"] - 1
    estimated["statistical"]["age_at_identification"] = true_age - 1
    first, second = police.submit(record_about(someone)), ngo.submit(estimated)
    link(first, second)
    return first, second


@pytest.fixture
def reviewer(api: Api) -> Api:
    return api.as_("linkage-review")


def review_of(reviewer: Api, first: str, second: str) -> dict[str, Any]:
    answer = reviewer.get("/reviews")
    assert answer.status == 200, answer.text
    pairs = [review for review in answer.body["reviews"]
             if {shown["record_id"] for shown in review["records"]} == {first, second}]
    assert len(pairs) == 1
    return pairs[0]


def test_an_uncertain_pair_waits_for_a_reviewer_who_sees_both_identities(api, police, ngo, reviewer):
    first, second = uncertain_pair(police, ngo)
    assert person_of(police, first) != person_of(ngo, second)

    review = review_of(reviewer, first, second)

    assert review["comparison"]["score"] > 0
    identities = {shown["record_id"]: shown["identity"] for shown in review["records"]}
    assert set(identities[second]) == {"given_name", "family_name"}
    for other in ("kp-dthb", "mia-national-coordinator", "dpo"):
        assert api.as_(other).get("/reviews").status == 403


def test_a_match_merges_the_two_persons_and_the_absorbed_id_answers_with_the_survivor(api, police, ngo, reviewer):
    first, second = uncertain_pair(police, ngo)
    persons_before = {person_of(police, first), person_of(ngo, second)}
    review = review_of(reviewer, first, second)

    decided = reviewer.post(f"/reviews/{review['review_id']}", {"decision": "match"})

    assert decided.status == 200, decided.text
    survivor = person_of(police, first)
    assert person_of(ngo, second) == survivor
    assert decided.body["person_ids"] == [survivor]
    absorbed = (persons_before - {survivor}).pop()
    assert police.get(f"/persons/{absorbed}").body["person_id"] == survivor
    assert reviewer.post(f"/reviews/{review['review_id']}", {"decision": "match"}).status == 404


def test_a_no_match_keeps_the_records_apart_for_good(police, ngo, reviewer):
    first, second = uncertain_pair(police, ngo)
    review = review_of(reviewer, first, second)

    assert reviewer.post(f"/reviews/{review['review_id']}", {"decision": "no_match"}).status == 200
    link(second, first)

    assert person_of(police, first) != person_of(ngo, second)
    assert not [pending for pending in reviewer.get("/reviews").body["reviews"]
                if {shown["record_id"] for shown in pending["records"]} == {first, second}]


def test_a_match_stands_when_either_record_is_updated_later(police, ngo, reviewer):
    first, second = uncertain_pair(police, ngo)
    review = review_of(reviewer, first, second)
    assert reviewer.post(f"/reviews/{review['review_id']}", {"decision": "match"}).status == 200
    person = person_of(police, first)

    for submitter, record_id in ((ngo, second), (police, first)):
        current = submitter.get(f"/records/{record_id}").body
        nickname_added = {**current["identity"], "other_names": ["Zana"]}
        answer = submitter.patch(f"/records/{record_id}", {"identity": nickname_added},
                                 headers={"If-Match": str(current["version"])})
        assert answer.status == 200, answer.text
        link(record_id)

        assert person_of(police, first) == person_of(ngo, second) == person
    assert not [pending for pending in reviewer.get("/reviews").body["reviews"]
                if {shown["record_id"] for shown in pending["records"]} == {first, second}]


def test_a_review_shows_each_records_person_so_a_reviewer_sees_when_a_later_record_joined_them(
        police, ngo, reviewer):
    # GIVEN an uncertain pair, each record its own person
    first, second = uncertain_pair(police, ngo)
    shown = {record["record_id"]: record["person_id"] for record in review_of(reviewer, first, second)["records"]}
    assert shown == {first: person_of(police, first), second: person_of(ngo, second)}
    assert shown[first] != shown[second]

    # WHEN a record agreeing with each of them closely is linked
    names_and_origin = {name: police.get(f"/records/{first}").body["identity"][name]
                        for name in ("given_name", "family_name", "father_name", "place_of_birth")}
    written_with_the_second = ngo.get(f"/records/{second}").body["statistical"]
    bridge = ngo.submit(example_record("albanian", identity=names_and_origin, statistical=written_with_the_second))
    link(bridge)

    # THEN the review, still pending, shows both records as one person
    shown = {record["record_id"]: record["person_id"] for record in review_of(reviewer, first, second)["records"]}
    assert shown[first] == shown[second] == person_of(police, bridge)


def test_a_decision_must_be_match_or_no_match_and_name_a_pending_review(reviewer, police, ngo):
    first, second = uncertain_pair(police, ngo)
    review = review_of(reviewer, first, second)

    wrong = reviewer.post(f"/reviews/{review['review_id']}", {"decision": "maybe", "Drita Krasniqi": "looks alike"})
    assert wrong.status == 400
    assert {detail["path"] for detail in wrong.body["error"]["details"]} == {"", "/decision"}
    assert "Drita" not in wrong.text and "looks alike" not in wrong.text
    assert reviewer.post(f"/reviews/{uuid.uuid4()}", {"decision": "match"}).status == 404
    assert police.post(f"/reviews/{review['review_id']}", {"decision": "match"}).status == 403
    assert review_of(reviewer, first, second)["review_id"] == review["review_id"]


def test_the_auditor_sees_which_records_a_reviewer_was_shown_and_decided(api, police, ngo, reviewer):
    first, second = uncertain_pair(police, ngo)
    review = review_of(reviewer, first, second)
    reviewer.post(f"/reviews/{review['review_id']}", {"decision": "no_match"})

    entries = api.as_("dpo").get(f"/audit?record_id={second}").body["entries"]

    assert {(entry["institution_id"], entry["action"]) for entry in entries} >= {
        ("linkage-review", "review_read"), ("linkage-review", "review_decide")}


def reconsider_reviews() -> None:
    """What EventBridge does once a day, with the context the local stack gives a function."""
    from chalicelib.handlers.linkage import reconsider_reviews as nightly

    nightly(load_event("reconsider-reviews"), LambdaContext("reconsider_reviews"))


def test_the_nightly_run_links_a_review_that_now_passes_and_leaves_the_uncertain_ones(police, ngo, reviewer):
    # GIVEN two records of one name and birth year, written a year apart, queued for a
    # reviewer because namesakes born in other years made the name look common (three, so
    # that it looks common however many records the other tests left in the table)
    someone = identity_of_someone()
    names = {name: someone[name] for name in ("given_name", "family_name")}
    namesakes = [police.submit(record_about({**names, "birth_year": year, "father_name": father}))
                 for year, father in ((1990, "Agim"), (1987, "Besim"), (1984, "Dritan"))]
    first = police.submit(record_about({**names, "birth_year": 2007}))
    second = ngo.submit(a_year_later(record_about({**names, "birth_year": 2007})))
    link(*namesakes, first, second)
    assert person_of(police, first) != person_of(ngo, second)
    review_of(reviewer, first, second)
    # AND the namesakes' records withdrawn since
    for namesake in namesakes:
        assert police.delete(f"/records/{namesake}").status == 204
    link(*namesakes)
    # AND a pair that only a reviewer can decide
    uncertain = uncertain_pair(police, ngo)

    # WHEN the nightly run weighs the pending reviews again
    reconsider_reviews()

    # THEN the pair that now passes is one person, written on both records, and left the queue
    assert person_of(police, first) == person_of(ngo, second) is not None
    pending = [{shown["record_id"] for shown in review["records"]} for review in reviewer.get("/reviews").body["reviews"]]
    assert {first, second} not in pending
    # AND the uncertain pair still waits for the reviewer
    assert set(uncertain) in pending


def test_the_nightly_run_stops_when_its_time_is_up_and_leaves_the_queue_as_it_was(police, ngo, reviewer):
    from chalicelib import bootstrap

    first, second = uncertain_pair(police, ngo)

    outcome = bootstrap.get_linking().reconsider_reviews(has_time=lambda: False)

    assert outcome["reconsidered"] == 0 and outcome["linked"] == 0
    assert outcome["pending"] >= 1
    review_of(reviewer, first, second)


def stored_linkage(record_id: str) -> Any:
    from chalicelib import bootstrap

    return bootstrap.get_linking().read_only_store().get_record(record_id)


def stored_as_before_the_engine_changed(record_id: str) -> None:
    """The record's linkage as an engine that encoded records otherwise left it (here, under
    another key): its encoding and blocks unlike those the engine makes now."""
    from chalicelib import bootstrap
    from chalicelib.domain.linkage import Encoder
    from chalicelib.services.linkage import LINKAGE_SERVICE

    linking = bootstrap.get_linking()
    _, parts = linking.records.read_for_service(LINKAGE_SERVICE, record_id, ("identity", "statistical"))
    earlier = Encoder(b"the key of an earlier engine....").encode(parts.get("identity"), parts.get("statistical"))
    with linking.exclusive() as unit:
        linking.store_over(unit).save_record(record_id, earlier)


def test_relinking_every_record_encodes_each_as_the_engine_now_does_and_keeps_persons_and_decisions(
        police, ngo, reviewer):
    from chalicelib import bootstrap

    # GIVEN a person of two records, and a pair a reviewer matched
    someone = identity_of_someone()
    first, second = police.submit(record_about(someone)), ngo.submit(record_about(someone))
    link(first, second)
    matched = uncertain_pair(police, ngo)
    review = review_of(reviewer, *matched)
    assert reviewer.post(f"/reviews/{review['review_id']}", {"decision": "match"}).status == 200
    persons = {record_id: person_of(police, record_id) for record_id in (first, second, *matched)}
    # AND two of the records stored as an earlier engine encoded them
    current = {record_id: stored_linkage(record_id).digest for record_id in (first, matched[1])}
    for record_id in current:
        stored_as_before_the_engine_changed(record_id)
        assert stored_linkage(record_id).digest != current[record_id]

    # WHEN every record is put on the queue again, and the linkage function takes this test's
    sent: list[dict[str, Any]] = []
    queued = queue_every_record(bootstrap.get_records().versions(), sent.extend)
    deliver([message for message in sent if message["record_id"] in persons])

    # THEN every record was queued once, and the stale ones are encoded as the engine now does
    assert queued == len(sent) == len({message["record_id"] for message in sent})
    assert set(persons) <= {message["record_id"] for message in sent}
    assert {record_id: stored_linkage(record_id).digest for record_id in current} == current
    # AND every record keeps its person, the reviewer's match included
    assert {record_id: person_of(police, record_id) for record_id in persons} == persons
