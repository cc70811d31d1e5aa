"""The attacker's tests: two queries whose naive difference isolates one person.

Each attack is run first against the exact counts in the projection, where it works, and
then through ``query``, where the cell key perturbation and suppression defeat it. Worlds
differ only by the persons' random record keys, which the attacker does not know.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.statistics import FactsDelta, InMemoryCellStore, StatisticsProjection, query
from chalicelib.domain.statistics.projection import month_of
from statistics_builders import person

WORLDS = 300


def world(catalog, seed: int, persons: list) -> StatisticsProjection:
    """The same persons with fresh random record keys."""
    generator = random.Random(seed)
    projection = StatisticsProjection(InMemoryCellStore(), catalog)
    projection.apply(FactsDelta(add=[replace(facts, record_key=generator.randrange(2**32)) for facts in persons]))
    return projection


def exact(
    projection: StatisticsProjection, dimensions: tuple[str, ...], coordinates: tuple[str, ...], first: date, last: date
) -> int:
    """What a naive statistics service would publish: the true count."""
    return sum(
        cell.persons
        for cell in projection.read(dimensions, month_of(first), month_of(last))
        if cell.coordinates == coordinates
    )


def count_of(answer, **values) -> int | None:
    wanted = tuple(values.items())
    return next((cell.count for cell in answer.cells if cell.values == wanted), 0)


def best_guess_accuracy(observations_one: list[int], observations_two: list[int]) -> float:
    """How often the best possible guess tells 'one person' from 'two persons' by the observed difference."""
    ones, twos = Counter(observations_one), Counter(observations_two)
    return sum(max(ones[d], twos[d]) for d in set(ones) | set(twos)) / (len(observations_one) + len(observations_two))


def girls_in_dragash(months: range, per_month: int) -> list:
    return [
        person(
            municipality="Dragash", sex="female", age_at_identification=15, first_identification=date(2025, month, 10)
        )
        for month in months
        for _ in range(per_month)
    ]


def test_a_range_one_day_shorter_is_refused(projection):
    # GIVEN the attacker's two queries, 1 January to 31 July and to 30 July
    query(projection, group_by=["sex"], date_from="2025-01-01", date_to="2025-07-31")
    # THEN the second is refused: the projection keeps months, so a day cannot be isolated
    with pytest.raises(InvalidInput):
        query(projection, group_by=["sex"], date_from="2025-01-01", date_to="2025-07-30")


def test_a_range_one_month_longer_does_not_reveal_the_person_identified_in_that_month(catalog):
    # GIVEN 12 girls identified in Dragash from January to June, and one more in July
    background = girls_in_dragash(range(1, 7), per_month=2)
    target = girls_in_dragash(range(7, 8), per_month=1)
    twins = girls_in_dragash(range(7, 8), per_month=2)
    differences_one, differences_two = [], []
    for seed in range(WORLDS):
        projection = world(catalog, seed, background + target)
        # naive counting: the difference is the July girl, exactly
        assert (
            exact(
                projection,
                ("sex", "age_band", "municipality"),
                ("female", "12-17", "Dragash"),
                date(2025, 1, 1),
                date(2025, 7, 1),
            )
            - exact(
                projection,
                ("sex", "age_band", "municipality"),
                ("female", "12-17", "Dragash"),
                date(2025, 1, 1),
                date(2025, 6, 1),
            )
        ) == 1
        # WHEN the attacker asks for January-June and January-July
        asked = dict(group_by=["sex", "age_group"], filters={"municipality": ["Dragash"]}, date_from="2025-01")
        until_june = query(projection, date_to="2025-06", **asked)
        until_july = query(projection, date_to="2025-07", **asked)
        differences_one.append(
            count_of(until_july, sex="female", age_group="child")
            - count_of(until_june, sex="female", age_group="child")
        )
        two = world(catalog, seed, background + twins)
        differences_two.append(
            count_of(query(two, date_to="2025-07", **asked), sex="female", age_group="child")
            - count_of(query(two, date_to="2025-06", **asked), sex="female", age_group="child")
        )
    # THEN the difference is rarely the true one, and does not tell one person from two
    assert differences_one.count(1) / WORLDS < 0.3
    assert best_guess_accuracy(differences_one, differences_two) < 0.65


def test_one_filter_value_more_does_not_reveal_the_person_it_adds(catalog):
    # GIVEN 20 persons in Prizren and a single one in Dragash
    prizren = [person(municipality="Prizren", sex=("female", "male")[index % 2]) for index in range(20)]
    dragash = [person(municipality="Dragash", sex="male", age_at_identification=30)]
    recovered = 0
    for seed in range(WORLDS):
        projection = world(catalog, seed, prizren + dragash)
        # WHEN the attacker asks about Prizren, and about Prizren and Dragash
        with_dragash = query(projection, group_by=["sex"], filters={"municipality": ["Prizren", "Dragash"]})
        without = query(projection, group_by=["sex"], filters={"municipality": ["Prizren"]})
        male_difference = count_of(with_dragash, sex="male") - count_of(without, sex="male")
        female_difference = count_of(with_dragash, sex="female") - count_of(without, sex="female")
        recovered += (male_difference, female_difference) == (1, 0)
        # and asking about Dragash alone shows nothing
        alone = query(projection, group_by=["sex"], filters={"municipality": ["Dragash"]})
        assert alone.total is None and all(cell.count is None for cell in alone.cells)
    # THEN the naive answer (one man, no woman) comes out only by chance
    assert recovered / WORLDS < 0.3


def test_one_dimension_more_does_not_recover_a_suppressed_cell(catalog):
    # GIVEN 30 women, one of them a girl, and 25 men
    women = [person(sex="female", age_at_identification=30) for _ in range(29)] + [
        person(sex="female", age_at_identification=14)
    ]
    men = [person(sex="male", age_at_identification=age) for age in (20, 40) for _ in range(10)] + [
        person(sex="male", age_at_identification=15) for _ in range(5)
    ]
    recovered = 0
    for seed in range(WORLDS):
        projection = world(catalog, seed, women + men)
        # WHEN the attacker subtracts the published women by age group from the published women
        by_sex = query(projection, group_by=["sex"])
        by_sex_and_age = query(projection, group_by=["sex", "age_group"])
        women_by_age = [cell for cell in by_sex_and_age.cells if cell.values[0] == ("sex", "female")]
        hidden = [cell for cell in women_by_age if cell.count is None]
        # THEN the girl's cell never stands alone in its row, so the subtraction gives a sum of hidden cells
        assert len(hidden) >= 2
        published = sum(cell.count for cell in women_by_age if cell.count is not None)
        recovered += count_of(by_sex, sex="female") - published == 1
    assert recovered == 0
