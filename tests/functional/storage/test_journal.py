"""The serial writer: one unit of work at a time, landing whole or not at all, also across crashes."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from chalicelib.adapters.journal import JournalTooLarge, SerialWriter, WriterBusy
from chalicelib.domain.errors import Unavailable

from tests.functional.storage.emulated import Crash, CrashingClient, stored


@pytest.fixture
def scope() -> str:
    return f"test-{uuid.uuid4()}"


def test_writes_land_together_when_the_unit_ends(dynamodb: Any, linkage_table: str, scope: str) -> None:
    writer = SerialWriter(dynamodb, linkage_table, scope)
    with writer.exclusive() as pending:
        pending.put({"pk": scope, "sk": "a", "value": 1})
        pending.put({"pk": scope, "sk": "b", "value": b"\x00\x01"})
        assert stored(dynamodb, linkage_table, scope) == {}
    assert set(stored(dynamodb, linkage_table, scope)) == {"a", "b"}
    assert stored(dynamodb, linkage_table, scope)["b"]["value"] == {"B": b"\x00\x01"}


def test_reads_inside_a_unit_see_its_own_writes(dynamodb: Any, linkage_table: str, scope: str) -> None:
    writer = SerialWriter(dynamodb, linkage_table, scope)
    with writer.exclusive() as pending:
        for sk in ("1", "2", "3"):
            pending.put({"pk": scope, "sk": sk})
    with writer.exclusive() as pending:
        pending.delete(scope, "3")
        pending.put({"pk": scope, "sk": "4", "note": "new"})
        assert pending.get(scope, "3") is None
        assert pending.get(scope, "4") == {"pk": scope, "sk": "4", "note": "new"}
        assert [item["sk"] for item in pending.query(scope)] == ["1", "2", "4"]
        assert [item["sk"] for item in pending.query(scope, newest_first=True, limit=2)] == ["4", "2"]
        assert set(pending.get_many([(scope, "1"), (scope, "3"), (scope, "4")])) == {(scope, "1"), (scope, "4")}


def test_an_error_inside_the_unit_writes_nothing_and_frees_the_lease(dynamodb: Any, linkage_table: str, scope: str) -> None:
    writer = SerialWriter(dynamodb, linkage_table, scope)
    with pytest.raises(ValueError):
        with writer.exclusive() as pending:
            pending.put({"pk": scope, "sk": "a"})
            raise ValueError("the work failed")
    assert stored(dynamodb, linkage_table, scope) == {}
    with writer.exclusive():
        pass


def test_a_second_writer_is_refused_while_the_lease_is_held(dynamodb: Any, linkage_table: str, scope: str) -> None:
    writer = SerialWriter(dynamodb, linkage_table, scope)
    with writer.exclusive():
        with pytest.raises(WriterBusy):
            with SerialWriter(dynamodb, linkage_table, scope).exclusive():
                pass
    assert isinstance(WriterBusy("x"), Unavailable)


def test_a_lease_left_by_a_crashed_writer_expires(dynamodb: Any, linkage_table: str, scope: str) -> None:
    now = [1_000_000.0]
    with pytest.raises(Crash):
        with SerialWriter(CrashingClient(dynamodb, "update_item", survive=1), linkage_table, scope, lease_seconds=60,
                          clock=lambda: now[0]).exclusive():
            pass
    with pytest.raises(WriterBusy):
        with SerialWriter(dynamodb, linkage_table, scope, clock=lambda: now[0]).exclusive():
            pass
    now[0] += 61
    with SerialWriter(dynamodb, linkage_table, scope, clock=lambda: now[0]).exclusive():
        pass


def test_a_crash_half_way_through_applying_is_finished_by_the_next_writer(
        dynamodb: Any, linkage_table: str, scope: str) -> None:
    effects_run: list[list[dict[str, Any]]] = []
    crashing = SerialWriter(CrashingClient(dynamodb, "batch_write_item", survive=1), linkage_table, scope,
                            effects=lambda effects: effects_run.append(list(effects)))
    with pytest.raises(Crash):
        with crashing.exclusive() as pending:
            for index in range(60):
                pending.put({"pk": scope, "sk": f"{index:03d}"})
            pending.add_effect({"notify": "person-1"})
    assert 0 < len(stored(dynamodb, linkage_table, scope)) < 60
    assert effects_run == []

    healthy = SerialWriter(dynamodb, linkage_table, scope, lease_seconds=0, clock=lambda: 10**12,
                           effects=lambda effects: effects_run.append(list(effects)))
    with healthy.exclusive():
        pass
    assert len(stored(dynamodb, linkage_table, scope)) == 60
    assert effects_run == [[{"notify": "person-1"}]]


def test_effects_that_fail_are_run_again_by_the_next_writer(dynamodb: Any, linkage_table: str, scope: str) -> None:
    runs: list[list[dict[str, Any]]] = []

    def failing_once(effects: Any) -> None:
        runs.append(list(effects))
        if len(runs) == 1:
            raise Unavailable("the queue is unavailable")

    writer = SerialWriter(dynamodb, linkage_table, scope, effects=failing_once)
    with pytest.raises(Unavailable):
        with writer.exclusive() as pending:
            pending.put({"pk": scope, "sk": "a"})
            pending.add_effect({"refresh": "person-2"})
    with writer.exclusive():
        pass
    assert runs == [[{"refresh": "person-2"}], [{"refresh": "person-2"}]]
    with writer.exclusive():
        pass
    assert len(runs) == 2


def test_a_unit_too_large_for_one_journal_is_refused_whole(dynamodb: Any, linkage_table: str, scope: str) -> None:
    writer = SerialWriter(dynamodb, linkage_table, scope)
    with pytest.raises(JournalTooLarge):
        with writer.exclusive() as pending:
            for index in range(400):
                pending.put({"pk": scope, "sk": f"{index:03d}", "noise": os.urandom(1024)})
    assert stored(dynamodb, linkage_table, scope) == {}


class Unreachable:
    def __getattr__(self, name: str) -> Any:
        def fail(**_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

        return fail


def test_an_unreachable_database_is_unavailable_not_a_crash(linkage_table: str, scope: str) -> None:
    with pytest.raises(Unavailable):
        with SerialWriter(Unreachable(), linkage_table, scope).exclusive():
            pass
