"""The migration that adds per-sender shares counts what a relay made before it already queued."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from keybound.relay.storage import postgres_schema, sqlite_schema
from keybound.relay.storage.base import Limits, QueuedMessage, QueueFull
from keybound.relay.storage.common import device_key
from tests.relay.storage.conftest import Backend, device

ALICE, BOB, CAROL = device("alice"), device("bob"), device("carol")
NOW = 1_700_000_000_000
# (recipient, sender, payload) queued by a relay at schema 1
_OLD = [(BOB, ALICE, b"a1"), (BOB, ALICE, b"a22"), (BOB, CAROL, b"c")]
_INSERT = "INSERT INTO queue (recipient, sender, received_ms, expires_ms, payload) VALUES "


def _rows() -> list[tuple[bytes, bytes, int, int, bytes]]:
    return [(device_key(r), device_key(s), NOW, NOW + 10**9, p) for r, s, p in _OLD]


def _v1_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    v1 = sqlite_schema.MIGRATIONS[0]
    assert isinstance(v1, str)
    conn.executescript(v1)
    conn.execute("PRAGMA user_version = 1")
    conn.executemany(_INSERT + "(?, ?, ?, ?, ?)", _rows())
    conn.execute(
        "INSERT INTO queue_stats VALUES (?, 3, 6)",
        (device_key(BOB),),
    )
    conn.close()


async def _v1_postgres(dsn: str) -> None:
    import psycopg

    v1 = postgres_schema.MIGRATIONS[0]
    assert isinstance(v1, str)
    conn: Any = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    async with conn:
        await conn.execute(v1.encode())
        await conn.execute("CREATE TABLE keybound_schema_version (version integer NOT NULL)")
        await conn.execute("INSERT INTO keybound_schema_version (version) VALUES (1)")
        for row in _rows():
            await conn.execute(_INSERT + "(%s, %s, %s, %s, %s)", row)
        await conn.execute("INSERT INTO queue_stats VALUES (%s, 3, 6)", (device_key(BOB),))


def test_the_migration_counts_messages_queued_before_it(backend: Backend) -> None:
    async def body() -> None:
        if backend.name == "sqlite":
            _v1_sqlite(Path(backend.location))
        else:
            await _v1_postgres(backend.location)
        async with backend.started(Limits(max_sender_messages=2)) as node:
            s = node.storage
            assert await s.sender_queue_size(BOB, ALICE) == (2, 5)
            assert await s.sender_queue_size(BOB, CAROL) == (1, 1)
            with pytest.raises(QueueFull):
                await s.enqueue(ALICE, [QueuedMessage(BOB, b"a3")], NOW)
            await s.enqueue(CAROL, [QueuedMessage(BOB, b"c2")], NOW)
            ids = [m.queue_id for m in await s.fetch(BOB, 0, 10) if m.sender == ALICE]
            assert await s.ack(BOB, ids) == 2
            assert await s.sender_queue_size(BOB, ALICE) == (0, 0)
            await s.enqueue(ALICE, [QueuedMessage(BOB, b"a3")], NOW)

    asyncio.run(body())
