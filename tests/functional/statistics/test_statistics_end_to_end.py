"""Persons counted end to end: records submitted over HTTP by police, prosecution, social welfare
and NGOs; the relay's messages taken from the linkage queue by the linkage function; the
messages it put on the statistics queue taken from that queue by the statistics function;
then the coordinator's GET /statistics.

Both queues are the emulator's own, so what is proven is the chain itself: the statistics
function counts exactly the persons the linkage function sent it. The stack is shared by the
whole session, so this module's persons are identified in months no other test uses (2019,
and 2016-2017 for the differencing attack) and every question names those months.

A handful of persons is below the disclosure threshold, so the coordinator sees them only as
suppressed cells. The exact counts are read at the projection with the stack's own keys, and
every HTTP answer is checked to be what the domain's ``query`` gives over those same cells.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
from chalicelib import bootstrap
from chalicelib.domain.statistics import (
    CellIncrement,
    CellStore,
    Cube,
    Month,
    StatisticsProjection,
    StoredCell,
    query,
)
from chalicelib.domain.statistics.projection import month_of

from ivdb.local.events import sqs_event
from ivdb.local.stack import REGION
from tests.events import load_event
from tests.functional.linkage.test_linkage_flow import identity_of_someone, person_of, record_about, review_of
from tests.functional.records.record_api import Api
from tests.functional.statistics.true_counts import persons_by

COORDINATOR = "mia-national-coordinator"
SQS_BATCH = 10

THREE_INSTITUTIONS, KEPT_APART, WITHDRAWN, MERGED, REPEATED = (date(2019, month, 1) for month in range(1, 6))
"""The month of each test's persons."""
A_YEAR_AFTER_MERGED = MERGED.replace(year=MERGED.year + 1, day=11)


def identified(identity: dict[str, Any], on: date, born: int | None = None, **statistical: Any) -> dict[str, Any]:
    """A record about someone identified on that day, their age told by their year of birth."""
    record = record_about(identity)
    record["statistical"].update(identification_date=on.isoformat(),
                                 age_at_identification=on.year - (born or identity["birth_year"]), **statistical)
    return record


def relay(*changes: tuple[str, str, int]) -> None:
    """Gives the relay the records stream's (event name, record id, version) changes, as Lambda would."""
    from chalicelib.handlers.relay import relay_record_changes

    sample = load_event("relay-record-changes")["Records"][0]
    stream = []
    for event_name, record_id, version in changes:
        image = {"record_id": {"S": record_id}, "version": {"N": str(version)}}
        stream.append({**sample, "eventID": str(uuid.uuid4()), "eventName": event_name, "dynamodb": {
            "Keys": {"record_id": {"S": record_id}}, ("OldImage" if event_name == "REMOVE" else "NewImage"): image,
            "StreamViewType": "NEW_AND_OLD_IMAGES"}})
    relay_record_changes({"Records": stream}, None)


