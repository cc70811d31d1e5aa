"""What the benchmarks share: counting AWS API calls and reading percentiles off timings."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import botocore.session


class ApiCalls:
    """Counts AWS API calls by service and by operation, and the seconds spent in them, on every
    botocore client made after `install`: bootstrap's boto3 clients (which the Encryption SDK's
    key stores use) as well as PynamoDB's."""

    def __init__(self) -> None:
        self.by_service: Counter[str] = Counter()
        self.by_operation: Counter[str] = Counter()
        self.seconds = 0.0
        self._started = 0.0

    def install(self) -> None:
        create_client = botocore.session.Session.create_client
        calls = self

        def counted_client(session: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = create_client(session, *args, **kwargs)
            client.meta.events.register("before-call", calls._before)
            client.meta.events.register("after-call", calls._after)
            client.meta.events.register("after-call-error", calls._after)
            return client

        botocore.session.Session.create_client = counted_client

    def _before(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.by_service[service] += 1
        self.by_operation[operation] += 1
        self._started = time.perf_counter()

    def _after(self, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started

    def snapshot(self) -> Counter[str]:
        return Counter(self.by_service)


def nearest_rank(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: a value that was measured, never an interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]
