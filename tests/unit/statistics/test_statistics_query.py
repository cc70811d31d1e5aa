"""Queries: parameter validation, answer shape, suppression and CSV."""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from itertools import product

import numpy as np
import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.statistics import FactsDelta, query, render_csv
from chalicelib.domain.statistics.disclosure import DEFAULT_PERTURBATION, publish_count, secondary_suppression
from statistics_builders import person, random_person


def populate(projection, persons):
    projection.apply(FactsDelta(add=list(persons)))


def test_every_problem_is_listed_at_once(projection):
    with pytest.raises(InvalidInput) as raised:
        query(
            projection,
            group_by=["sex", "shoe_size", "sex"],
            filters={"colour": ["red"], "sex": ["femme"], "forms_of_exploitation": ["sexual", "labour"]},
            date_from="2025-13-01",
            date_to="2025-02-30",
        )
    problems = {(problem.path, problem.message) for problem in raised.value.problems}
    assert problems == {
        ("/group_by/1", "unknown dimension"),
        ("/group_by/2", "dimension named twice"),
        ("/filters", "filter 1 names an unknown dimension"),
        ("/filters/sex/0", "unknown value"),
        ("/filters/forms_of_exploitation", "a multi-valued dimension is filtered by one value"),
        ("/from", "is not a date (YYYY-MM-DD or YYYY-MM)"),
        ("/to", "is not a date (YYYY-MM-DD or YYYY-MM)"),
    }


def test_an_inverted_or_partial_month_range_is_refused(projection):
    with pytest.raises(InvalidInput) as raised:
        query(projection, group_by=[], date_from="2025-07-01", date_to="2025-06-30")
    assert [(p.path, p.message) for p in raised.value.problems] == [("/to", "is before from")]
    with pytest.raises(InvalidInput) as raised:
        query(projection, group_by=[], date_from="2025-07-02", date_to="2025-07-30")
    assert {p.path for p in raised.value.problems} == {"/from", "/to"}


def test_too_many_dimensions_are_refused(projection):
    with pytest.raises(InvalidInput) as raised:
        query(
            projection,
            group_by=["sex", "age_group", "status", "municipality"],
            filters={"citizenship": ["XK"], "year": ["2025"]},
        )
    assert {p.path for p in raised.value.problems} == {"/group_by", "/filters"}


def test_problems_never_repeat_a_submitted_value(projection):
    with pytest.raises(InvalidInput) as raised:
        query(
            projection,
            group_by=["Arbër"],
            filters={"Krasniqi": ["x"], "municipality": ["\x00Prizren"]},
            date_from="P1234567",
        )
    assert not any(
        secret in problem.path + problem.message
        for problem in raised.value.problems
        for secret in ("Arbër", "Krasniqi", "Prizren", "P1234567")
    )


def test_the_answer_counts_persons_with_its_threshold_and_multi_valued_dimensions(projection):
    populate(
        projection, [person(record_key=k, forms_of_exploitation=frozenset({"sexual", "begging"})) for k in range(40)]
    )
    answer = query(projection, group_by=["sex", "forms_of_exploitation"], date_from="2025-01-01", date_to="2025-12-31")
    shaped = answer.to_json()
    assert set(shaped) == {"total", "threshold", "cells", "multi_valued"}
    assert shaped["threshold"] == 5 and shaped["multi_valued"] == ["forms_of_exploitation"]
    assert abs(shaped["total"] - 40) <= DEFAULT_PERTURBATION.max_perturbation
    assert [(cell["sex"], cell["forms_of_exploitation"]) for cell in shaped["cells"]] == [
        ("female", "sexual"),
        ("female", "begging"),
    ]
    # the same persons give the same published count, whichever cell they form
    assert {cell["count"] for cell in shaped["cells"]} == {shaped["total"]}


