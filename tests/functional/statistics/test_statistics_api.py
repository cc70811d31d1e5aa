"""GET /statistics for the coordinator alone, every problem of its parameters listed, JSON or
CSV, every call audited; and persons counted from records submitted through the API."""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from chalicelib import bootstrap
from chalicelib.adapters.statistics_store import DynamoDBProjection, ProjectionKeys
from chalicelib.domain.audit import chain_problems
from chalicelib.domain.statistics import DimensionCatalog, StatisticsProjection, record_key_for
from chalicelib.services.statistics import Statistics

from ivdb import paths
from tests.functional.records.record_api import example_record
from tests.functional.statistics.true_counts import persons_by
from tests.functional.storage.emulated import table_of_its_own

COORDINATOR = "mia-national-coordinator"
COUNTS = "/statistics?group_by=sex,forms_of_exploitation&from=2025-01-01&to=2025-12-31"


@pytest.fixture
def coordinator(api):
    return api.as_(COORDINATOR)


def test_the_coordinator_gets_counts_as_json(coordinator):
    answer = coordinator.get(COUNTS)

    assert answer.status == 200, answer.text
    assert set(answer.body) >= {"total", "threshold", "cells"}
    assert answer.body["threshold"] == bootstrap.get_settings().disclosure_threshold
    assert answer.body["multi_valued"] == ["forms_of_exploitation"]
    for cell in answer.body["cells"]:
        assert set(cell) - {"suppressed"} == {"sex", "forms_of_exploitation", "count"}


def test_csv_gives_the_same_table_with_a_header_row(api, token_for, coordinator):
    as_json = coordinator.get(COUNTS)
    as_csv = api.client.http.get(COUNTS + "&format=csv", headers={"Authorization": f"Bearer {token_for(COORDINATOR)}"})

    assert as_csv.status_code == 200
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.body.decode("utf-8"))))
    assert rows[0] == ["sex", "forms_of_exploitation", "count", "suppressed"]
    assert len(rows) == 1 + len(as_json.body["cells"]) + 1
    assert rows[-1][:2] == ["total", "total"]


@pytest.mark.parametrize("institution_type", ["police", "prosecution", "social_welfare", "ngo", "reviewer", "auditor"])
def test_every_other_institution_type_is_refused(api, institution_of_type, institution_type):
    answer = api.as_(institution_of_type[institution_type]).get(COUNTS)

    assert answer.status == 403
    assert answer.body["error"]["code"] == "forbidden"


def test_without_a_token_the_call_is_unauthorised(api):
    assert api.get(COUNTS).status == 401


def problems_of(answer) -> set[tuple[str, str]]:
    assert answer.status == 400, answer.text
    return {(problem["path"], problem["message"]) for problem in answer.body["error"]["details"]}


def test_every_problem_of_the_parameters_is_listed(coordinator):
    problems = problems_of(coordinator.get("/statistics?group_by=sex,colour&from=2025-06&to=2025-03&format=xml"))

    assert problems == {("/group_by/1", "unknown dimension"), ("/to", "is before from"),
                        ("/format", "must be json or csv")}


def test_malformed_dates_and_unknown_filters_are_each_listed_without_repeating_them(coordinator):
    answer = coordinator.get("/statistics?from=2025-02-30&to=31.12.2025&colour=blue&sex=purple")

    assert {path for path, _ in problems_of(answer)} == {"/from", "/to", "/filters", "/filters/sex/0"}
    for leaked in ("31.12.2025", "2025-02-30", "colour", "blue", "purple"):
        assert leaked not in answer.text


def test_a_range_that_splits_a_month_is_refused(coordinator):
    assert {path for path, _ in problems_of(coordinator.get("/statistics?from=2025-01-15&to=2025-02-10"))} \
        == {"/from", "/to"}


