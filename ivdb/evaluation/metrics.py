"""Pairwise accuracy of a clustering against the true persons.

A pair of records is a true link when both belong to one true person. Precision is the
share of predicted pairs that are true, recall the share of true pairs predicted: a
wrong merge costs precision (a victim hidden behind another), a missed link costs
recall (a victim counted twice).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Hashable, Mapping


def _pairs(size: int) -> int:
    return size * (size - 1) // 2


@dataclass(frozen=True)
class PairwiseScores:
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def pairwise_scores(truth: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> PairwiseScores:
    """Compare two record→cluster assignments over the records both know."""
    shared = [record for record in truth if record in predicted]
    true_sizes = Counter(truth[record] for record in shared)
    predicted_sizes = Counter(predicted[record] for record in shared)
    both_sizes = Counter((truth[record], predicted[record]) for record in shared)
    return PairwiseScores(
        true_pairs=sum(map(_pairs, true_sizes.values())),
        predicted_pairs=sum(map(_pairs, predicted_sizes.values())),
        correct_pairs=sum(map(_pairs, both_sizes.values())),
    )
