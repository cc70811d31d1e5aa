"""The statistics projection in DynamoDB: its cells, what was counted for each person, and
the state of a rebuild, in the statistics table (``pk`` / ``sk``)::

    cube#<h(cube)>     <month>#<h(cube, month, values)>  cell: sealed [persons, key sum, values]
    facts#<h(person)>  facts                             counted: sealed facts counted for the person
    rebuild            state                             owner, while a rebuild runs
    waiting            <h(person)>                       person: sealed id, refreshed when the rebuild ends
    writer#statistics  lease / journal                   the serial writer's (adapters/journal.py)

``h`` is a keyed hash (HMAC-SHA256, 128 bits kept) and *sealed* is AES-GCM with a random
nonce and the item's key as associated data, so a sealed value moved to another item does
not open; plaintexts are padded to a multiple of ``PAD_BYTES``, so that the length of a
ciphertext does not tell a long municipality name or many citizenships. Both secrets are
derived once per container from the KMS HMAC key of the statistics. Months (counted from
year 0) stay in clear in the sort key so that a date range is a key range. A dump of the
table shows how many cells each (unnamed) cube has per month and how many persons are
counted (one facts item each), and nothing else: no count of a cell, no dimension, no
value, no person id.

Writes go through a unit of work of the serial writer; a cell is stored as its absolute
value, computed from what the unit read, so replaying a journal is idempotent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.adapters.journal import (
    DATABASE_UNAVAILABLE,
    PendingWrites,
    SerialWriter,
    from_attributes,
    to_attributes,
)
from chalicelib.domain.errors import Unavailable
from chalicelib.domain.statistics import CellIncrement, CellStore, Cube, Month, StoredCell

WRITER_SCOPE = "statistics"
CUBE_PREFIX = "cube#"
FACTS_PREFIX = "facts#"
FACTS_SK = "facts"
REBUILD_KEY = ("rebuild", "state")
WAITING_PK = "waiting"
MONTH_DIGITS = 5
NAME_HEX_DIGITS = 32
NONCE_BYTES = 12
PAD_BYTES = 128
CLEAR_BATCH = 500
"""Items deleted per unit of work while a rebuild empties the projection: well inside a journal."""


class ProjectionDamaged(Exception):
    """A stored value does not open or a count would fall below zero: run ``ivdb stats rebuild``."""


def _framed(*values: str) -> bytes:
    return b"".join(len(encoded).to_bytes(4, "big") + encoded for encoded in (value.encode() for value in values))


class ProjectionKeys:
    """The projection's two local secrets: one names items (keyed hashes), one seals their content."""

    def __init__(self, naming: Callable[[], bytes], sealing: Callable[[], bytes]) -> None:
        self._naming = naming
        self._sealing = sealing
        self._cipher: AESGCM | None = None
        self._lock = threading.Lock()

    def name(self, purpose: str, *values: str) -> str:
        digest = hmac.new(self._naming(), _framed(purpose, *values), hashlib.sha256).hexdigest()
        return digest[:NAME_HEX_DIGITS]

    def _aead(self) -> AESGCM:
        with self._lock:
            if self._cipher is None:
                self._cipher = AESGCM(self._sealing())
            return self._cipher

    def seal(self, value: Any, pk: str, sk: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        padded = plaintext + b" " * (-len(plaintext) % PAD_BYTES)
        return nonce + self._aead().encrypt(nonce, padded, _framed(pk, sk))

    def unseal(self, sealed: bytes, pk: str, sk: str) -> Any:
        sealed = bytes(sealed)
        try:
            plaintext = self._aead().decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _framed(pk, sk))
        except InvalidTag as e:
            raise ProjectionDamaged("a statistics item does not open under the projection's key") from e
        return json.loads(plaintext)


