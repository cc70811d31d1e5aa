"""The projection: counts of persons moved by deltas, equal to a rebuild after any history."""

from __future__ import annotations

import random
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.statistics import (
    FactsDelta,
    InMemoryCellStore,
    RecordContribution,
    StatisticsProjection,
    reconcile,
)
from chalicelib.domain.statistics.projection import month_of
from statistics_builders import person, random_person


def persons_by(projection: StatisticsProjection, *dimensions: str) -> dict[tuple[str, ...], int]:
    """Exact counts of one cube summed over months: what the store holds, before any disclosure control."""
    counts: dict[tuple[str, ...], int] = {}
    for cell in projection.read(projection.cube_for(dimensions), None, None):
        counts[cell.coordinates] = counts.get(cell.coordinates, 0) + cell.persons
    return counts


def test_one_person_with_three_records_counts_once(projection):
    # GIVEN three records of one person from three institutions
    records = [
        RecordContribution(
            {"sex": "female", "identification_date": day, "forms_of_exploitation": ["sexual"]},
            institution_type,
            "identified",
            datetime(2025, 6, 1, tzinfo=timezone.utc),
        )
        for day, institution_type in (("2025-03-01", "police"), ("2025-04-01", "ngo"), ("2025-05-01", "social_welfare"))
    ]
    # WHEN the person's reconciled facts are added
    projection.apply(FactsDelta(add=[reconcile(records, record_key=99)]))
    # THEN every cube counts one person
    assert persons_by(projection) == {(): 1}
    assert persons_by(projection, "institution_type") == {("police",): 1}


def test_a_person_counts_once_per_value_of_a_multi_valued_dimension(projection):
    projection.apply(
        FactsDelta(
            add=[
                person(forms_of_exploitation=frozenset({"sexual", "begging"}), citizenship=frozenset({"XK", "AL"})),
                person(forms_of_exploitation=frozenset({"sexual"}), citizenship=frozenset()),
            ]
        )
    )
    assert persons_by(projection) == {(): 2}
    assert persons_by(projection, "forms_of_exploitation") == {("sexual",): 2, ("begging",): 1}
    assert persons_by(projection, "citizenship") == {("AL",): 1, ("XK",): 1, ("unknown",): 1}
    assert persons_by(projection, "citizenship", "forms_of_exploitation") == {
        ("AL", "begging"): 1,
        ("AL", "sexual"): 1,
        ("XK", "begging"): 1,
        ("XK", "sexual"): 1,
        ("unknown", "sexual"): 1,
    }


def test_an_update_moves_the_person_from_one_cell_to_another(projection):
    before = person(status="presumed")
    projection.apply(FactsDelta(add=[before]))
    projection.apply(FactsDelta(retract=[before], add=[person(status="identified")]))
    assert persons_by(projection, "status") == {("identified",): 1}
    assert persons_by(projection) == {(): 1}


def test_an_update_touches_only_the_cells_that_change(projection):
    delta = FactsDelta(retract=[person(status="presumed")], add=[person(status="identified")])
    changed_cubes = {increment.cube for increment in projection.increments(delta)}
    assert changed_cubes and all("status" in cube for cube in changed_cubes)


def test_a_merge_counts_two_persons_as_one(projection):
    # GIVEN two persons the linkage later finds to be one
    first = person(record_key=11, forms_of_exploitation=frozenset({"sexual"}))
    second = person(record_key=22, forms_of_exploitation=frozenset({"labour"}), first_identification=date(2025, 5, 1))
    projection.apply(FactsDelta(add=[first, second]))
    assert persons_by(projection) == {(): 2}
    # WHEN the merge retracts both and adds the merged person
    merged = person(record_key=11, forms_of_exploitation=frozenset({"sexual", "labour"}))
    projection.apply(FactsDelta(retract=[first, second], add=[merged]))
    # THEN one person remains, with both forms
    assert persons_by(projection) == {(): 1}
    assert persons_by(projection, "forms_of_exploitation") == {("sexual",): 1, ("labour",): 1}
    assert projection.store.snapshot() == rebuilt([merged], projection).snapshot()