class Queues:
    """The emulator's linkage and statistics queues, each drained into its function as Lambda would."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs

    def deliver(self, queue_name: str, handler: Callable[[dict[str, Any], Any], Any],
                times: int = 1) -> list[dict[str, Any]]:
        """Every message waiting on the queue, in batches, given to the handler (``times`` over, as a
        queue may deliver a message again), then deleted; the events delivered."""
        url = self.sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        delivered = []
        while messages := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=SQS_BATCH,
                                                   AttributeNames=["All"]).get("Messages", []):
            event = sqs_event(messages, arn, REGION)
            for _ in range(times):
                handler(event, None)
            self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(messages)])
            delivered.append(event)
        return delivered

    def link(self, times: int = 1) -> None:
        from chalicelib.handlers.linkage import link_records

        assert self.deliver(bootstrap.get_settings().linkage_queue, link_records, times), "the relay sent nothing"

    def count(self, times: int = 1) -> list[dict[str, Any]]:
        """Delivers what the linkage put on the statistics queue; the events, to deliver again."""
        from chalicelib.handlers.statistics import update_statistics

        return self.deliver(bootstrap.get_settings().statistics_queue, update_statistics, times)


def persons_sent(events: list[dict[str, Any]]) -> set[str]:
    return {person_id for event in events for message in event["Records"]
            for person_id in json.loads(message["body"])["person_ids"]}


@pytest.fixture
def queues(aws_client) -> Queues:
    return Queues(aws_client("sqs"))


def submitted_and_linked(queues: Queues, *submissions: tuple[Api, dict[str, Any]]) -> list[str]:
    """Each record submitted over HTTP, relayed and linked; their ids."""
    record_ids = [submitter.submit(record) for submitter, record in submissions]
    relay(*(("INSERT", record_id, 1) for record_id in record_ids))
    queues.link()
    return record_ids


def withdrawn_and_linked(queues: Queues, submitter: Api, record_id: str) -> None:
    """The record withdrawn over HTTP, and the withdrawal relayed and linked."""
    version = submitter.get(f"/records/{record_id}").body["version"]
    assert submitter.delete(f"/records/{record_id}").status == 204
    relay(("REMOVE", record_id, version))
    queues.link()


def stack_projection(cells: CellStore | None = None) -> StatisticsProjection:
    """The stack's projection, read with the statistics service's own keys (or those cells, read with them)."""
    service = bootstrap.get_statistics()
    return StatisticsProjection(cells or service.store.cells(), service.catalog, service.cube_size)


def counted_in(month: date, *dimensions: str) -> dict[tuple[str, ...], int]:
    """The exact count of persons first identified in the month, per value of the dimensions."""
    return persons_by(stack_projection(), *dimensions, first_month=month_of(month), last_month=month_of(month))


class CellsAsRead(CellStore):
    """The stack's cells while nothing changes them, each cube read once: many questions checked cheaply."""

    def __init__(self, cells: CellStore) -> None:
        self._cells = cells
        self._cubes: dict[Cube, list[StoredCell]] = {}

    def add_to_cells(self, increments: Sequence[CellIncrement]) -> None:
        raise AssertionError("cells as read are not changed")

    def read_cells(self, cube: Cube, first_month: Month | None, last_month: Month | None) -> list[StoredCell]:
        if cube not in self._cubes:
            self._cubes[cube] = list(self._cells.read_cells(cube, None, None))
        return [cell for cell in self._cubes[cube] if (first_month is None or cell.month >= first_month)
                and (last_month is None or cell.month <= last_month)]


Ask = Callable[..., dict[str, Any]]


def asking(api: Api, projection: Callable[[], StatisticsProjection]) -> Ask:
    """ask(group_by=..., from_=..., to=..., **filters) -> the coordinator's answer over HTTP, checked to be
    exactly what the domain's query gives over the cells of the projection."""
    as_coordinator = api.as_(COORDINATOR)

    def ask(group_by: str = "", from_: str | None = None, to: str | None = None, **filters: str) -> dict[str, Any]:
        parameters = {"group_by": group_by, "from": from_, "to": to, **filters}
        answer = as_coordinator.get("/statistics?" + urlencode({name: value for name, value in parameters.items()
                                                                if value}))
        assert answer.status == 200, answer.text
        expected = query(projection(), [name for name in group_by.split(",") if name],
                         {name: values.split(",") for name, values in filters.items()}, from_, to,
                         threshold=bootstrap.get_statistics().threshold)
        assert answer.body == expected.to_json()
        return answer.body

    return ask


@pytest.fixture
def coordinator(api: Api) -> Ask:
    return asking(api, stack_projection)


def month_range(month: date) -> dict[str, str]:
    return {"from_": f"{month:%Y-%m}", "to": f"{month:%Y-%m}"}


def assert_nothing_shown(answer: dict[str, Any]) -> None:
    """Every cell with a person is suppressed, and so is the total that would add them up."""
    assert answer["cells"]
    assert all(cell["count"] is None and cell["suppressed"] is True for cell in answer["cells"])
    assert answer["total"] is None


