"""PostgreSQL group commit (storage/postgres_batch.py): sends and acks that
arrive together share one transaction, and each caller still gets its own
outcome.

To make "these jobs share one batch" deterministic, a test holds a row lock
on one recipient's ``queue_stats`` row from a second connection: the batch
that touches it waits on the lock, and everything submitted meanwhile is
either in that batch or queued for the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from psycopg import errors

from keybound.relay.storage.base import Limits, QueuedMessage, QueueFull, StorageUnavailable
from keybound.relay.storage.common import device_key
from keybound.relay.storage.postgres import PostgresStorage
from keybound.wire.frames import DeviceAddress
from tests.relay.storage.conftest import device

ALICE = device("alice")
BOB = device("bob")
CAROL = device("carol")
DAVE = device("dave")
NOW = 1_700_000_000_000


def msg(to: DeviceAddress, text: str) -> QueuedMessage:
    return QueuedMessage(recipient=to, payload=text.encode())


@contextlib.asynccontextmanager
async def started(
    dsn: str, limits: Limits | None = None
) -> AsyncIterator[tuple[PostgresStorage, list[DeviceAddress]]]:
    """A node, and the recipients it woke."""
    storage = PostgresStorage(dsn, limits or Limits(), pool_size=3)
    woken: list[DeviceAddress] = []
    await storage.start(woken.append)
    try:
        yield storage, woken
    finally:
        await storage.close()


@contextlib.asynccontextmanager
async def holding(dsn: str, recipient: DeviceAddress) -> AsyncIterator[None]:
    """Lock ``recipient``'s counters until the block ends (the row must exist)."""
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        cursor = await conn.execute(
            "SELECT 1 FROM queue_stats WHERE recipient = %s FOR UPDATE", (device_key(recipient),)
        )
        assert await cursor.fetchone() is not None
        yield
        await conn.rollback()


