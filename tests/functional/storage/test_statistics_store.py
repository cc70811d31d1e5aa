"""The statistics projection in DynamoDB: counts of persons that move exactly once per change of
state, whatever the order or number of deliveries, survive crashes, equal a rebuild, and show
nothing about a person to whoever reads the table.

Each test has a statistics table of its own (same definition as the deployed one), so that
rebuilds, which empty the projection, and the writer's lease never meet another test's.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from chalicelib.adapters.statistics_store import DynamoDBProjection, ProjectionKeys
from chalicelib.domain.errors import Unavailable
from chalicelib.domain.statistics import (
    CellIncrement,
    DimensionCatalog,
    InMemoryCellStore,
    StatisticsProjection,
    record_key_for,
)
from chalicelib.domain.statistics.projection import CONFLICTS_CUBE
from chalicelib.services import statistics as statistics_service
from chalicelib.services.statistics import Statistics

from ivdb import paths
from tests.functional.storage.emulated import Crash, CrashingClient, table_of_its_own

RECORD_KEY_SECRET = b"record keys of the tests"
LEASE_EXPIRED = 3600
CUBE_SIZE = 2
"""Small cubes keep every test quick; the code paths are those of the deployed size."""

MUNICIPALITIES = ("Prishtinë", "Prizren", "Pejë", "Gjakovë")
COUNTRIES = ("XK", "AL", "RS", "MK", "MD")
FORMS = ("sexual", "labour", "begging", "forced_criminality", "forced_marriage")
STATUSES = ("presumed", "identified", "not_confirmed", "recognised_in_proceedings")


@pytest.fixture(scope="module")
def catalog() -> DimensionCatalog:
    return DimensionCatalog.from_schemas(
        json.loads((paths.SCHEMAS / "identification-record.schema.json").read_text()),
        json.loads((paths.SCHEMAS / "institution-registry.schema.json").read_text()))


@pytest.fixture
def table(dynamodb: Any) -> Iterable[str]:
    yield from table_of_its_own(dynamodb, "ivdb-statistics-test")


@pytest.fixture
def keys() -> ProjectionKeys:
    naming, sealing = os.urandom(32), os.urandom(32)
    return ProjectionKeys(naming=lambda: naming, sealing=lambda: sealing)


@dataclass
class Records:
    """Records as the statistics service reads them: institution type, creation time, statistical and meta parts."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    def read_for_service(self, service: str, record_id: str,
                         parts: Iterable[str]) -> tuple[Any, dict[str, Any]] | None:
        assert service == "statistics"
        record = self.by_id.get(record_id)
        if record is None:
            return None
        stored = SimpleNamespace(institution_type=record["institution_type"], created_at=record["created_at"])
        readable = {"statistical": record["statistical"], "meta": {"status": record["status"], "consent": {}}}
        return stored, {part: readable[part] for part in parts if part in readable}


@dataclass
class Directory:
    """Persons and their records, as the linkage keeps them."""

    members_of: dict[str, list[str]] = field(default_factory=dict)

    def members(self, person_id: str) -> list[str]:
        return list(self.members_of.get(person_id, []))

    def persons(self) -> Iterable[str]:
        return [person_id for person_id, members in list(self.members_of.items()) if members]


@dataclass
class World:
    """Records, persons and the projection over one table; `service()` builds the statistics service."""

    dynamodb: Any
    table: str
    keys: ProjectionKeys
    catalog: DimensionCatalog
    policy: Any
    records: Records = field(default_factory=Records)
    directory: Directory = field(default_factory=Directory)
    audited: list[Any] = field(default_factory=list)

    def service(self, client: Any = None, clock: Callable[[], float] = time.time) -> Statistics:
        """The service over this world; ``clock`` lets a writer find a crashed writer's lease expired."""
        return Statistics(policy=self.policy, catalog=self.catalog,
                          store=DynamoDBProjection(client or self.dynamodb, self.table, self.keys, clock=clock),
                          records=self.records, directory=self.directory,
                          record_key=lambda person_id: record_key_for(person_id, RECORD_KEY_SECRET),
                          audit=self.audited.append, threshold=5, cube_size=CUBE_SIZE)

    def submit(self, person_id: str, **statistical: Any) -> str:
        record_id = str(uuid.uuid4())
        self.records.by_id[record_id] = {
            "institution_type": statistical.pop("institution_type", "police"),
            "status": statistical.pop("status", "presumed"),
            "created_at": datetime.now(timezone.utc).isoformat(),
            "statistical": {"sex": "female", "identification_date": "2025-03-01",
                            "forms_of_exploitation": ["sexual"], **statistical},
        }
        self.directory.members_of.setdefault(person_id, []).append(record_id)
        return record_id

    def stored_cells(self) -> dict[tuple, tuple[int, int]]:
        """Every cell of every cube, read back from the table and opened."""
        store = DynamoDBProjection(self.dynamodb, self.table, self.keys).cells()
        projection = StatisticsProjection(store, self.catalog, CUBE_SIZE)
        return {(cube, cell.month, cell.coordinates): (cell.persons, cell.key_sum)
                for cube in projection.cubes + (CONFLICTS_CUBE,)
                for cell in store.read_cells(cube, None, None)}

    def expected_cells(self) -> dict[tuple, tuple[int, int]]:
        """The cells of the persons as they are now, counted in memory from scratch."""
        service = self.service()
        persons = [facts for person_id in self.directory.persons()
                   if (facts := service.current_facts(person_id)) is not None]
        projection = StatisticsProjection(InMemoryCellStore(), self.catalog, CUBE_SIZE)
        projection.rebuild(persons)
        return projection.store.snapshot()

    def raw_items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.table, ConsistentRead=True):
            items.extend(page["Items"])
        return items