def test_records_from_three_institutions_about_one_person_count_one_person(
        api, institution_of_type, queues, coordinator):
    # GIVEN the police, an NGO and the prosecution each submit a record about one woman in January 2019,
    # the NGO first, each naming another form of exploitation
    someone = identity_of_someone()
    police, ngo, prosecution = (api.as_(institution_of_type[kind]) for kind in ("police", "ngo", "prosecution"))
    record_ids = submitted_and_linked(
        queues,
        (police, identified(someone, THREE_INSTITUTIONS.replace(day=12), forms_of_exploitation=["sexual"])),
        (ngo, identified(someone, THREE_INSTITUTIONS.replace(day=3), forms_of_exploitation=["labour"])),
        (prosecution, identified(someone, THREE_INSTITUTIONS.replace(day=20), forms_of_exploitation=["begging"])))
    person_id = person_of(police, record_ids[0])
    assert {person_of(ngo, record_ids[1]), person_of(prosecution, record_ids[2])} == {person_id}

    # WHEN the statistics function takes what the linkage put on the statistics queue
    sent = persons_sent(queues.count())

    # THEN it was told of the person, and counts one person, with every form, identified by the NGO
    assert person_id in sent
    assert counted_in(THREE_INSTITUTIONS) == {(): 1}
    assert counted_in(THREE_INSTITUTIONS, "forms_of_exploitation") == {("sexual",): 1, ("labour",): 1,
                                                                       ("begging",): 1}
    assert counted_in(THREE_INSTITUTIONS, "institution_type") == {("ngo",): 1}
    # AND the coordinator sees those cells only as suppressed, and no total that gives them away
    assert_nothing_shown(coordinator(group_by="institution_type,forms_of_exploitation",
                                     **month_range(THREE_INSTITUTIONS)))


def test_two_persons_kept_apart_count_two(api, institution_of_type, queues, coordinator):
    # GIVEN the police identify one woman, and social welfare that woman and another one, in February 2019
    first, second = identity_of_someone(), identity_of_someone()
    police, social_welfare = api.as_(institution_of_type["police"]), api.as_(institution_of_type["social_welfare"])
    record_ids = submitted_and_linked(
        queues,
        (police, identified(first, KEPT_APART.replace(day=4))),
        (social_welfare, identified(second, KEPT_APART.replace(day=9))),
        (social_welfare, identified(first, KEPT_APART.replace(day=15))))
    assert person_of(police, record_ids[0]) == person_of(social_welfare, record_ids[2]) \
        != person_of(social_welfare, record_ids[1])

    # WHEN the statistics function takes what the linkage sent
    queues.count()

    # THEN two persons are counted, each under the institution type that identified them first
    assert counted_in(KEPT_APART) == {(): 2}
    assert counted_in(KEPT_APART, "institution_type") == {("police",): 1, ("social_welfare",): 1}
    assert_nothing_shown(coordinator(group_by="institution_type", **month_range(KEPT_APART)))


def test_withdrawals_move_the_person_and_then_take_them_out(api, institution_of_type, queues, coordinator):
    # GIVEN a woman identified by the police in March 2019 and later by an NGO, counted once
    someone = identity_of_someone()
    police, ngo = api.as_(institution_of_type["police"]), api.as_(institution_of_type["ngo"])
    by_police, by_ngo = submitted_and_linked(
        queues,
        (police, identified(someone, WITHDRAWN.replace(day=2), forms_of_exploitation=["sexual"])),
        (ngo, identified(someone, WITHDRAWN.replace(day=9), forms_of_exploitation=["labour"])))
    queues.count()
    assert counted_in(WITHDRAWN, "institution_type", "forms_of_exploitation") == {
        ("police", "sexual"): 1, ("police", "labour"): 1}

    # WHEN the police withdraw their record
    withdrawn_and_linked(queues, police, by_police)
    queues.count()

    # THEN she is counted from the NGO's record alone
    assert counted_in(WITHDRAWN, "institution_type", "forms_of_exploitation") == {("ngo", "labour"): 1}
    assert_nothing_shown(coordinator(group_by="institution_type", **month_range(WITHDRAWN)))

    # WHEN the NGO withdraws its record too
    withdrawn_and_linked(queues, ngo, by_ngo)
    queues.count()

    # THEN no one is counted in that month any more, and the coordinator sees an empty table
    assert counted_in(WITHDRAWN) == {}
    answer = coordinator(group_by="institution_type", **month_range(WITHDRAWN))
    assert (answer["total"], answer["cells"]) == (0, [])


