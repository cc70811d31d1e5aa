"""schemas/access-policy.json says exactly what DESIGN.md's table "Who sees what" says."""

import itertools
import json
import shutil
from pathlib import Path

import pytest

from chalicelib.domain.errors import InvalidConfiguration
from chalicelib.domain.policy import load_access_policy

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"

YES, NO, CONSENT, REVIEW, AGGREGATES = "yes", "no", "with consent", "during a review", "aggregates only"
INSTITUTION_TYPES = ("police", "prosecution", "social_welfare", "ngo", "coordinator", "reviewer", "auditor")
WHO_SEES_WHAT = {
    #              police prosecution social_welfare ngo  coordinator reviewer auditor
    "identity":    (YES,  YES,        CONSENT,       NO,  NO,         REVIEW,  NO),
    "case":        (YES,  YES,        NO,            NO,  NO,         NO,      NO),
    "assistance":  (NO,   YES,        YES,           CONSENT, NO,     NO,      NO),
    "statistical": (YES,  YES,        YES,           YES, AGGREGATES, NO,      NO),
}  # fmt: skip
CONSENT_FLAG = {"identity": "share_identity", "assistance": "share_assistance"}

CELLS = [
    (section, institution_type, row[column])
    for section, row in WHO_SEES_WHAT.items()
    for column, institution_type in enumerate(INSTITUTION_TYPES)
]
CONSENTS = [
    {"share_identity": share_identity, "share_assistance": share_assistance}
    for share_identity, share_assistance in itertools.product([False, True], repeat=2)
]


def _expected_to_read(section, cell, consent, in_review):
    if cell == YES:
        return True
    if cell == CONSENT:
        return consent[CONSENT_FLAG[section]]
    if cell == REVIEW:
        return in_review
    return False


def test_the_policy_covers_the_sections_and_types_of_the_table(access_policy):
    assert set(access_policy.section_names) == set(WHO_SEES_WHAT)
    assert set(access_policy.institution_types) == set(INSTITUTION_TYPES)


@pytest.mark.parametrize(("section", "institution_type", "cell"), CELLS, ids=lambda value: str(value))
@pytest.mark.parametrize("consent", CONSENTS, ids=lambda consent: "-".join(k for k, v in consent.items() if v) or "none")
@pytest.mark.parametrize("in_review", [False, True], ids=["no-review", "in-review"])
def test_each_cell_of_the_table(access_policy, section, institution_type, cell, consent, in_review):
    readable = access_policy.readable_sections(institution_type, is_submitter=False, consent=consent, in_review=in_review)

    assert (section in readable) == _expected_to_read(section, cell, consent, in_review)


@pytest.mark.parametrize("institution_type", INSTITUTION_TYPES)
def test_the_submitter_reads_every_section_of_its_own_records(access_policy, institution_type):
    readable = access_policy.readable_sections(
        institution_type, is_submitter=True, consent=CONSENTS[0], in_review=False
    )

    assert readable == set(WHO_SEES_WHAT)


def test_the_coordinator_reads_no_record_and_gets_no_key(access_policy):
    everything = {"share_identity": True, "share_assistance": True}

    assert access_policy.readable_sections("coordinator", is_submitter=False, consent=everything, in_review=True) == set()
    assert "type:coordinator" not in access_policy.all_reader_keys()
    assert access_policy.may_query_statistics("coordinator")


@pytest.mark.parametrize("flag_value", [None, "true", 1, "yes"])
def test_only_an_explicit_true_is_consent(access_policy, flag_value):
    consent = {"share_identity": flag_value, "share_assistance": flag_value}

    assert access_policy.readable_sections("social_welfare", is_submitter=False, consent=consent, in_review=False) == {
        "assistance",
        "statistical",
    }
    assert "type:social_welfare" not in access_policy.encryption_readers("identity", consent)


def test_missing_consent_flags_mean_no_consent(access_policy):
    assert "identity" not in access_policy.readable_sections(
        "social_welfare", is_submitter=False, consent={}, in_review=False
    )


@pytest.mark.parametrize(
    ("section", "consent", "readers"),
    [
        ("identity", CONSENTS[0], {"type:police", "type:prosecution", "type:reviewer", "service:linkage"}),
        (
            "identity",
            {"share_identity": True, "share_assistance": False},
            {"type:police", "type:prosecution", "type:social_welfare", "type:reviewer", "service:linkage"},
        ),
        ("case", CONSENTS[3], {"type:police", "type:prosecution"}),
        ("assistance", CONSENTS[0], {"type:prosecution", "type:social_welfare"}),
        (
            "assistance",
            {"share_identity": False, "share_assistance": True},
            {"type:prosecution", "type:social_welfare", "type:ngo"},
        ),
        (
            "statistical",
            CONSENTS[0],
            {"type:police", "type:prosecution", "type:social_welfare", "type:ngo", "service:statistics",
             "service:linkage"},
        ),
    ],
)
def test_encryption_readers(access_policy, section, consent, readers):
    assert access_policy.encryption_readers(section, consent) == readers


def test_the_submitter_is_always_a_recipient(access_policy):
    for section in access_policy.section_names:
        assert access_policy.recipients(section, CONSENTS[0], "csw-prizren") == (
            access_policy.encryption_readers(section, CONSENTS[0]) | {"institution:csw-prizren"}
        )