@pytest.fixture
def world(dynamodb: Any, table: str, keys: ProjectionKeys, catalog: DimensionCatalog, access_policy: Any) -> World:
    return World(dynamodb, table, keys, catalog, access_policy)


def test_cells_round_trip_through_the_table(world: World) -> None:
    march, april = 2025 * 12 + 2, 2025 * 12 + 3
    increments = [CellIncrement(("sex",), march, ("female",), 3, 7),
                  CellIncrement(("sex",), april, ("male",), 1, 2**32 - 1),
                  CellIncrement(("sex", "municipality"), march, ("female", "Prizren"), 2, 5)]
    with DynamoDBProjection(world.dynamodb, world.table, world.keys).unit() as unit:
        unit.cells.add_to_cells(increments)

    cells = DynamoDBProjection(world.dynamodb, world.table, world.keys).cells()
    stored = {(cell.month, cell.coordinates, cell.persons, cell.key_sum)
              for cell in cells.read_cells(("sex",), None, None)}
    assert stored == {(march, ("female",), 3, 7), (april, ("male",), 1, 2**32 - 1)}
    assert [cell.month for cell in cells.read_cells(("sex",), april, april)] == [april]
    assert [cell.month for cell in cells.read_cells(("sex",), None, march)] == [march]
    assert list(cells.read_cells(("status",), None, None)) == []


def test_a_cell_left_with_no_person_is_deleted(world: World) -> None:
    person = "p-" + uuid.uuid4().hex
    record = world.submit(person)
    world.service().refresh([person])
    assert world.stored_cells()

    del world.records.by_id[record]
    world.directory.members_of[person] = []
    world.service().refresh([person])

    assert world.stored_cells() == {}
    assert [item for item in world.raw_items() if not item["pk"]["S"].startswith("writer#")] == []


def test_a_duplicate_or_late_message_changes_nothing(world: World) -> None:
    # GIVEN a person with two records, counted once
    person = "p-" + uuid.uuid4().hex
    world.submit(person, municipality="Prizren", citizenship=["XK"])
    record = world.submit(person, identification_date="2025-05-10", forms_of_exploitation=["labour"])
    service = world.service()
    service.refresh([person])
    counted_once = world.stored_cells()

    # WHEN the same message arrives twice more, and twice within one batch
    service.refresh([person])
    service.refresh([person, person])

    # THEN nothing moved
    assert world.stored_cells() == counted_once
    assert counted_once[(("forms_of_exploitation",), 2025 * 12 + 2, ("labour",))][0] == 1

    # WHEN a record changes, and the message about the earlier change is delivered again after the new one
    world.records.by_id[record]["statistical"]["forms_of_exploitation"] = ["begging"]
    service.refresh([person])
    service.refresh([person])

    # THEN the cells count the person's current facts, once
    assert world.stored_cells() == world.expected_cells()


def test_a_merge_and_its_messages_in_any_order_count_one_person(world: World) -> None:
    first, second = "p-" + uuid.uuid4().hex, "p-" + uuid.uuid4().hex
    world.submit(first, sex="female")
    world.submit(second, sex="female", identification_date="2025-06-02")
    world.service().refresh([first, second])
    assert world.stored_cells()[((), 2025 * 12 + 2, ())][0] == 1

    world.directory.members_of[first] += world.directory.members_of.pop(second)
    for order in ([second, first], [first, second], [second], [first]):
        world.service().refresh(order)

    assert world.stored_cells() == world.expected_cells()
    assert sum(persons for (cube, _, _), (persons, _) in world.stored_cells().items() if cube == ()) == 1