def test_a_split_counts_one_person_as_two(projection):
    merged = person(record_key=11, forms_of_exploitation=frozenset({"sexual", "labour"}))
    projection.apply(FactsDelta(add=[merged]))
    parts = [
        person(record_key=11, forms_of_exploitation=frozenset({"sexual"})),
        person(record_key=33, sex="male", forms_of_exploitation=frozenset({"labour"})),
    ]
    projection.apply(FactsDelta(retract=[merged], add=parts))
    assert persons_by(projection) == {(): 2}
    assert persons_by(projection, "sex", "forms_of_exploitation") == {("female", "sexual"): 1, ("male", "labour"): 1}


def test_adding_then_retracting_leaves_no_cell(projection):
    facts = person(conflicts=frozenset({"sex"}))
    projection.apply(FactsDelta(add=[facts]))
    assert persons_by(projection, "reconciliation_conflict") == {("sex",): 1}
    projection.apply(FactsDelta(retract=[facts]))
    assert projection.store.snapshot() == {}
    assert persons_by(projection, "reconciliation_conflict") == {}


def test_retracting_facts_never_added_is_refused(projection):
    with pytest.raises(ValueError):
        projection.apply(FactsDelta(retract=[person()]))


def test_cells_hold_months_and_key_sums(projection):
    projection.apply(
        FactsDelta(add=[person(record_key=5), person(record_key=7, first_identification=date(2025, 3, 31))])
    )
    (cell,) = projection.read((), None, None)
    assert (cell.month, cell.persons, cell.key_sum) == (month_of(date(2025, 3, 1)), 2, 12)


def test_no_cube_has_more_than_cube_size_dimensions(projection):
    assert max(len(cube) for cube in projection.cubes) == projection.cube_size
    with pytest.raises(ValueError):
        projection.cube_for(["sex", "age_band", "status", "municipality", "citizenship"])


def rebuilt(persons, projection: StatisticsProjection) -> InMemoryCellStore:
    store = InMemoryCellStore()
    StatisticsProjection(store, projection.catalog, projection.cube_size).rebuild(persons)
    return store


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    steps=st.lists(st.sampled_from(["add", "update", "retract", "merge", "split"]), max_size=25),
)
def test_any_history_of_deltas_equals_a_rebuild(catalog, seed, steps):
    # GIVEN a random history of submits, updates, withdrawals, merges and splits
    generator = random.Random(seed)
    projection = StatisticsProjection(InMemoryCellStore(), catalog, cube_size=2)
    current: dict[int, object] = {}
    next_id = 0
    for step in steps:
        if step == "add" or not current:
            current[next_id] = random_person(generator)
            projection.apply(FactsDelta(add=[current[next_id]]))
            next_id += 1
        elif step == "update":
            key = generator.choice(sorted(current))
            new = random_person(generator)
            projection.apply(FactsDelta(retract=[current[key]], add=[new]))
            current[key] = new
        elif step == "retract":
            key = generator.choice(sorted(current))
            projection.apply(FactsDelta(retract=[current.pop(key)]))
        elif step == "merge" and len(current) >= 2:
            first, second = generator.sample(sorted(current), 2)
            merged = random_person(generator)
            projection.apply(FactsDelta(retract=[current.pop(first), current.pop(second)], add=[merged]))
            current[first] = merged
        elif step == "split":
            key = generator.choice(sorted(current))
            parts = [random_person(generator), random_person(generator)]
            projection.apply(FactsDelta(retract=[current.pop(key)], add=parts))
            current[key], current[next_id] = parts
            next_id += 1
    # THEN the cells are those of a rebuild from the persons that remain
    assert projection.store.snapshot() == rebuilt(current.values(), projection).snapshot()