def test_a_reviewers_match_counts_two_persons_as_one(api, institution_of_type, queues, coordinator):
    # GIVEN the police identify a woman born in November in April 2019, and an NGO again a year later knowing
    # only her names and an age told by her year of birth (a year too many): a pair for a reviewer, two persons
    # meanwhile, each counted in the month of her identification
    someone = identity_of_someone()
    someone["date_of_birth"] = f"{someone['birth_year']}-11-20"
    police, ngo = api.as_(institution_of_type["police"]), api.as_(institution_of_type["ngo"])
    reviewer = api.as_(institution_of_type["reviewer"])
    sparse = {name: someone[name] for name in ("given_name", "family_name")}
    first, second = submitted_and_linked(
        queues,
        (police, identified(someone, MERGED.replace(day=5), forms_of_exploitation=["sexual"])),
        (ngo, identified(sparse, A_YEAR_AFTER_MERGED, born=someone["birth_year"],
                         forms_of_exploitation=["begging"])))
    queues.count()
    assert counted_in(MERGED) == counted_in(A_YEAR_AFTER_MERGED) == {(): 1}
    assert_nothing_shown(coordinator(group_by="institution_type", **month_range(MERGED)))

    # WHEN the reviewer decides that they are one person
    review = review_of(reviewer, first, second)
    assert reviewer.post(f"/reviews/{review['review_id']}", {"decision": "match"}).status == 200
    sent = persons_sent(queues.count())

    # THEN the statistics were told of the merge, and count one person with both forms, found by the police
    assert person_of(police, first) in sent
    assert counted_in(MERGED) == {(): 1} and counted_in(A_YEAR_AFTER_MERGED) == {}
    assert counted_in(MERGED, "institution_type", "forms_of_exploitation") == {
        ("police", "sexual"): 1, ("police", "begging"): 1}
    assert_nothing_shown(coordinator(group_by="institution_type", **month_range(MERGED)))


def test_a_message_delivered_twice_changes_nothing(api, institution_of_type, queues, coordinator):
    # GIVEN the prosecution and social welfare identify one woman in May 2019, and every message of the
    # linkage queue and of the statistics queue is delivered twice
    someone = identity_of_someone()
    prosecution = api.as_(institution_of_type["prosecution"])
    social_welfare = api.as_(institution_of_type["social_welfare"])
    record_ids = [prosecution.submit(identified(someone, REPEATED.replace(day=6))),
                  social_welfare.submit(identified(someone, REPEATED.replace(day=7)))]
    relay(*(("INSERT", record_id, 1) for record_id in record_ids))
    queues.link(times=2)
    events = queues.count(times=2)
    assert counted_in(REPEATED) == {(): 1}
    cube = stack_projection().cube_for(("sex", "age_band", "institution_type", "forms_of_exploitation"))
    cells_before = set(stack_projection().read(cube, month_of(REPEATED), month_of(REPEATED)))
    answer_before = coordinator(group_by="institution_type", **month_range(REPEATED))

    # WHEN the statistics messages arrive once more, late
    from chalicelib.handlers.statistics import update_statistics

    for event in events:
        update_statistics(event, None)

    # THEN every cell holds what it held, person and record key alike, and the answer is the same
    assert set(stack_projection().read(cube, month_of(REPEATED), month_of(REPEATED))) == cells_before
    assert counted_in(REPEATED) == {(): 1}
    assert coordinator(group_by="institution_type", **month_range(REPEATED)) == answer_before


# The differencing attack: two questions whose exact answers differ by exactly one of these persons.
# The API gives a test one world only (the persons' record keys come from the stack's key), so the
# attack is made on every pair of questions that isolates one person of the series.

