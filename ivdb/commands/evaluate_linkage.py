"""``ivdb evaluate-linkage --records N --seed S``: measured, not guessed.

Generates labelled synthetic records, links them with the engine (keyed encodings only,
a random key per run) and, on the same records with names in clear, with a Splink
(DuckDB) model as a baseline; prints pairwise precision, recall and F1 of both side by
side, with the engine's review queue. Prints only aggregate figures, never a record.

``--input LABELLED.jsonl`` measures the same on records someone has labelled instead:
record documents as ``ivdb link`` reads them, each naming its true person in
``true_person`` (or the field ``--label`` names); an id may appear once only.

``--auto-link SCORE`` evaluates another auto-link threshold than the engine's, to show
what precision a lower one would cost and what recall it would buy.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Sequence

from chalicelib.domain.linkage import DecisionConflict, ReviewDecision, Thresholds, in_memory_linker
from chalicelib.domain.linkage.normalise import birth_date, fold
from ivdb.commands.link import UNREADABLE_INPUT, UnreadableRecord, read_records, unreadable_input
from ivdb.evaluation.metrics import PairwiseScores, pairwise_scores
from ivdb.evaluation.synthetic import generate

SPLINK_MATCH_PROBABILITY = 0.99
LABEL_WIDTH = 40
DEFAULT_LABEL = "true_person"
NOT_EVALUATED = 2


@dataclass(frozen=True)
class EngineResult:
    scores: PairwiseScores
    reviews: int
    seconds: float
    candidates_per_record: float
    reviewed_scores: PairwiseScores


def run_engine(records: list[dict], thresholds: Thresholds = Thresholds()) -> EngineResult:
    """Link the records with the engine, reconsider the queue once as the nightly run
    does; then let a reviewer who knows the truth decide.

    ``scores`` are for automatic links alone; ``reviewed_scores`` after every queued
    review has been decided correctly, i.e. what the review queue can recover.
    """
    linker = in_memory_linker(os.urandom(32), thresholds)
    truth = {r["id"]: r["true_person"] for r in records}
    started, compared = time.perf_counter(), 0
    for record in records:
        compared += linker.link(record["id"], record.get("identity"), record.get("statistical")).candidates
    linker.reconsider_reviews()
    seconds = time.perf_counter() - started

    def persons() -> dict[str, str]:
        return {r["id"]: linker.store.resolve(linker.store.person_of(r["id"]) or "") for r in records}

    automatic = pairwise_scores(truth, persons())
    reviews = linker.pending_reviews()
    for review in reviews:
        same = truth[review.record_id] == truth[review.other_id]
        try:
            linker.decide(review.review_id, ReviewDecision.MATCH if same else ReviewDecision.NO_MATCH)
        except DecisionConflict:
            linker.decide(review.review_id, ReviewDecision.NO_MATCH)
    return EngineResult(
        automatic, len(reviews), seconds, compared / max(len(records), 1), pairwise_scores(truth, persons())
    )


def _cleartext_row(record: dict) -> dict:
    """What a cleartext linkage would see: transliterated, case- and accent-folded."""
    identity, statistical = record.get("identity") or {}, record.get("statistical") or {}
    birth = birth_date(identity, statistical)
    full = birth is not None and birth.is_full

    def text(name: str) -> str | None:
        value = identity.get(name)
        return fold(value) or None if isinstance(value, str) else None

    return {
        "unique_id": record["id"],
        "given_name": text("given_name"),
        "family_name": text("family_name"),
        "father_name": text("father_name"),
        "place_of_birth": text("place_of_birth"),
        "date_of_birth": f"{birth.first_year:04d}-{birth.month:02d}-{birth.day:02d}" if full else None,
        "birth_year": birth.last_year if birth else None,
    }


def run_splink(records: list[dict]) -> tuple[PairwiseScores, float]:
    """A conventional Splink model on the same records in clear, trained unsupervised."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    db_api = DuckDBAPI()
    table = db_api.register([_cleartext_row(record) for record in records])
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ForenameSurnameComparison("given_name", "family_name"),
            cl.JaroWinklerAtThresholds("father_name"),
            cl.ExactMatch("date_of_birth"),
            cl.ExactMatch("birth_year"),
            cl.JaroWinklerAtThresholds("place_of_birth"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("family_name", "birth_year"),
            block_on("given_name", "father_name"),
            block_on("given_name", "date_of_birth"),
            block_on("given_name", "family_name"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(table, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "birth_year")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("family_name", "birth_year"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "father_name"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, SPLINK_MATCH_PROBABILITY)
    predicted = {row["unique_id"]: row["cluster_id"] for row in clusters.as_record_list()}
    truth = {r["id"]: r["true_person"] for r in records}
    return pairwise_scores(truth, predicted), time.perf_counter() - started


def _row(label: str, scores: PairwiseScores, extra: str) -> str:
    return f"{label:<{LABEL_WIDTH}} {scores.precision:>9.4f} {scores.recall:>8.4f} {scores.f1:>8.4f}  {extra}"


def read_labelled(path: str, label: str = DEFAULT_LABEL) -> list[dict]:
    """Labelled record documents, as the generator's: ``id``, ``true_person``, sections."""
    records: list[dict] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as lines:
        for line in read_records(lines, label):
            if line.key in seen:
                raise UnreadableRecord(f"line {line.number}: the id of an earlier line again")
            seen.add(line.key)
            records.append({"id": line.key, "true_person": str(line.record[label]),
                            "identity": line.record.get("identity"), "statistical": line.record.get("statistical")})
    if not records:
        raise UnreadableRecord(f"{path} holds no record")
    return records


def run(args: argparse.Namespace) -> int:
    if args.input is None:
        records, kind, origin = list(generate(args.records, args.seed)), "synthetic", f"seed {args.seed}"
    else:
        try:
            records, kind, origin = read_labelled(args.input, args.label), "labelled", args.input
        except UNREADABLE_INPUT as error:
            print(f"ivdb evaluate-linkage: {unreadable_input(error, args.input)}", file=sys.stderr)
            return NOT_EVALUATED
    persons = len({r["true_person"] for r in records})
    print(f"{len(records)} {kind} records of {persons} persons ({origin})")
    print(f"{'':<{LABEL_WIDTH}} {'precision':>9} {'recall':>8} {'F1':>8}")
    engine = run_engine(records, Thresholds(auto_link=args.auto_link))
    print(_row(
        f"engine, keyed encodings (auto-link {args.auto_link:g})", engine.scores,
        f"review queue {engine.reviews}, {engine.candidates_per_record:.1f} candidates/record, "
        f"{len(records) / engine.seconds:.0f} records/s",
    ))
    print(_row("engine, after the review queue", engine.reviewed_scores, f"{engine.reviews} decisions by a reviewer"))
    if args.skip_baseline:
        return 0
    try:
        baseline, seconds = run_splink(records)
    except ImportError:
        print("Splink baseline skipped: install the 'splink' package to run it", file=sys.stderr)
        return 0
    print(_row(f"Splink, names in clear (p>={SPLINK_MATCH_PROBABILITY})", baseline, f"{seconds:.1f} s"))
    return 0


def _auto_link_threshold(text: str) -> float:
    """An auto-link threshold the engine can run with: a number no lower than the review threshold."""
    try:
        score = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number") from None
    if not math.isfinite(score) or score < Thresholds.review:
        raise argparse.ArgumentTypeError(f"must be a finite number no lower than the review threshold, {Thresholds.review:g}")
    return score


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--records", type=int, default=5000, help="number of records to generate")
    source.add_argument("--input", metavar="LABELLED.jsonl", help="labelled record documents to measure on instead")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generator")
    parser.add_argument("--label", default=DEFAULT_LABEL, metavar="FIELD",
                        help=f"with --input, the field naming each record's true person (default: {DEFAULT_LABEL})")
    parser.add_argument("--auto-link", type=_auto_link_threshold, default=Thresholds.auto_link, metavar="SCORE",
                        help=f"auto-link threshold to evaluate, in log2 likelihood ratio, at {Thresholds.reference_records:,} "
                             f"records; it moves with the database's size (the engine's: {Thresholds.auto_link:g})")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the Splink baseline")
    parser.set_defaults(func=run)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("evaluate-linkage", help="measure linkage accuracy on labelled records, generated or given")
    _add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run as ``ivdb evaluate-linkage`` would, with the arguments after the sub-command."""
    parser = argparse.ArgumentParser(prog="ivdb evaluate-linkage")
    _add_arguments(parser)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
