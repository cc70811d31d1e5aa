"""The reconciliation rule: one person's records folded into one set of facts."""

from __future__ import annotations

import copy
from datetime import date, datetime, timezone

import pytest

from chalicelib.domain.errors import InvalidConfiguration
from chalicelib.domain.statistics import DimensionCatalog, RecordContribution, reconcile, record_key_for


def record(
    identification_date: str,
    created: str = "2025-06-01T10:00:00",
    institution_type: str = "police",
    status: str = "presumed",
    **statistical,
) -> RecordContribution:
    section = {"sex": "female", "identification_date": identification_date, "forms_of_exploitation": ["sexual"]}
    section.update(statistical)
    return RecordContribution(
        statistical=section,
        institution_type=institution_type,
        status=status,
        created_at=datetime.fromisoformat(created).replace(tzinfo=timezone.utc),
    )


def test_first_identification_decides_date_institution_municipality_and_age():
    # GIVEN an NGO record before a police record, submitted later
    records = [
        record(
            "2025-05-10",
            created="2025-05-11T00:00:00",
            institution_type="police",
            municipality="Prishtinë",
            age_at_identification=18,
        ),
        record(
            "2025-03-02",
            created="2025-06-01T00:00:00",
            institution_type="ngo",
            municipality="Prizren",
            age_at_identification=17,
        ),
    ]
    facts = reconcile(records, record_key=7)
    assert facts.first_identification == date(2025, 3, 2)
    assert facts.institution_type == "ngo"
    assert facts.municipality == "Prizren"
    assert facts.age_at_identification == 17
    assert facts.conflicts == frozenset()


def test_a_tie_on_the_identification_date_goes_to_the_record_created_first():
    records = [
        record("2025-03-02", created="2025-03-05T00:00:00", institution_type="social_welfare"),
        record("2025-03-02", created="2025-03-03T00:00:00", institution_type="prosecution"),
    ]
    assert reconcile(records, record_key=7).institution_type == "prosecution"


def test_municipality_comes_from_the_first_record_naming_one():
    records = [
        record("2025-01-01"),
        record("2025-02-01", municipality="  Pejë "),
        record("2025-03-01", municipality="Ferizaj"),
    ]
    assert reconcile(records, record_key=7).municipality == "Pejë"


def test_unknown_sex_loses_to_a_known_one_without_a_conflict():
    records = [record("2025-01-01", sex="unknown"), record("2025-02-01", sex="male")]
    facts = reconcile(records, record_key=7)
    assert facts.sex == "male"
    assert "sex" not in facts.conflicts


def test_two_known_sexes_are_a_conflict_and_the_most_frequent_wins():
    records = [record("2025-01-01", sex="male"), record("2025-02-01", sex="female"), record("2025-03-01", sex="female")]
    facts = reconcile(records, record_key=7)
    assert facts.sex == "female"
    assert "sex" in facts.conflicts


def test_a_tie_between_known_values_goes_to_the_earliest_record():
    records = [record("2025-02-01", sex="female"), record("2025-01-01", sex="male")]
    facts = reconcile(records, record_key=7)
    assert facts.sex == "male"
    assert "sex" in facts.conflicts


def test_trafficking_scope_follows_the_same_rule():
    records = [
        record("2025-01-01", trafficking_scope="internal"),
        record("2025-02-01", trafficking_scope="transnational"),
    ]
    facts = reconcile(records, record_key=7)
    assert facts.trafficking_scope == "internal"
    assert "trafficking_scope" in facts.conflicts
    assert reconcile([record("2025-01-01")], record_key=7).trafficking_scope == "unknown"


def test_a_later_age_is_carried_back_to_the_first_identification():
    records = [record("2023-01-10"), record("2025-06-01", age_at_identification=19)]
    assert reconcile(records, record_key=7).age_at_identification == 17