def test_a_crash_before_the_journal_lands_changes_nothing(world: World) -> None:
    person = "p-" + uuid.uuid4().hex
    world.submit(person)

    # GIVEN a refresh that dies as it writes its journal, leaving its lease to expire
    with pytest.raises(Crash):
        world.service(CrashingClient(world.dynamodb, "update_item", survive=1)).refresh([person])
    assert world.stored_cells() == {}

    # WHEN the message is delivered again, once the lease has expired
    world.service(clock=lambda: time.time() + LEASE_EXPIRED).refresh([person])

    # THEN the person is counted once
    assert world.stored_cells() == world.expected_cells()


def test_a_crash_half_way_through_applying_ends_as_if_it_had_not_happened(world: World) -> None:
    # GIVEN a refresh that dies after the first batch of its writes
    person = "p-" + uuid.uuid4().hex
    world.submit(person, citizenship=["XK", "AL"], forms_of_exploitation=["sexual", "labour"])
    with pytest.raises(Crash):
        world.service(CrashingClient(world.dynamodb, "batch_write_item", survive=1)).refresh([person])
    assert world.stored_cells() != world.expected_cells()

    # WHEN the message is delivered again
    world.service().refresh([person])

    # THEN the person is counted exactly once
    assert world.stored_cells() == world.expected_cells()


def test_a_person_too_big_for_one_unit_is_counted_in_chunks_and_a_crash_between_them_is_finished(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statistics_service, "CELLS_PER_UNIT", 20)
    person = "p-" + uuid.uuid4().hex
    world.submit(person, citizenship=list(COUNTRIES), forms_of_exploitation=list(FORMS))

    # GIVEN a refresh that dies applying its second chunk
    with pytest.raises(Crash):
        world.service(CrashingClient(world.dynamodb, "batch_write_item", survive=1)).refresh([person])
    assert world.stored_cells() != world.expected_cells()

    # WHEN the message is delivered again
    world.service().refresh([person])

    # THEN the second chunk is finished from its journal and the rest applied after it

    assert world.stored_cells() == world.expected_cells()


def random_statistical(generator: random.Random) -> dict[str, Any]:
    day = date(2024, 1, 1) + timedelta(days=generator.randrange(730))
    statistical: dict[str, Any] = {
        "sex": generator.choice(["female", "male", "unknown"]),
        "identification_date": day.isoformat(),
        "forms_of_exploitation": generator.sample(FORMS, generator.choice([1, 1, 2])),
    }
    if generator.random() < 0.7:
        statistical["age_at_identification"] = generator.randrange(8, 60)
    if generator.random() < 0.7:
        statistical["citizenship"] = generator.sample(COUNTRIES, generator.choice([1, 1, 2]))
    if generator.random() < 0.8:
        statistical["municipality"] = generator.choice(MUNICIPALITIES)
    if generator.random() < 0.5:
        statistical["referred_to_assistance"] = generator.random() < 0.5
    return statistical


def random_history(world: World, generator: random.Random, steps: int) -> list[list[str]]:
    """Submits, updates, withdrawals, merges and splits as the linkage would make them, and the
    messages it would send (one per change, naming the persons whose records changed)."""
    messages: list[list[str]] = []
    for _ in range(steps):
        persons = world.directory.persons()
        action = generator.choice(["submit", "submit", "update", "withdraw", "merge", "split"]) if persons else "submit"
        if action == "submit":
            person = generator.choice(persons) if persons and generator.random() < 0.3 else "p-" + uuid.uuid4().hex
            world.submit(person, status=generator.choice(STATUSES),
                         institution_type=generator.choice(["police", "ngo", "social_welfare"]),
                         **random_statistical(generator))
            messages.append([person])
        elif action == "update":
            person = generator.choice(persons)
            record = world.records.by_id[generator.choice(world.directory.members_of[person])]
            record["statistical"] = random_statistical(generator)
            record["status"] = generator.choice(STATUSES)
            messages.append([person])
        elif action == "withdraw":
            person = generator.choice(persons)
            record_id = generator.choice(world.directory.members_of[person])
            world.directory.members_of[person].remove(record_id)
            del world.records.by_id[record_id]
            messages.append([person])
        elif action == "merge" and len(persons) > 1:
            survivor, absorbed = generator.sample(persons, 2)
            world.directory.members_of[survivor] += world.directory.members_of.pop(absorbed)
            messages.append([survivor, absorbed])
        elif action == "split" and any(len(world.directory.members_of[person]) > 1 for person in persons):
            person = generator.choice([person for person in persons if len(world.directory.members_of[person]) > 1])
            members = world.directory.members_of[person]
            moved = members[generator.randrange(1, len(members)):]
            world.directory.members_of[person] = members[:len(members) - len(moved)]
            newcomer = "p-" + uuid.uuid4().hex
            world.directory.members_of[newcomer] = moved
            messages.append([person, newcomer])
    return messages