async def until_waiting(dsn: str) -> None:
    """Until a backend waits for a row lock (the batch reached the held row)."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        for _ in range(500):
            cursor = await conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            row = await cursor.fetchone()
            if row is not None and row[0] > 0:
                return
            await asyncio.sleep(0.01)
    raise AssertionError("no batch waited for the held lock")


async def payloads(storage: PostgresStorage, recipient: DeviceAddress) -> list[bytes]:
    return [m.payload for m in await storage.fetch(recipient, 0, 1000)]


def test_concurrent_sends_share_transactions_and_each_is_stored(pg_dsn: str) -> None:
    async def body() -> None:
        async with started(pg_dsn) as (s, woken):
            before = s.commit_count
            await asyncio.gather(
                *(s.enqueue(ALICE, [msg(device(f"r{i % 10}"), f"{i:03}")], NOW) for i in range(100))
            )
            assert s.commit_count - before < 20  # batches, not a transaction per send
            for r in range(10):
                want = [f"{i:03}".encode() for i in range(r, 100, 10)]
                assert await payloads(s, device(f"r{r}")) == want  # in submission order
                assert await s.queue_size(device(f"r{r}")) == (10, 30)
            assert set(woken) == {device(f"r{r}") for r in range(10)}

        async with started(pg_dsn) as (one_by_one, _):
            one_by_one._batch._max_jobs = 1
            before = one_by_one.commit_count
            await asyncio.gather(
                *(one_by_one.enqueue(ALICE, [msg(BOB, "x")], NOW) for _ in range(10))
            )
            assert one_by_one.commit_count - before == 10  # the counter counts every commit

    asyncio.run(body())


def test_a_send_over_a_cap_fails_alone_and_the_rest_of_its_batch_is_stored(pg_dsn: str) -> None:
    limits = Limits(max_queue_messages=3, max_sender_messages=2)

    async def body() -> None:
        async with started(pg_dsn, limits) as (s, _):
            await s.enqueue(DAVE, [msg(DAVE, "lock")], NOW)
            async with holding(pg_dsn, DAVE):
                blocker = asyncio.ensure_future(s.enqueue(CAROL, [msg(DAVE, "d")], NOW))
                await until_waiting(pg_dsn)
                # all of these queue up behind the held batch: the next batch, together
                sends = [
                    (ALICE, [msg(BOB, "a1"), msg(CAROL, "c1")]),
                    (ALICE, [msg(BOB, "a2"), msg(BOB, "a3")]),  # ALICE's share of BOB: 3 > 2
                    (CAROL, [msg(BOB, "c2")]),  # fits: the refused send took nothing
                    # BOB's queue: 2 + 2 > 3 (checked before CAROL's share of it)
                    (CAROL, [msg(CAROL, "c3"), msg(BOB, "c4"), msg(BOB, "c6")]),
                    (ALICE, [msg(CAROL, "c5")]),
                ]
                tasks = [asyncio.ensure_future(s.enqueue(who, m, NOW)) for who, m in sends]
                await asyncio.sleep(0.05)
                commits = s.commit_count
            await blocker
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert s.commit_count - commits == 2  # the held batch, then all five at once
            assert results[0] is None and results[2] is None and results[4] is None
            assert isinstance(results[1], QueueFull) and results[1].per_sender
            assert results[1].recipient == BOB
            assert isinstance(results[3], QueueFull) and not results[3].per_sender
            assert results[3].recipient == BOB
            assert await payloads(s, BOB) == [b"a1", b"c2"]
            assert await payloads(s, CAROL) == [b"c1", b"c5"]  # nothing of the refused sends
            # the refused sends' counting was taken back: the counters match the rows
            assert await s.queue_size(BOB) == (2, 4)
            assert await s.queue_size(CAROL) == (2, 4)
            assert await s.sender_queue_size(BOB, ALICE) == (1, 2)
            assert await s.sender_queue_size(BOB, CAROL) == (1, 2)
            assert await s.sender_queue_size(CAROL, CAROL) == (0, 0)
            # and the caps hold as strictly afterwards
            with pytest.raises(QueueFull):
                await s.enqueue(ALICE, [msg(BOB, "x"), msg(BOB, "y")], NOW)
            await s.enqueue(ALICE, [msg(BOB, "z")], NOW)  # exactly at both caps
            assert await s.queue_size(BOB) == (3, 5)

    asyncio.run(body())


POISON = """
CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.payload = 'poison' THEN RAISE EXCEPTION 'refused at commit'; END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER poison AFTER INSERT ON queue
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION poison();
"""


def test_a_failed_commit_fails_every_caller_of_its_batch_and_stores_none(pg_dsn: str) -> None:
    async def body() -> None:
        async with started(pg_dsn) as (s, woken):
            async with await psycopg.AsyncConnection.connect(pg_dsn, autocommit=True) as admin:
                await admin.execute(POISON)
            await s.enqueue(DAVE, [msg(DAVE, "lock")], NOW)
            ids = [m.queue_id for m in await s.fetch(DAVE, 0, 10)]
            async with holding(pg_dsn, DAVE):
                blocker = asyncio.ensure_future(s.enqueue(CAROL, [msg(DAVE, "d")], NOW))
                await until_waiting(pg_dsn)
                tasks = [
                    asyncio.ensure_future(s.enqueue(ALICE, [msg(BOB, "fine")], NOW)),
                    asyncio.ensure_future(s.enqueue(ALICE, [msg(CAROL, "poison")], NOW)),
                    asyncio.ensure_future(s.ack(DAVE, ids)),
                    asyncio.ensure_future(s.enqueue(CAROL, [msg(BOB, "fine too")], NOW)),
                ]
                await asyncio.sleep(0.05)
            await blocker
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, StorageUnavailable) for r in results), results
            assert await payloads(s, BOB) == []
            assert await payloads(s, CAROL) == []
            assert await payloads(s, DAVE) == [b"lock", b"d"]  # the ack is undone too
            assert await s.queue_size(BOB) == (0, 0)
            assert await s.queue_size(DAVE) == (2, 5)
            assert await s.sender_queue_size(BOB, ALICE) == (0, 0)
            assert BOB not in woken
            # the node goes on: the next batch commits
            await s.enqueue(ALICE, [msg(BOB, "later")], NOW)
            assert await payloads(s, BOB) == [b"later"]

    asyncio.run(body())


def test_a_cancelled_caller_loses_and_duplicates_nothing_of_its_batch(pg_dsn: str) -> None:
    async def body() -> None:
        async with started(pg_dsn) as (s, woken):
            await s.enqueue(DAVE, [msg(DAVE, "lock")], NOW)
            async with holding(pg_dsn, DAVE):
                # one batch: all four are taken before it reaches the held row
                tasks = [
                    asyncio.ensure_future(s.enqueue(ALICE, [msg(BOB, "b1"), msg(DAVE, "d1")], NOW)),
                    asyncio.ensure_future(s.enqueue(ALICE, [msg(CAROL, "c1")], NOW)),
                    asyncio.ensure_future(s.enqueue(CAROL, [msg(BOB, "b2")], NOW)),
                    asyncio.ensure_future(s.enqueue_each(BOB, [[msg(CAROL, "c2")]], NOW)),
                ]
                await until_waiting(pg_dsn)
                tasks[1].cancel()
                tasks[3].cancel()
                await asyncio.sleep(0.05)
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert results[0] is None and results[2] is None
            assert isinstance(results[1], asyncio.CancelledError)
            assert isinstance(results[3], asyncio.CancelledError)
            # the batch committed once: every send exactly once, the cancelled ones too
            assert await payloads(s, BOB) == [b"b1", b"b2"]
            assert await payloads(s, CAROL) == [b"c1", b"c2"]
            assert await payloads(s, DAVE) == [b"lock", b"d1"]
            assert await s.queue_size(CAROL) == (2, 4)
            # a cancelled caller's recipients are woken all the same
            assert {BOB, CAROL, DAVE} <= set(woken)
            assert woken.count(CAROL) == 1

    asyncio.run(body())


def test_acks_share_the_batch_and_each_counts_its_own(pg_dsn: str) -> None:
    async def body() -> None:
        async with started(pg_dsn) as (s, _woken):
            await s.enqueue(ALICE, [msg(BOB, "b1"), msg(BOB, "b2"), msg(CAROL, "c1")], NOW)
            await s.enqueue(DAVE, [msg(BOB, "b3"), msg(DAVE, "lock")], NOW)
            bob = [m.queue_id for m in await s.fetch(BOB, 0, 10)]
            carol = [m.queue_id for m in await s.fetch(CAROL, 0, 10)]
            async with holding(pg_dsn, DAVE):
                blocker = asyncio.ensure_future(s.enqueue(CAROL, [msg(DAVE, "d")], NOW))
                await until_waiting(pg_dsn)
                tasks = [
                    asyncio.ensure_future(s.ack(BOB, bob[:2])),
                    asyncio.ensure_future(s.ack(BOB, bob[1:])),  # bob[1] is the first's
                    asyncio.ensure_future(s.ack(CAROL, bob + carol)),  # only carol's own
                    asyncio.ensure_future(s.enqueue(ALICE, [msg(BOB, "b4")], NOW)),
                ]
                await asyncio.sleep(0.05)
                commits = s.commit_count
            await blocker
            assert await asyncio.gather(*tasks) == [2, 1, 1, None]
            assert s.commit_count - commits == 2
            assert await payloads(s, BOB) == [b"b4"]
            assert await payloads(s, CAROL) == []
            assert await s.queue_size(BOB) == (1, 2)
            assert await s.sender_queue_size(BOB, ALICE) == (1, 2)
            assert await s.sender_queue_size(BOB, DAVE) == (0, 0)
            assert await s.sender_queue_size(CAROL, ALICE) == (0, 0)

    asyncio.run(body())


def test_a_deadlocked_batch_is_retried_whole_and_stored_once(
    pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body() -> None:
        async with started(pg_dsn) as (s, _woken):
            await s.enqueue(ALICE, [msg(CAROL, "c1")], NOW)
            carol = [m.queue_id for m in await s.fetch(CAROL, 0, 10)]
            write = s._batch._write
            calls = 0

            async def deadlocking(conn: Any, batch: Any) -> Any:
                nonlocal calls
                calls += 1
                outcome = await write(conn, batch)  # everything written, then the deadlock
                if calls == 1:
                    raise errors.DeadlockDetected("deadlock detected")
                return outcome

            monkeypatch.setattr(s._batch, "_write", deadlocking)
            results = await asyncio.gather(
                s.enqueue(ALICE, [msg(BOB, "b1")], NOW),
                s.ack(CAROL, carol),
                s.enqueue(DAVE, [msg(BOB, "b2"), msg(CAROL, "c2")], NOW),
            )
            assert calls == 2
            assert results == [None, 1, None]
            assert await payloads(s, BOB) == [b"b1", b"b2"]
            assert await payloads(s, CAROL) == [b"c2"]
            assert await s.queue_size(CAROL) == (1, 2)

    asyncio.run(body())


def test_two_nodes_sending_across_each_other_neither_deadlock_nor_miscount(pg_dsn: str) -> None:
    """Batches on two nodes lock recipients in one (sorted) order."""
    people = [device(f"p{i}") for i in range(6)]

    async def body() -> None:
        async with started(pg_dsn) as (a, _), started(pg_dsn) as (b, _):

            async def sender(node: PostgresStorage, i: int) -> None:
                me = people[i]
                for n in range(20):
                    to = [people[(i + k) % 6] for k in (1, 2, 3)]
                    if n % 2:
                        to.reverse()
                    await node.enqueue(me, [msg(t, f"{i}:{n}") for t in to], NOW)

            await asyncio.gather(*(sender(a if i % 2 else b, i) for i in range(6)))
            assert sum(a.commit_count for a in (a, b)) < 120
            for p in people:
                got = await a.fetch(p, 0, 1000)
                assert len(got) == 60
                assert await b.queue_size(p) == (60, sum(len(m.payload) for m in got))
                for i in range(6):
                    mine = [m.payload for m in got if m.sender == people[i]]
                    assert mine == [f"{i}:{n}".encode() for n in range(20)] or mine == []

    asyncio.run(body())
