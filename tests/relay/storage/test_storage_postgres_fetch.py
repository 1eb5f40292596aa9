"""PostgreSQL grouped fetches (storage/postgres_fetch.py): fetches that arrive
together share one statement, and each gets exactly what a fetch alone would."""

from __future__ import annotations

import asyncio

from keybound.relay.storage.base import Limits, QueuedMessage
from keybound.relay.storage.postgres import PostgresStorage
from keybound.wire.frames import Incoming
from tests.relay.storage.conftest import device

ALICE = device("alice")
NOW = 1_700_000_000_000


def test_concurrent_fetches_share_statements_and_each_gets_its_own(pg_dsn: str) -> None:
    people = [device(f"r{i}") for i in range(8)]

    async def body() -> None:
        s = PostgresStorage(pg_dsn, Limits(), pool_size=3)
        await s.start(lambda _: None)
        try:
            for n in range(6):
                await s.enqueue_each(
                    ALICE,
                    [[QueuedMessage(p, b"%d:%d" % (i, n) * (n + 1))] for i, p in enumerate(people)],
                    NOW,
                )
            alone = [await s.fetch(p, 0, 100) for p in people]
            cursor = alone[0][1].queue_id
            calls: list[tuple[int, int, int, int | None]] = [
                (i, after, limit, max_bytes)
                for i in range(len(people))
                for after, limit, max_bytes in [
                    (0, 100, None),
                    (0, 2, None),
                    (cursor, 100, None),  # after another recipient's id: still in order
                    (0, 100, 9),  # cut after the message that reaches 9 bytes
                    (0, 100, 0),  # at least one
                    (alone[i][-1].queue_id, 10, None),  # nothing newer
                ]
            ]
            before = s._reads.statements
            grouped = await asyncio.gather(
                *(s.fetch(people[i], after, limit, mb) for i, after, limit, mb in calls)
            )
            assert s._reads.statements - before < len(calls) / 4
            for (i, after, limit, max_bytes), got in zip(calls, grouped, strict=True):
                assert got == expected(alone[i], after, limit, max_bytes)
            assert [len(g) for g in grouped[:6]] == [6, 2, 4, 2, 1, 0]  # r0: the sums above
        finally:
            await s.close()

    asyncio.run(body())


def expected(all_: list[Incoming], after: int, limit: int, max_bytes: int | None) -> list[Incoming]:
    out: list[Incoming] = []
    total = 0
    for m in [m for m in all_ if m.queue_id > after][:limit]:
        out.append(m)
        total += len(m.payload)
        if max_bytes is not None and total >= max_bytes:
            break
    return out
