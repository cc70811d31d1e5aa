"""Bad input is refused with every problem listed, and no error repeats what was submitted."""

from __future__ import annotations

import json

import pytest

from tests.functional.records.record_api import example_record

SUBMITTED_NAMES = ("Krasniqi", "Arbër", "Hoxha", "Rekrutuar", "P1234567")


@pytest.fixture
def police(api):
    return api.as_("kp-dthb")


def problem_paths(answer) -> set[str]:
    return {problem["path"] for problem in answer.body["error"]["details"]}


def assert_no_submitted_value(answer, *values: str) -> None:
    for value in (*SUBMITTED_NAMES, *values):
        assert value.lower() not in answer.text.lower(), value


@pytest.mark.parametrize("raw", [b'{"status": ', b"\xff\xfe not utf-8", b"", b"[1, 2"])
def test_a_body_that_is_not_json_is_refused(police, raw):
    answer = police.post("/records", raw=raw)
    assert answer.status == 400
    assert answer.body["error"]["code"] == "invalid_input"


def test_every_problem_of_a_record_is_listed_with_its_path(police):
    # GIVEN a record with wrong types, an unknown vocabulary value and unknown fields in several places
    record = example_record()
    record["status"] = 3
    record["consent"]["share_identity"] = "yes"
    record["statistical"]["sex"] = "wizardess"
    record["statistical"]["age_at_identification"] = "seventeen"
    record["identity"]["nickname_secret"] = "Krasniqi"
    record["favourite_colour"] = "Krasniqi"

    # WHEN it is submitted
    answer = police.post("/records", record)

    # THEN all of them are listed, each at its path, and none of the submitted values is repeated
    assert answer.status == 400
    assert {"/status", "/consent/share_identity", "/statistical/sex", "/statistical/age_at_identification",
            "/identity", ""} <= problem_paths(answer)
    assert_no_submitted_value(answer, "wizardess", "seventeen", "nickname_secret", "favourite_colour")


def test_a_patch_that_breaks_the_record_lists_its_problems_and_changes_nothing(police):
    record_id = police.submit(example_record())

    answer = police.patch(f"/records/{record_id}", {"statistical": {"sex": "wizardess"}, "source_reference": "X-1",
                                                    "identity": {"family_name": "Hoxha\u200b"}},
                          headers={"If-Match": "1"})

    assert answer.status == 400
    assert problem_paths(answer) == {"/statistical/sex", "/source_reference", "/identity/family_name"}
    assert_no_submitted_value(answer, "wizardess", "X-1")
    assert police.get(f"/records/{record_id}").body["version"] == 1


def test_a_body_over_64_kib_is_refused_before_it_is_read(police):
    record = example_record()
    record["case"]["narrative"] = "Krasniqi " * (64 * 1024 // 9 + 1)

    answer = police.post("/records", record)

    assert answer.status == 413
    assert answer.body["error"]["code"] == "payload_too_large"
    assert_no_submitted_value(answer)


@pytest.mark.parametrize("name", ["Петровић", "Ане\u0308", "Dz\u030cenana", "Šćepanović"])
def test_names_in_cyrillic_and_with_combining_marks_are_accepted_as_written(police, name):
    record = example_record("serbian-cyrillic")
    record["identity"]["given_name"] = name

    record_id = police.submit(record)

    assert police.get(f"/records/{record_id}").body["identity"]["given_name"] == name


@pytest.mark.parametrize("hidden", ["\u200b", "\u0000", "\u202e", "\ufeff"])
def test_invisible_and_control_characters_are_refused(police, hidden):
    record = example_record()
    record["identity"]["family_name"] = f"Hox{hidden}ha"
    record["source_reference"] = f"{record['source_reference']}{hidden}"

    answer = police.post("/records", record)

    assert answer.status == 400
    assert problem_paths(answer) == {"/identity/family_name", "/source_reference"}
    assert_no_submitted_value(answer, json.dumps(hidden)[1:-1])