@pytest.mark.parametrize("consent", CONSENTS)
@pytest.mark.parametrize("in_review", [False, True])
def test_whoever_may_read_a_section_holds_a_key_to_it(access_policy, consent, in_review):
    # A read the policy allows must never fail for want of a key.
    for institution_type, section in itertools.product(INSTITUTION_TYPES, access_policy.section_names):
        readable = access_policy.readable_sections(institution_type, is_submitter=False, consent=consent, in_review=in_review)
        if section in readable:
            assert f"type:{institution_type}" in access_policy.encryption_readers(section, consent)


@pytest.mark.parametrize("consent", CONSENTS)
def test_no_type_holds_a_key_it_could_never_use(access_policy, consent):
    # A key given to a type that may not read the section would defeat field-level encryption.
    for section in access_policy.section_names:
        for reader in access_policy.encryption_readers(section, consent):
            kind, name = reader.split(":", 1)
            if kind == "type":
                readable = access_policy.readable_sections(name, is_submitter=False, consent=consent, in_review=True)
                assert section in readable, (section, reader)


def test_the_service_readers(access_policy):
    assert access_policy.possible_readers("identity") >= {"service:linkage"}
    assert "service:statistics" in access_policy.possible_readers("statistical")
    assert not any(reader.startswith("service:") for reader in access_policy.possible_readers("case"))
    assert not any(reader.startswith("service:") for reader in access_policy.possible_readers("assistance"))


def test_every_reader_key_infrastructure_must_create(access_policy):
    assert access_policy.all_reader_keys() == {
        "type:police",
        "type:prosecution",
        "type:social_welfare",
        "type:ngo",
        "type:reviewer",
        "service:linkage",
        "service:statistics",
    }


@pytest.mark.parametrize(
    ("institution_type", "record_routes", "statistics", "audit", "reviews"),
    [
        ("police", True, False, False, False),
        ("prosecution", True, False, False, False),
        ("social_welfare", True, False, False, False),
        ("ngo", True, False, False, False),
        ("coordinator", False, True, False, False),
        ("reviewer", False, False, False, True),
        ("auditor", False, False, True, False),
    ],
)
def test_what_each_type_may_call(access_policy, institution_type, record_routes, statistics, audit, reviews):
    assert access_policy.may_use_record_routes(institution_type) is record_routes
    assert access_policy.may_query_statistics(institution_type) is statistics
    assert access_policy.may_read_audit(institution_type) is audit
    assert access_policy.may_decide_reviews(institution_type) is reviews


def test_an_unknown_institution_type_is_refused_everything(access_policy):
    everything = {"share_identity": True, "share_assistance": True}

    assert access_policy.readable_sections("Police", is_submitter=False, consent=everything, in_review=True) == set()
    assert not access_policy.may_use_record_routes("admin")
    assert not access_policy.may_query_statistics("admin")
    assert not access_policy.may_read_audit("admin")
    assert not access_policy.may_decide_reviews("admin")


def test_an_unknown_section_is_a_programming_error(access_policy):
    with pytest.raises(ValueError):
        access_policy.encryption_readers("identities", CONSENTS[0])


@pytest.fixture
def policy_copy(tmp_path):
    """A writable copy of the policy beside the schemas it is checked against."""
    for name in ("access-policy.json", "access-policy.schema.json", "institution-registry.schema.json"):
        shutil.copy(SCHEMAS / name, tmp_path / name)
    path = tmp_path / "access-policy.json"
    with path.open(encoding="utf-8") as policy_file:
        return path, json.load(policy_file)


def _write(path, policy):
    path.write_text(json.dumps(policy), encoding="utf-8")


def test_a_policy_that_leaves_a_type_out_is_refused(policy_copy):
    path, policy = policy_copy
    del policy["sections"]["case"]["institution_types"]["ngo"]
    _write(path, policy)

    with pytest.raises(InvalidConfiguration) as raised:
        load_access_policy(path)

    assert [problem.path for problem in raised.value.problems] == ["/sections/case/institution_types/ngo"]


def test_a_policy_naming_an_unknown_type_or_access_is_refused(policy_copy):
    path, policy = policy_copy
    policy["sections"]["case"]["institution_types"]["journalist"] = "always"
    policy["sections"]["case"]["institution_types"]["ngo"] = "sometimes"
    _write(path, policy)

    with pytest.raises(InvalidConfiguration) as raised:
        load_access_policy(path)

    assert {problem.path for problem in raised.value.problems} >= {"/sections/case/institution_types/ngo"}
    assert len(raised.value.problems) >= 2


def test_a_policy_granting_reads_to_a_type_without_record_routes_is_refused(policy_copy):
    path, policy = policy_copy
    policy["sections"]["case"]["institution_types"]["auditor"] = "always"
    _write(path, policy)

    with pytest.raises(InvalidConfiguration) as raised:
        load_access_policy(path)

    assert [problem.path for problem in raised.value.problems] == ["/sections/case/institution_types/auditor"]


def test_a_policy_with_an_unknown_consent_flag_is_refused(policy_copy):
    path, policy = policy_copy
    policy["sections"]["case"]["institution_types"]["ngo"] = {"with_consent": "share_everything"}
    _write(path, policy)

    with pytest.raises(InvalidConfiguration):
        load_access_policy(path)
