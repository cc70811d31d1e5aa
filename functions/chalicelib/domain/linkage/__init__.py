"""Pseudonymous linkage: records about one person under one random person id.

Identity data enters only :class:`Encoder` (normalised, then keyed); everything stored or
compared afterwards is a keyed encoding. :class:`Linker` is the facade.
"""

from chalicelib.domain.linkage.clustering import (
    DecisionConflict,
    DecisionOutcome,
    LinkageError,
    LinkChange,
    LinkOutcome,
    Linker,
    PersonChanges,
    ReviewNotFound,
    in_memory_linker,
)
from chalicelib.domain.linkage.encoding import BloomFilter, EncodedRecord, Encoder, RecordEncoding
from chalicelib.domain.linkage.scoring import (
    Comparison,
    Decision,
    FellegiSunter,
    Level,
    Frequencies,
    Thresholds,
)
from chalicelib.domain.linkage.store import (
    InMemoryLinkageStore,
    Link,
    LinkageStore,
    LinkSource,
    ReviewDecision,
    ReviewPair,
    StoredRecord,
)

__all__ = [
    "BloomFilter", "Comparison", "Decision", "DecisionConflict", "DecisionOutcome",
    "EncodedRecord", "Encoder", "FellegiSunter", "InMemoryLinkageStore", "Level", "Link",
    "LinkChange", "LinkOutcome", "LinkSource", "LinkageError", "LinkageStore", "Linker",
    "Frequencies", "PersonChanges", "RecordEncoding", "ReviewDecision", "ReviewNotFound", "ReviewPair",
    "StoredRecord", "Thresholds", "in_memory_linker",
]