@pytest.mark.parametrize("seed", [3, 17])
def test_a_rebuild_equals_the_incremental_projection_after_a_random_history(
        world: World, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a random history whose messages arrive shuffled, some twice, with refreshes between changes
    monkeypatch.setattr(statistics_service, "CELLS_PER_UNIT", 60)
    generator = random.Random(seed)
    service = world.service()
    delivered: list[list[str]] = []
    for _ in range(4):
        messages = random_history(world, generator, steps=8)
        messages += generator.sample(messages + delivered, min(3, len(messages + delivered)))
        generator.shuffle(messages)
        for message in messages:
            service.refresh(message)
        delivered += messages
    incremental = world.stored_cells()

    # WHEN the projection is rebuilt from the records
    counted = service.rebuild()

    # THEN it is what the messages made of it, and what counting the current persons afresh gives
    assert world.stored_cells() == incremental == world.expected_cells()
    assert counted == len(world.directory.persons())


def test_a_change_made_while_a_rebuild_runs_is_counted_when_it_ends(world: World) -> None:
    # GIVEN two persons, and a linkage that changes one of them while the rebuild lists the persons
    first, second = "p-" + uuid.uuid4().hex, "p-" + uuid.uuid4().hex
    world.submit(first)
    world.submit(second, sex="male")
    world.service().refresh([first, second])

    class ChangingDirectory(Directory):
        def persons(self) -> Iterable[str]:
            yield from super().persons()
            world.submit(second, identification_date="2024-12-01", sex="male")
            changed_meanwhile.refresh([second])
            assert world.service().store.rebuilding()

    changing = ChangingDirectory(world.directory.members_of)
    changed_meanwhile = world.service()
    rebuilding = world.service()
    rebuilding.directory = changing

    # WHEN the rebuild runs
    rebuilding.rebuild()

    # THEN the change is in the cells, and the projection answers again
    assert world.stored_cells() == world.expected_cells()
    assert not world.service().store.rebuilding()


def test_queries_wait_while_a_rebuild_has_not_finished(world: World, coordinator: Any) -> None:
    person = "p-" + uuid.uuid4().hex
    world.submit(person)
    with pytest.raises(Crash):
        world.service(CrashingClient(world.dynamodb, "scan")).rebuild()

    with pytest.raises(Unavailable):
        world.service().query(coordinator, {"group_by": ["sex"]})
    world.service().refresh([person])
    assert world.stored_cells() == {}

    world.service().rebuild()
    assert world.stored_cells() == world.expected_cells()
    assert world.service().query(coordinator, {"group_by": ["sex"]}).group_by == ("sex",)


@pytest.fixture
def coordinator() -> Any:
    from chalicelib.domain.caller import Caller

    return Caller("mia-national-coordinator", "coordinator")


def test_the_table_holds_no_value_and_no_person_id_in_clear(world: World) -> None:
    # GIVEN persons with distinctive values, counted
    municipality = f"Zzyzx-{uuid.uuid4().hex[:8]}"
    persons = ["p-" + uuid.uuid4().hex for _ in range(3)]
    for person in persons:
        world.submit(person, municipality=municipality, citizenship=["MD"], forms_of_exploitation=["forced_marriage"],
                     sex="female", age_at_identification=16, referred_to_assistance=True)
    world.service().refresh(persons)

    # WHEN the whole table is read as a dump would
    dumped = json.dumps([{name: {kind: value.hex() if isinstance(value, bytes) else value
                                 for kind, value in attribute.items()}
                          for name, attribute in item.items()} for item in world.raw_items()])
    blobs = b"".join(attribute["B"] for item in world.raw_items() for attribute in item.values() if "B" in attribute)

    # THEN no coordinate, no count and no person id appears, in text or inside a binary value
    for secret in [municipality, "forced_marriage", "female", "12-17", *persons]:
        assert secret not in dumped
        assert secret.encode() not in blobs
    assert not any(name in {"persons", "key_sum", "count"} for item in world.raw_items() for name in item)
    assert len({len(item["cell"]["B"]) for item in world.raw_items() if "cell" in item}) == 1