def test_ages_more_than_a_year_apart_are_a_conflict():
    consistent = [record("2025-01-01", age_at_identification=16), record("2025-02-01", age_at_identification=17)]
    assert "age" not in reconcile(consistent, record_key=7).conflicts
    conflicting = [record("2025-01-01", age_at_identification=16), record("2025-02-01", age_at_identification=25)]
    facts = reconcile(conflicting, record_key=7)
    assert facts.age_at_identification == 16
    assert "age" in facts.conflicts


def test_no_stated_age_is_unknown():
    assert reconcile([record("2025-01-01")], record_key=7).age_at_identification is None


def test_citizenships_and_forms_of_exploitation_are_united():
    records = [
        record("2025-01-01", citizenship=["XK"], forms_of_exploitation=["sexual"]),
        record("2025-02-01", citizenship=["AL", "XK"], forms_of_exploitation=["begging", "sexual"]),
    ]
    facts = reconcile(records, record_key=7)
    assert facts.citizenship == {"XK", "AL"}
    assert facts.forms_of_exploitation == {"sexual", "begging"}


@pytest.mark.parametrize(
    ("statuses", "expected", "conflict"),
    [
        (["presumed", "identified"], "identified", False),
        (["recognised_in_proceedings", "presumed"], "recognised_in_proceedings", False),
        (["presumed", "not_confirmed"], "not_confirmed", False),
        (["not_confirmed", "identified"], "identified", True),
    ],
)
def test_status_is_the_most_advanced(statuses, expected, conflict):
    records = [record(f"2025-0{month}-01", status=status) for month, status in enumerate(statuses, start=1)]
    facts = reconcile(records, record_key=7)
    assert facts.status == expected
    assert ("status" in facts.conflicts) is conflict


@pytest.mark.parametrize(
    ("answers", "expected"),
    [([None, True, False], True), ([False, None], False), ([None, None], None)],
)
def test_referred_to_assistance_is_yes_when_any_record_says_so(answers, expected):
    records = []
    for month, answer in enumerate(answers, start=1):
        extra = {} if answer is None else {"referred_to_assistance": answer}
        records.append(record(f"2025-0{month}-01", **extra))
    assert reconcile(records, record_key=7).referred_to_assistance is expected


def test_a_person_has_at_least_one_record():
    with pytest.raises(ValueError):
        reconcile([], record_key=7)


def test_record_keys_are_stable_per_person_and_depend_on_the_secret():
    first = record_key_for("p-1", b"secret")
    assert first == record_key_for("p-1", b"secret")
    assert first != record_key_for("p-2", b"secret")
    assert first != record_key_for("p-1", b"another secret")
    assert 0 <= first < 2**32


def test_a_schema_status_without_a_rank_is_a_configuration_fault(record_schema, registry_schema):
    # GIVEN a schema that gained a status the reconciliation rule does not rank
    schema = copy.deepcopy(record_schema)
    schema["$defs"]["status"]["enum"].append("under_review")
    with pytest.raises(InvalidConfiguration):
        DimensionCatalog.from_schemas(schema, registry_schema)


def test_vocabularies_are_read_from_the_schemas(catalog, record_schema, registry_schema):
    assert catalog["forms_of_exploitation"].vocabulary.values[:-1] == tuple(
        record_schema["$defs"]["form_of_exploitation"]["enum"]
    )
    assert set(registry_schema["$defs"]["institution_type"]["enum"]) < set(
        catalog["institution_type"].vocabulary.values
    )
    assert catalog["sex"].vocabulary.values == tuple(record_schema["$defs"]["sex"]["enum"])


def test_every_conflict_the_rule_can_report_is_a_value_of_the_conflicts_dimension(catalog):
    # GIVEN two records that disagree on everything the rule compares
    facts = reconcile([record("2025-03-01", sex="female", trafficking_scope="internal", age_at_identification=16,
                              status="identified"),
                       record("2025-04-01", sex="male", trafficking_scope="transnational", age_at_identification=30,
                              status="not_confirmed")], record_key=1)

    # THEN every conflict is named, and each name is one the coordinator can query
    assert facts.conflicts == {"sex", "trafficking_scope", "age", "status"}
    assert facts.conflicts <= set(catalog["reconciliation_conflict"].vocabulary.values)
