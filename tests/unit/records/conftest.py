from datetime import date
from pathlib import Path

import pytest

from chalicelib.domain.policy import AccessPolicy, load_access_policy
from chalicelib.domain.record import RecordSchema, load_record_schema

REPOSITORY = Path(__file__).resolve().parents[3]
SCHEMAS = REPOSITORY / "schemas"


@pytest.fixture(scope="session")
def record_schema() -> RecordSchema:
    return load_record_schema(SCHEMAS / "identification-record.schema.json")


@pytest.fixture(scope="session")
def access_policy() -> AccessPolicy:
    return load_access_policy(SCHEMAS / "access-policy.json")


@pytest.fixture
def today() -> date:
    """The day the date rules are checked against, so that tests do not age."""
    return date(2025, 6, 15)


@pytest.fixture
def minimal_record() -> dict:
    return {
        "source_reference": "KP-2025-00017",
        "status": "presumed",
        "consent": {"share_identity": False, "share_assistance": False},
        "statistical": {"sex": "female", "identification_date": "2025-03-01", "forms_of_exploitation": ["sexual"]},
    }
