"""The statistics function refreshes every person a message names, and lets a failure reach SQS."""

from types import SimpleNamespace

import pytest
from chalicelib import bootstrap
from chalicelib.domain.errors import Unavailable

from tests.events import load_event


def test_every_person_named_in_the_batch_is_refreshed(monkeypatch):
    refreshed = []
    monkeypatch.setattr(bootstrap, "get_statistics", lambda: SimpleNamespace(refresh=lambda ids: refreshed.extend(ids)))
    from chalicelib.handlers.statistics import update_statistics

    update_statistics(load_event("update-statistics"), None)

    assert refreshed == ["5f0c8e2a-9b1d-4c3e-8f7a-6d5e4c3b2a10", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"]


def test_a_failure_raises_so_that_the_queue_delivers_the_batch_again(monkeypatch):
    def unavailable(ids):
        raise Unavailable("the database is unavailable")

    monkeypatch.setattr(bootstrap, "get_statistics", lambda: SimpleNamespace(refresh=unavailable))
    from chalicelib.handlers.statistics import update_statistics

    with pytest.raises(Unavailable):
        update_statistics(load_event("update-statistics"), None)
