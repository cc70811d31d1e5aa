"""Fixtures of the storage tests: the emulator's DynamoDB client and the linkage table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def dynamodb(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("dynamodb")


@pytest.fixture
def linkage_table(aws: Any) -> str:
    return aws.environment["IVDB_LINKAGE_TABLE"]
