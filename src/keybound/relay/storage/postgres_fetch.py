"""Grouped reads of queues: the fetches of one node that arrive together, in one statement.

Once sends were batched (:mod:`.postgres_batch`), the relay's CPU went to
fetching: every commit wakes each of its recipients, and each woken
connection ran its own SELECT (a pool checkout and a round trip, most of
the cost being the driver's per-statement work).  Here fetches queue up
while up to ``in_flight`` reads run; the next read takes all of them and
answers them with one statement (a LATERAL join, each recipient's rows by
its own index range, ``LIMIT`` per recipient).

A fetch sees every commit that finished before it was called (its
statement starts later, with a fresher snapshot), which is what a woken
connection needs.  Nothing here writes, so there is no order to keep
between reads; a failed read fails the fetches it carried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from keybound.relay.storage.common import device_from_key
from keybound.wire.frames import DeviceAddress, Incoming

log = logging.getLogger(__name__)

Conn = AsyncConnection[Any]
MAX_FETCHES = 200  # fetches per statement

_FETCH = (
    "SELECT f.i, q.queue_id, q.sender, q.received_ms, q.payload"
    " FROM unnest(%b::bytea[], %b::bigint[], %b::bigint[]) WITH ORDINALITY"
    "  AS f (recipient, after_id, n, i)"
    " CROSS JOIN LATERAL (SELECT queue_id, sender, received_ms, payload FROM queue"
    "  WHERE recipient = f.recipient AND queue_id > f.after_id ORDER BY queue_id LIMIT f.n) q"
    " ORDER BY f.i, q.queue_id"
)


@dataclass(eq=False)
class _Fetch:
    recipient: bytes
    after: int
    limit: int
    max_bytes: int | None
    future: asyncio.Future[list[Incoming]]


class GroupedFetch:
    """Batches :meth:`fetch` calls (see the module docstring).

    ``run`` executes a function of a connection with the storage's error
    mapping and retries (``PostgresStorage._tx``)."""

    def __init__(
        self,
        run: Callable[[Callable[[Conn], Awaitable[list[tuple[Any, ...]]]]], Awaitable[Any]],
        in_flight: int = 2,
    ) -> None:
        self._run = run
        self._in_flight = in_flight
        self._pending: list[_Fetch] = []
        self._running: set[asyncio.Task[None]] = set()
        self.statements = 0  # reads run (observable: the grouping)

    async def fetch(
        self, recipient: bytes, after: int, limit: int, max_bytes: int | None
    ) -> list[Incoming]:
        job = _Fetch(recipient, after, limit, max_bytes, asyncio.get_running_loop().create_future())
        self._pending.append(job)
        self._start()
        return await job.future

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending and len(self._running) < self._in_flight:
            batch, self._pending = self._pending[:MAX_FETCHES], self._pending[MAX_FETCHES:]
            task = loop.create_task(self._read(batch))
            self._running.add(task)

    async def _read(self, batch: list[_Fetch]) -> None:
        try:
            # a fetch queued while another read ran joins this one: yield once
            # so the callers woken by the same commit all get in
            await asyncio.sleep(0)
            batch += self._pending[: MAX_FETCHES - len(batch)]
            del self._pending[: len(batch)]
            rows = await self._run(lambda conn: _select(conn, batch))
        except BaseException as exc:
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            self.statements += 1
            _answer(batch, rows)
        finally:
            me = asyncio.current_task()
            if me is not None:
                self._running.discard(me)
            if self._pending:
                self._start()


async def _select(conn: Conn, batch: list[_Fetch]) -> list[tuple[Any, ...]]:
    cursor = await conn.execute(
        _FETCH,
        ([j.recipient for j in batch], [j.after for j in batch], [j.limit for j in batch]),
        binary=True,  # results as bytes and ints, no text parsing
    )
    return await cursor.fetchall()


def _answer(batch: list[_Fetch], rows: list[tuple[Any, ...]]) -> None:
    """Each fetch its rows, oldest first, cut after the one that reaches its byte budget."""
    out: list[list[Incoming]] = [[] for _ in batch]
    totals = [0] * len(batch)
    senders: dict[bytes, DeviceAddress] = {}
    for i, qid, sender, received, payload in rows:
        at = int(i) - 1
        job = batch[at]
        if job.max_bytes is not None and out[at] and totals[at] >= job.max_bytes:
            continue
        sender = bytes(sender)
        address = senders.get(sender)
        if address is None:
            address = senders[sender] = device_from_key(sender)
        out[at].append(Incoming(qid, address, received, bytes(payload)))
        totals[at] += len(payload)
    for job, messages in zip(batch, out, strict=True):
        if not job.future.done():
            job.future.set_result(messages)