def test_year_and_age_group_are_answered_from_month_and_age_band(projection):
    populate(
        projection,
        [
            person(record_key=k, age_at_identification=10 + k % 2 * 20, first_identification=date(2024 + k % 2, 5, 1))
            for k in range(40)
        ],
    )
    answer = query(projection, group_by=["year", "age_group"])
    assert [(cell.values, cell.count is not None) for cell in answer.cells] == [
        ((("year", 2024), ("age_group", "child")), True),
        ((("year", 2025), ("age_group", "adult")), True),
    ]
    only_children = query(projection, group_by=["age_band"], filters={"age_group": ["child"], "year": ["2024"]})
    assert [cell.values for cell in only_children.cells] == [(("age_band", "0-11"),)]


def test_filters_restrict_the_persons_counted(projection):
    populate(
        projection,
        [
            person(record_key=k, municipality=("Prizren", "Pejë")[k % 2], sex=("female", "male")[k % 4 // 2])
            for k in range(80)
        ],
    )
    answer = query(projection, group_by=["sex"], filters={"municipality": ["Prizren"]})
    assert [cell.values[0][1] for cell in answer.cells] == ["female", "male"]
    assert abs(answer.total - 40) <= DEFAULT_PERTURBATION.max_perturbation


def test_persons_whose_records_disagree_are_counted_per_attribute_among_all_persons(projection):
    # GIVEN 40 persons: 20 whose records disagree on sex, 10 of them also on age
    populate(projection, [person(record_key=k, conflicts=frozenset(("sex", "age")[: 1 + (k < 10)] if k < 20 else ()))
                          for k in range(40)])

    # WHEN the coordinator counts the conflicts of the year
    answer = query(projection, group_by=["reconciliation_conflict"], date_from="2025-01", date_to="2025-12")

    # THEN each attribute counts its persons (one person under each attribute it conflicts on), the total all persons
    counts = {cell.values[0][1]: cell.count for cell in answer.cells}
    assert set(counts) == {"sex", "age"}
    assert abs(counts["sex"] - 20) <= DEFAULT_PERTURBATION.max_perturbation
    assert abs(counts["age"] - 10) <= DEFAULT_PERTURBATION.max_perturbation
    assert abs(answer.total - 40) <= DEFAULT_PERTURBATION.max_perturbation
    assert answer.multi_valued == ("reconciliation_conflict",)


def test_conflicts_are_counted_alone_or_by_year(projection):
    populate(projection, [person(record_key=k, conflicts=frozenset({"status"})) for k in range(12)])

    by_year = query(projection, group_by=["reconciliation_conflict", "year"])
    assert [cell.values for cell in by_year.cells] == [(("reconciliation_conflict", "status"), ("year", 2025))]
    with pytest.raises(InvalidInput) as raised:
        query(projection, group_by=["reconciliation_conflict"], filters={"sex": ["female"]})
    assert [(p.path, p.message) for p in raised.value.problems] == [
        ("/group_by", "reconciliation_conflict is counted alone, or by year")]


def test_a_small_cell_is_suppressed_with_a_partner(projection):
    # GIVEN 30 women and 2 men
    populate(
        projection,
        [person(record_key=k) for k in range(30)] + [person(record_key=100 + k, sex="male") for k in range(2)],
    )
    answer = query(projection, group_by=["sex"])
    suppressed = [cell.values[0][1] for cell in answer.cells if cell.count is None]
    # THEN the men are suppressed, and so is a partner, or the total would give them away
    assert "male" in suppressed and len(suppressed) == 2
    assert all(cell.to_json().get("suppressed") is True for cell in answer.cells if cell.count is None)


def test_a_small_total_suppresses_everything(projection):
    populate(projection, [person(record_key=k) for k in range(3)])
    answer = query(projection, group_by=["sex"])
    assert answer.total is None
    assert all(cell.count is None for cell in answer.cells)


def test_repeating_a_query_gives_the_same_answer(projection):
    populate(projection, [random_person(random.Random(seed)) for seed in range(300)])
    first = query(projection, group_by=["sex", "municipality"], date_from="2025-01", date_to="2025-12")
    assert query(projection, group_by=["sex", "municipality"], date_from="2025-01-01", date_to="2025-12-31") == first


def determined_cells(rows: list[dict[tuple, int]], unknown: list[tuple]) -> list[tuple]:
    """Suppressed cells that a system of line sums pins down, by linear algebra.

    Each row maps cells to coefficients; a cell is determined when its unit vector lies in
    the row space of the coefficients of the unknown cells.
    """
    index = {cell: position for position, cell in enumerate(unknown)}
    matrix = np.array([[row.get(cell, 0) for cell in unknown] for row in rows], dtype=float)
    rank = np.linalg.matrix_rank(matrix) if len(rows) else 0
    pinned = []
    for cell in unknown:
        unit = np.zeros((1, len(unknown)))
        unit[0, index[cell]] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit]) if len(rows) else unit) == rank:
            pinned.append(cell)
    return pinned


