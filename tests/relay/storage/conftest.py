"""One fixture, ``backend``, that runs every storage test on SQLite and PostgreSQL.

Tests are plain functions that drive their coroutine with ``asyncio.run``
(the project has no asyncio pytest plugin); ``backend.started()`` opens a
storage instance, records its wakeups, and closes it afterwards.  Calling it
twice gives two "nodes" on the same data: for PostgreSQL two relay
processes' worth of pools and listeners, for SQLite two instances on one
file (serialised by SQLite's write lock).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from keybound.relay.storage.base import Limits, RelayStorage
from keybound.wire.frames import DeviceAddress


@dataclass
class Node:
    storage: RelayStorage
    wakeups: list[DeviceAddress] = field(default_factory=list)
    resyncs: int = 0


@dataclass
class Backend:
    name: str
    location: str  # SQLite file path or PostgreSQL DSN

    def new(self, limits: Limits | None = None) -> RelayStorage:
        limits = limits or Limits()
        if self.name == "sqlite":
            from keybound.relay.storage.sqlite import SqliteStorage

            return SqliteStorage(Path(self.location), limits)
        from keybound.relay.storage.postgres import PostgresStorage

        return PostgresStorage(self.location, limits, pool_size=4)

    @contextlib.asynccontextmanager
    async def started(self, limits: Limits | None = None) -> AsyncIterator[Node]:
        node = Node(self.new(limits))

        def resync() -> None:
            node.resyncs += 1

        await node.storage.start(node.wakeups.append, resync)
        try:
            yield node
        finally:
            await node.storage.close()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", str(tmp_path / "relay.db"))
    return Backend("postgres", request.getfixturevalue("pg_dsn"))


def device(name: str, identity: str = "") -> DeviceAddress:
    return DeviceAddress(identity_id=(identity or name).encode() * 4, device_id=name.encode())