class DynamoDBCellStore(CellStore):
    """Cells in the statistics table. Changes need a unit of work (``pending``); reads do not."""

    def __init__(self, client: Any, table_name: str, keys: ProjectionKeys,
                 pending: PendingWrites | None = None) -> None:
        self._client = client
        self._table = table_name
        self._keys = keys
        self._pending = pending

    def cube_pk(self, cube: Cube) -> str:
        return CUBE_PREFIX + self._keys.name("cube", *cube)

    def _cell_sk(self, cube_pk: str, month: Month, coordinates: Sequence[str]) -> str:
        if not 0 <= month < 10**MONTH_DIGITS:
            raise ValueError("a month outside the range the sort key holds")
        return f"{month:0{MONTH_DIGITS}d}#" + self._keys.name("cell", cube_pk, str(month), *coordinates)

    def add_to_cells(self, increments: Sequence[CellIncrement]) -> None:
        if self._pending is None:
            raise RuntimeError("cells change only inside a unit of work")
        changes: dict[tuple[str, str], list[Any]] = {}
        for increment in increments:
            pk = self.cube_pk(increment.cube)
            sk = self._cell_sk(pk, increment.month, increment.coordinates)
            change = changes.setdefault((pk, sk), [0, 0, increment.coordinates])
            change[0] += increment.persons
            change[1] += increment.key_sum
        stored = self._pending.get_many(list(changes))
        for (pk, sk), (persons, key_sum, coordinates) in changes.items():
            if (pk, sk) in stored:
                stored_persons, stored_key_sum, _ = self._keys.unseal(stored[(pk, sk)]["cell"], pk, sk)
                persons += stored_persons
                key_sum += stored_key_sum
            if persons < 0:
                raise ProjectionDamaged("a cell would count fewer than zero persons")
            if persons == 0:
                self._pending.delete(pk, sk)
            else:
                self._pending.put({"pk": pk, "sk": sk,
                                   "cell": self._keys.seal([persons, key_sum, list(coordinates)], pk, sk)})

    def read_cells(self, cube: Cube, first_month: Month | None, last_month: Month | None) -> Iterator[StoredCell]:
        """One Query of the cube's partition, over the sort-key range of the months."""
        pk = self.cube_pk(cube)
        low = f"{first_month or 0:0{MONTH_DIGITS}d}#"
        high = f"{last_month if last_month is not None else 10**MONTH_DIGITS - 1:0{MONTH_DIGITS}d}#~"
        arguments: dict[str, Any] = {
            "TableName": self._table, "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": to_attributes({":pk": pk, ":low": low, ":high": high}),
        }
        while True:
            try:
                answer = self._client.query(**arguments)
            except (ClientError, BotoCoreError) as e:
                raise Unavailable(DATABASE_UNAVAILABLE) from e
            for attributes in answer["Items"]:
                sk = attributes["sk"]["S"]
                persons, key_sum, coordinates = self._keys.unseal(attributes["cell"]["B"], pk, sk)
                yield StoredCell(int(sk[:MONTH_DIGITS]), tuple(coordinates), persons, key_sum)
            if "LastEvaluatedKey" not in answer:
                return
            arguments["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


class ProjectionUnit:
    """One unit of work on the projection: its cells, what was counted per person, the rebuild state."""

    def __init__(self, client: Any, table_name: str, keys: ProjectionKeys, pending: PendingWrites) -> None:
        self._pending = pending
        self._keys = keys
        self.cells = DynamoDBCellStore(client, table_name, keys, pending)

    def _facts_key(self, person_id: str) -> tuple[str, str]:
        return FACTS_PREFIX + self._keys.name("person", person_id), FACTS_SK

    def counted(self, person_id: str) -> Mapping[str, Any] | None:
        """What was last counted for the person, as the service stored it; None when nothing is."""
        pk, sk = self._facts_key(person_id)
        item = self._pending.get(pk, sk)
        return self._keys.unseal(item["counted"], pk, sk) if item is not None else None

    def set_counted(self, person_id: str, counted: Mapping[str, Any] | None) -> None:
        pk, sk = self._facts_key(person_id)
        if counted is None:
            self._pending.delete(pk, sk)
        else:
            self._pending.put({"pk": pk, "sk": sk, "counted": self._keys.seal(counted, pk, sk)})

    def rebuild_owner(self) -> str | None:
        item = self._pending.get(*REBUILD_KEY)
        return str(item["owner"]) if item is not None else None

    def set_rebuild_owner(self, owner: str | None) -> None:
        if owner is None:
            self._pending.delete(*REBUILD_KEY)
        else:
            self._pending.put({"pk": REBUILD_KEY[0], "sk": REBUILD_KEY[1], "owner": owner})

    def wait_for_rebuild(self, person_id: str) -> None:
        """Note a person to refresh once the rebuild that runs now has ended."""
        sk = self._keys.name("waiting", person_id)
        self._pending.put({"pk": WAITING_PK, "sk": sk, "person": self._keys.seal(person_id, WAITING_PK, sk)})

    def take_waiting(self, limit: int) -> list[str]:
        """Up to ``limit`` waiting persons, no longer waiting once this unit ends."""
        taken = []
        for item in self._pending.query(WAITING_PK, limit=limit):
            taken.append(self._keys.unseal(item["person"], WAITING_PK, item["sk"]))
            self._pending.delete(WAITING_PK, item["sk"])
        return taken


class DynamoDBProjection:
    """The statistics table as the statistics service sees it."""

    def __init__(self, client: Any, table_name: str, keys: ProjectionKeys, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._table = table_name
        self._keys = keys
        self._writer = SerialWriter(client, table_name, WRITER_SCOPE, clock=clock)

    @contextmanager
    def unit(self) -> Iterator[ProjectionUnit]:
        """Exclusive and whole: its writes land together when the block ends, or not at all."""
        with self._writer.exclusive() as pending:
            yield ProjectionUnit(self._client, self._table, self._keys, pending)

    def cells(self) -> DynamoDBCellStore:
        """The cells, read-only, for queries."""
        return DynamoDBCellStore(self._client, self._table, self._keys)

    def rebuilding(self) -> bool:
        return ProjectionUnit(self._client, self._table, self._keys,
                              PendingWrites(self._client, self._table)).rebuild_owner() is not None

    def clear(self, check_owner: Callable[[ProjectionUnit], None]) -> None:
        """Delete every cell and every person's counted facts, in units of ``CLEAR_BATCH`` items.

        A Scan: the table is read whole once per rebuild, never per query or per refresh.
        ``check_owner`` runs in every unit and raises when another rebuild took over.
        """
        arguments: dict[str, Any] = {
            "TableName": self._table, "ConsistentRead": True, "ProjectionExpression": "pk, sk",
            "FilterExpression": "begins_with(pk, :cells) OR begins_with(pk, :facts)",
            "ExpressionAttributeValues": to_attributes({":cells": CUBE_PREFIX, ":facts": FACTS_PREFIX}),
        }
        doomed: list[tuple[str, str]] = []
        while True:
            try:
                answer = self._client.scan(**arguments)
            except (ClientError, BotoCoreError) as e:
                raise Unavailable(DATABASE_UNAVAILABLE) from e
            doomed.extend((item["pk"], item["sk"]) for item in map(from_attributes, answer["Items"]))
            last_page = "LastEvaluatedKey" not in answer
            while len(doomed) >= CLEAR_BATCH or (doomed and last_page):
                batch, doomed = doomed[:CLEAR_BATCH], doomed[CLEAR_BATCH:]
                with self._writer.exclusive() as pending:
                    check_owner(ProjectionUnit(self._client, self._table, self._keys, pending))
                    for pk, sk in batch:
                        pending.delete(pk, sk)
            if last_page:
                return
            arguments["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
