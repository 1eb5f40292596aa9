"""SQLite specifics: group commit batches concurrent writes, failures stay isolated."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from keybound.relay.storage.base import Limits, QueuedMessage, QueueFull
from keybound.relay.storage.sqlite import SqliteStorage
from tests.relay.storage.conftest import device

ALICE = device("alice")
NOW = 1_700_000_000_000


async def _concurrent_sends(storage: SqliteStorage, n: int) -> None:
    await asyncio.gather(
        *(
            storage.enqueue(ALICE, [QueuedMessage(device(f"r{i % 10}"), b"%d" % i)], NOW)
            for i in range(n)
        )
    )


def test_group_commit_batches_concurrent_enqueues(tmp_path: Path) -> None:
    async def body() -> tuple[int, int]:
        grouped = SqliteStorage(tmp_path / "grouped.db")
        await grouped.start(lambda _: None)
        try:
            await _concurrent_sends(grouped, 100)
            batched = grouped.commit_count
        finally:
            await grouped.close()
        single = SqliteStorage(tmp_path / "single.db", max_batch=1)
        await single.start(lambda _: None)
        try:
            await _concurrent_sends(single, 100)
            unbatched = single.commit_count
        finally:
            await single.close()
        return batched, unbatched

    batched, unbatched = asyncio.run(body())
    assert unbatched == 100  # the counter counts every commit...
    assert batched < 20  # ...and group commit needed far fewer for the same work
    with sqlite3.connect(tmp_path / "grouped.db") as conn:
        (count,) = conn.execute("SELECT count(*) FROM queue").fetchone()
    assert count == 100


def test_a_refused_send_does_not_sink_its_batch(tmp_path: Path) -> None:
    """One send over its cap fails alone; the sends batched with it commit."""
    limits = Limits(max_queue_messages=1)

    async def body() -> None:
        storage = SqliteStorage(tmp_path / "relay.db", limits)
        await storage.start(lambda _: None)
        try:
            results = await asyncio.gather(
                *(
                    storage.enqueue(ALICE, [QueuedMessage(device(f"r{i % 20}"), b"x")], NOW)
                    for i in range(40)
                ),
                return_exceptions=True,
            )
            assert storage.commit_count < 40
            failures = [r for r in results if isinstance(r, BaseException)]
            assert len(failures) == 20 and all(isinstance(f, QueueFull) for f in failures)
            for i in range(20):
                assert await storage.queue_size(device(f"r{i}")) == (1, 1)
        finally:
            await storage.close()

    asyncio.run(body())


def test_the_database_uses_write_ahead_logging(tmp_path: Path) -> None:
    async def body() -> None:
        storage = SqliteStorage(tmp_path / "relay.db")
        await storage.start(lambda _: None)
        await storage.close()

    asyncio.run(body())
    with sqlite3.connect(tmp_path / "relay.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_max_batch_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_batch"):
        SqliteStorage(tmp_path / "x.db", max_batch=0)
