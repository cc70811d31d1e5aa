"""PATCH /records/{id} applies a JSON Merge Patch (RFC 7396) and the result must still be a valid record."""

import copy

import pytest

from chalicelib.domain.errors import InvalidInput, Problem
from chalicelib.domain.record import merge_patch


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        # The examples of RFC 7396, appendix A.
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_follows_rfc_7396(target, patch, expected):
    assert merge_patch(target, patch) == expected


def test_merge_patch_changes_neither_argument():
    target = {"statistical": {"forms_of_exploitation": ["sexual"]}}
    patch = {"statistical": {"forms_of_exploitation": ["labour"], "sex": "male"}}
    target_before, patch_before = copy.deepcopy(target), copy.deepcopy(patch)

    merged = merge_patch(target, patch)
    merged["statistical"]["forms_of_exploitation"].append("begging")

    assert target == target_before
    assert patch == patch_before


def test_a_patch_changes_only_what_it_names(record_schema, minimal_record, today):
    patched = record_schema.apply_patch(
        minimal_record, {"status": "identified", "statistical": {"age_at_identification": 19}}, today=today
    )

    assert patched["status"] == "identified"
    assert patched["statistical"] == {
        "sex": "female",
        "identification_date": "2025-03-01",
        "forms_of_exploitation": ["sexual"],
        "age_at_identification": 19,
    }


def test_a_patch_replaces_a_list_whole(record_schema, minimal_record, today):
    patched = record_schema.apply_patch(
        minimal_record, {"statistical": {"forms_of_exploitation": ["labour", "begging"]}}, today=today
    )

    assert patched["statistical"]["forms_of_exploitation"] == ["labour", "begging"]


def test_null_removes_an_optional_section(record_schema, minimal_record, today):
    minimal_record["case"] = {"recruitment": "abduction"}

    patched = record_schema.apply_patch(minimal_record, {"case": None}, today=today)

    assert "case" not in patched


def test_a_patch_that_leaves_an_invalid_record_is_refused_with_every_problem(record_schema, minimal_record, today):
    with pytest.raises(InvalidInput) as raised:
        record_schema.apply_patch(
            minimal_record,
            {"statistical": {"sex": None, "forms_of_exploitation": []}, "consent": {"share_identity": "yes"}},
            today=today,
        )

    assert set(raised.value.problems) == {
        Problem("/statistical/sex", "is required"),
        Problem("/statistical/forms_of_exploitation", "must not be empty"),
        Problem("/consent/share_identity", "must be true or false"),
    }


def test_the_source_reference_cannot_be_changed(record_schema, minimal_record, today):
    with pytest.raises(InvalidInput) as raised:
        record_schema.apply_patch(minimal_record, {"source_reference": "KP-2025-99999"}, today=today)

    assert raised.value.problems == (Problem("/source_reference", "cannot be changed"),)


def test_the_source_reference_cannot_be_removed(record_schema, minimal_record, today):
    with pytest.raises(InvalidInput) as raised:
        record_schema.apply_patch(minimal_record, {"source_reference": None}, today=today)

    assert raised.value.problems == (Problem("/source_reference", "cannot be changed"),)


def test_repeating_the_same_source_reference_is_no_change(record_schema, minimal_record, today):
    patched = record_schema.apply_patch(
        minimal_record, {"source_reference": "KP-2025-00017", "status": "identified"}, today=today
    )

    assert patched["source_reference"] == "KP-2025-00017"


def test_a_changed_source_reference_is_reported_with_the_other_problems(record_schema, minimal_record, today):
    with pytest.raises(InvalidInput) as raised:
        record_schema.apply_patch(minimal_record, {"source_reference": "X-1", "status": "rescued"}, today=today)

    assert [problem.path for problem in raised.value.problems] == ["/source_reference", "/status"]


@pytest.mark.parametrize("patch", [None, [], "identified", 3])
def test_a_patch_must_be_an_object(record_schema, minimal_record, today, patch):
    with pytest.raises(InvalidInput) as raised:
        record_schema.apply_patch(minimal_record, patch, today=today)

    assert raised.value.problems == (Problem("", "must be an object"),)


def test_a_refused_patch_does_not_echo_its_values(record_schema, minimal_record, today):
    with pytest.raises(InvalidInput) as raised:
        record_schema.apply_patch(
            minimal_record, {"source_reference": "Qwzx-31337", "identity": {"given_name": "Qwzx-31337\u0000"}}, today=today
        )

    assert all("Qwzx" not in problem.message for problem in raised.value.problems)
    assert "Qwzx" not in str(raised.value)
