"""Statistics of persons: reconciliation, the projection, queries and disclosure control.

Pure domain code: the event handler turns record changes into ``FactsDelta`` values, the
adapter layer implements ``CellStore`` on DynamoDB, and the API calls ``query``.
"""

from chalicelib.domain.statistics.dimensions import DimensionCatalog
from chalicelib.domain.statistics.disclosure import DEFAULT_PERTURBATION, DEFAULT_THRESHOLD, PerturbationTable
from chalicelib.domain.statistics.projection import (
    CellIncrement,
    CellStore,
    Cube,
    FactsDelta,
    InMemoryCellStore,
    Month,
    StatisticsProjection,
    StoredCell,
)
from chalicelib.domain.statistics.query import AnswerCell, StatisticsAnswer, query, query_problems, render_csv
from chalicelib.domain.statistics.reconciliation import PersonFacts, RecordContribution, reconcile, record_key_for

__all__ = [
    "DEFAULT_PERTURBATION",
    "DEFAULT_THRESHOLD",
    "AnswerCell",
    "CellIncrement",
    "CellStore",
    "Cube",
    "DimensionCatalog",
    "FactsDelta",
    "InMemoryCellStore",
    "Month",
    "PerturbationTable",
    "PersonFacts",
    "RecordContribution",
    "StatisticsAnswer",
    "StatisticsProjection",
    "StoredCell",
    "query",
    "query_problems",
    "reconcile",
    "record_key_for",
    "render_csv",
]