SERIES_FIRST_YEAR = 2016
SERIES_MUNICIPALITIES = ("Prishtinë", "Prizren", "Pejë", "Gjakovë", "Ferizaj", "Gjilan", "Mitrovicë", "Dragash",
                         "Podujevë", "Vushtrri", "Suharekë", "Rahovec", "Lipjan", "Malishevë", "Skenderaj", "Kaçanik")
"""The series: one woman identified each month from January 2016, each in a municipality of her own."""

SMALLEST_PUBLISHABLE = 6
"""Questions about fewer persons than this are suppressed whatever the noise: no attack to make."""


@pytest.fixture(scope="module")
def series(api, institution_of_type, aws_client) -> list[date]:
    """The series submitted, linked and counted; the month of each of its women."""
    months = [date(SERIES_FIRST_YEAR + index // 12, index % 12 + 1, 1) for index in range(len(SERIES_MUNICIPALITIES))]
    submitters = [api.as_(institution_of_type[kind]) for kind in ("police", "prosecution", "social_welfare", "ngo")]
    queues = Queues(aws_client("sqs"))
    submitted_and_linked(queues, *(
        (submitters[index % len(submitters)],
         identified(identity_of_someone(), month.replace(day=14), municipality=municipality,
                    forms_of_exploitation=["sexual"]))
        for index, (month, municipality) in enumerate(zip(months, SERIES_MUNICIPALITIES, strict=True))))
    queues.count()
    return months


@pytest.fixture
def coordinator_of_series(api: Api, series: list[date]) -> Ask:
    """The coordinator asking about the series, every answer checked against the cells as read once."""
    cells = CellsAsRead(bootstrap.get_statistics().store.cells())
    return asking(api, lambda: stack_projection(cells))


def whole_series(series: list[date]) -> dict[str, str]:
    return {"from_": f"{series[0]:%Y-%m}", "to": f"{series[-1]:%Y-%m}"}


def test_the_series_counts_one_person_a_month_each_in_her_municipality(series):
    # GIVEN the series, WHEN it has gone through the relay, the linkage and the statistics queue
    projection = stack_projection()
    # THEN each of its months counts one person, in her municipality
    for month, municipality in zip(series, SERIES_MUNICIPALITIES, strict=True):
        assert persons_by(projection, "municipality", first_month=month_of(month), last_month=month_of(month)) \
            == {(municipality,): 1}


def test_a_range_one_month_longer_does_not_reveal_the_person_of_that_month(series, coordinator_of_series):
    # GIVEN ranges of the series long enough to be published, starting in its first or second month
    total = functools.cache(lambda first, last: coordinator_of_series(from_=f"{series[first]:%Y-%m}",
                                                                       to=f"{series[last]:%Y-%m}")["total"])
    differences = []
    for first in range(2):
        for last in range(first + SMALLEST_PUBLISHABLE - 1, len(series) - 1):
            # WHEN the coordinator asks for a range, and for it one month longer: exactly one person more
            shorter, longer = total(first, last), total(first, last + 1)
            if shorter is not None and longer is not None:
                differences.append(longer - shorter)

    # THEN the published totals do not differ by that one person with certainty: by how much they
    # differ depends on the persons' secret record keys, so no difference can be taken for the person
    assert differences
    assert set(differences) != {1}


def test_one_municipality_more_does_not_reveal_the_person_it_adds(series, coordinator_of_series):
    # GIVEN the series, whose municipalities each hold one person, who alone is never shown
    for municipality in SERIES_MUNICIPALITIES:
        assert coordinator_of_series(municipality=municipality, **whole_series(series))["total"] is None
    total = functools.cache(lambda first, last: coordinator_of_series(
        municipality=",".join(SERIES_MUNICIPALITIES[first:last + 1]), **whole_series(series))["total"])
    differences = []
    for last in (len(series) - 1, len(series) - 2):
        for first in range(last - SMALLEST_PUBLISHABLE, -1, -1):
            # WHEN the coordinator asks about some municipalities, and about one more: exactly one person more
            without, with_one_more = total(first + 1, last), total(first, last)
            if without is not None and with_one_more is not None:
                differences.append(with_one_more - without)

    # THEN the published totals do not differ by that one person with certainty
    assert differences
    assert set(differences) != {1}