def test_every_call_is_audited(coordinator):
    log = bootstrap.get_audit_log()
    last_before = max((entry.sequence for entry in log.entries(0)), default=0)

    assert coordinator.get(COUNTS).status == 200

    entries = list(log.entries(last_before))
    assert [(entry.event.institution_id, entry.event.action) for entry in entries] \
        == [(COORDINATOR, "query_statistics")]
    assert chain_problems(log.entries(0), log.head(), bootstrap.audit_mac()) == []


# Persons counted from records submitted through the API. The person directory stands in for
# the linkage; the records, their encryption and the statistics service's key are the real ones.


class Directory:
    def __init__(self) -> None:
        self.members_of: dict[str, list[str]] = {}

    def members(self, person_id: str) -> list[str]:
        return list(self.members_of.get(person_id, []))

    def persons(self) -> Iterable[str]:
        return [person_id for person_id, members in self.members_of.items() if members]


@pytest.fixture
def statistics_table(aws_client: Callable[[str], Any]) -> Iterable[str]:
    dynamodb = aws_client("dynamodb")
    yield from table_of_its_own(dynamodb, "ivdb-statistics-test")


@pytest.fixture
def counting(aws, aws_client, statistics_table, access_policy):
    """(service, directory, persons by cube) over the real records and a statistics table of the test's own."""
    naming, sealing = os.urandom(32), os.urandom(32)
    store = DynamoDBProjection(aws_client("dynamodb"), statistics_table,
                               ProjectionKeys(naming=lambda: naming, sealing=lambda: sealing))
    catalog = DimensionCatalog.from_schemas(
        json.loads((paths.SCHEMAS / "identification-record.schema.json").read_text()),
        json.loads((paths.SCHEMAS / "institution-registry.schema.json").read_text()))
    directory = Directory()
    service = Statistics(policy=access_policy, catalog=catalog, store=store, records=bootstrap.get_records(),
                         directory=directory, record_key=lambda person_id: record_key_for(person_id, b"test"),
                         audit=lambda event: None, threshold=5, cube_size=2)

    def persons(*dimensions: str) -> dict[tuple[str, ...], int]:
        return persons_by(StatisticsProjection(store.cells(), catalog, cube_size=2), *dimensions)

    return service, directory, persons


def test_two_records_of_one_person_from_two_institutions_count_one_person(api, counting):
    # GIVEN the police and an NGO each submit a record about the same girl, linked to one person
    service, directory, persons_by = counting
    police_record = api.as_("kp-dthb").submit(example_record("albanian"))
    ngo_record = api.as_("ngo-safe-house").submit(example_record(
        "albanian", statistical={"sex": "female", "identification_date": "2025-04-20", "age_at_identification": 17,
                                 "forms_of_exploitation": ["labour"], "citizenship": ["AL"]}))
    person = str(uuid.uuid4())
    directory.members_of[person] = [police_record, ngo_record]

    # WHEN the statistics hear of the person (twice, as a queue may deliver it)
    service.refresh([person])
    service.refresh([person])

    # THEN one person is counted, with the union of the forms and citizenships, identified by the police
    assert persons_by() == {(): 1}
    assert persons_by("forms_of_exploitation") == {("sexual",): 1, ("begging",): 1, ("labour",): 1}
    assert persons_by("citizenship") == {("XK",): 1, ("AL",): 1}
    assert persons_by("institution_type") == {("police",): 1}


def test_withdrawing_the_records_through_the_api_takes_the_person_out(api, counting):
    service, directory, persons_by = counting
    police = api.as_("kp-dthb")
    first, second = police.submit(example_record("albanian")), police.submit(example_record("child"))
    person = str(uuid.uuid4())
    directory.members_of[person] = [first, second]
    service.refresh([person])
    assert persons_by() == {(): 1}

    assert police.delete(f"/records/{first}").status == 204
    service.refresh([person])
    assert persons_by() == {(): 1}

    assert police.delete(f"/records/{second}").status == 204
    service.refresh([person])
    assert persons_by() == {}
