"""Fixtures for the statistics domain: the real schemas' vocabularies and an empty projection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.domain.statistics import DimensionCatalog, InMemoryCellStore, StatisticsProjection

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


@pytest.fixture(scope="session")
def record_schema() -> dict:
    return json.loads((SCHEMAS / "identification-record.schema.json").read_text())


@pytest.fixture(scope="session")
def registry_schema() -> dict:
    return json.loads((SCHEMAS / "institution-registry.schema.json").read_text())


@pytest.fixture(scope="session")
def catalog(record_schema: dict, registry_schema: dict) -> DimensionCatalog:
    return DimensionCatalog.from_schemas(record_schema, registry_schema)


@pytest.fixture
def projection(catalog: DimensionCatalog) -> StatisticsProjection:
    return StatisticsProjection(InMemoryCellStore(), catalog)