def line_relations(universes: list[list[str]]) -> list[dict[tuple, int]]:
    """Every row, column and the total of a table: the sums an attacker may know exactly (worst case)."""
    relations = [{cell: 1 for cell in product(*universes)}]
    for axis in range(len(universes)):
        others = [universe for position, universe in enumerate(universes) if position != axis]
        for rest in product(*others):
            relations.append({rest[:axis] + (value,) + rest[axis:]: 1 for value in universes[axis]})
    return relations


@pytest.mark.parametrize("seed", range(25))
def test_no_suppressed_cell_is_recoverable_from_rows_columns_and_total(projection, seed):
    # GIVEN a small population where many cells of sex x age group x scope are small
    generator = random.Random(seed)
    populate(projection, [random_person(generator) for _ in range(generator.randint(20, 120))])
    answer = query(projection, group_by=["sex", "age_group", "trafficking_scope"])
    universes = [list(projection.catalog[name].vocabulary.values) for name in answer.group_by]
    suppressed = [tuple(value for _, value in cell.values) for cell in answer.cells if cell.count is None]
    # WHEN the attacker knows every line sum exactly (stronger than the answer gives)
    # THEN no suppressed cell is pinned down by the linear relations
    assert suppressed, "the population should be small enough to need suppression"
    assert determined_cells(line_relations(universes), suppressed) == []


def test_secondary_suppression_completes_a_rectangle_of_small_cells():
    # GIVEN a 2 x 3 table whose cell (a, x) is suppressed
    counts = {("a", "x"): 2, ("a", "y"): 9, ("a", "z"): 7, ("b", "x"): 12, ("b", "y"): 8, ("b", "z"): 30}
    hidden = secondary_suppression(counts, {("a", "x")}, [["a", "b"], ["x", "y", "z"]])
    # THEN the partners close a rectangle instead of cascading over the table
    assert hidden == {("a", "x"), ("a", "z"), ("b", "x"), ("b", "z")}


def test_zero_is_published_as_zero_and_small_counts_never():
    assert publish_count(0, 123, 5, DEFAULT_PERTURBATION) == 0
    assert all(
        publish_count(n, key, 5, DEFAULT_PERTURBATION) is None for n in range(1, 6) for key in range(0, 2**32, 2**28)
    )
    assert all(
        (publish_count(n, key, 5, DEFAULT_PERTURBATION) or 6) > 5
        for n in range(6, 12)
        for key in range(0, 2**32, 2**28)
    )


def test_csv_has_a_header_the_cells_and_the_total(projection):
    populate(
        projection,
        [person(record_key=k) for k in range(30)]
        + [person(record_key=100 + k, sex="male") for k in range(2)]
        + [person(record_key=200 + k, municipality="=cmd()") for k in range(10)],
    )
    answer = query(projection, group_by=["sex", "municipality"])
    rows = list(csv.reader(io.StringIO(render_csv(answer))))
    assert rows[0] == ["sex", "municipality", "count", "suppressed"]
    assert rows[-1][:2] == ["total", "total"] and rows[-1][2] == str(answer.total)
    assert len(rows) == len(answer.cells) + 2
    assert ["female", "'=cmd()"] in [row[:2] for row in rows]
    assert all(row[2] == "" and row[3] == "true" for row in rows[1:-1] if row[3] == "true")


def test_the_linear_check_finds_a_lone_suppressed_cell():
    universes = [["a", "b"], ["x", "y"]]
    assert determined_cells(line_relations(universes), [("a", "x")]) == [("a", "x")]
    assert determined_cells(line_relations(universes), [("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]) == []
