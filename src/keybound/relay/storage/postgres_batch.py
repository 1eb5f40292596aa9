"""Group commit for PostgreSQL: the sends and acks of one node, many per transaction.

A send committed alone costs its own transaction: BEGIN, three statements,
COMMIT and a WAL flush, and on the relay's side the driver's CPU for each
of those round trips, which is what bounded a PostgreSQL node.  Here, as in
the SQLite writer (:mod:`.sqlite_writer`), every send and ack is a *job*;
one task per node takes the first waiting job and every job that queued up
meanwhile and stores them all in one transaction, with a fixed number of
set-based statements whatever the batch's size:

1. the acks' DELETE (each ack only its own recipient's rows);
2. one upsert of ``queue_stats`` for every recipient the batch touches, in
   sorted key order (the lock order every writer keeps), adding all sends'
   demand and taking off what the acks deleted; it returns the new totals;
3. the acks' release of their senders' shares (``sender_stats``);
4. one upsert of ``sender_stats`` adding every send's share, returning the
   new shares;
5. the queue rows of the accepted sends, and their NOTIFY.

From the totals of steps 2 and 4 (minus the batch's own demand: the state
before it, with every row locked) each send is checked in arrival order
against the per-recipient and per-sender caps, exactly as if it ran alone
after the sends ahead of it; a refused send's demand is taken back before
the rows are inserted, so it fails alone (:class:`QueueFull`) and the
others are stored.  Acks count as done before the batch's sends.

Every caller hears its outcome only after the commit (durability before the
``sent`` ack); a commit that fails fails every caller of the batch and
stores none; a deadlock or serialisation failure retries the whole batch.
Only one batch is in flight per node, so a node's writes commit in the order
they were submitted (``ordered_writes``), and a batch is whatever arrived
while the previous one committed: a lone send waits for nothing extra.  A
caller cancelled after submitting does not take its job back (it may
commit); its recipients are woken all the same.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import AsyncConnection, errors
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from keybound.relay.storage.base import Limits, StorageUnavailable
from keybound.relay.storage.common import first_full, first_sender_full

log = logging.getLogger(__name__)

Conn = AsyncConnection[Any]
Row = tuple[bytes, bytes, int, int, bytes]  # recipient, sender, received, expires, payload
Counts = tuple[int, int]  # messages, bytes

RETRIES = 5
RETRYABLE = (errors.DeadlockDetected, errors.SerializationFailure)
MAX_JOBS = 500  # jobs per transaction
MAX_BYTES = 8 * 1024 * 1024  # payload bytes per transaction (the first job always fits)


@dataclass(eq=False)
class SendJob:
    """One send: its rows, and (messages, bytes) per recipient key in message order."""

    sender: bytes
    demand: dict[bytes, Counts]
    rows: list[Row]
    future: asyncio.Future[None]


@dataclass(eq=False)
class AckJob:
    """One ack: the recipient key and the queue ids it acknowledges."""

    recipient: bytes
    queue_ids: list[int]
    future: asyncio.Future[int]
    deleted: int = 0


Job = SendJob | AckJob


@dataclass
class _Outcome:
    """What one transaction did: per send job None or its refusal, the
    recipients to wake."""

    refused: dict[int, Exception] = field(default_factory=dict)  # id(job) -> error
    woken: list[bytes] = field(default_factory=list)


class GroupCommit:
    """The batching writer of one node (see the module docstring)."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        limits: Limits,
        notify: Callable[[], tuple[str, str]],
        wakeup: Callable[[Iterable[bytes]], None],
        max_jobs: int = MAX_JOBS,
    ) -> None:
        if max_jobs < 1:
            raise ValueError("max_jobs must be at least 1")
        self._max_jobs = max_jobs
        self._pool = pool
        self._limits = limits
        self._notify = notify  # (channel, node): known only once the storage started
        self._wakeup = wakeup
        self._pending: list[Job] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.commits = 0  # transactions committed (observable: the batching)
        self.jobs = 0  # jobs in them

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="relay-pg-writer")

    async def close(self) -> None:
        """Store what was submitted, then stop."""
        self._closing = True
        self._ready.set()
        if self._task is not None:
            await self._task

    def send(self, sender: bytes, demand: dict[bytes, Counts], rows: list[Row]) -> SendJob:
        """Queue a send for the next batch; await ``job.future`` for its outcome.

        Queued synchronously, so sends submitted in one order are stored in it."""
        job = SendJob(sender, demand, rows, self._future())
        self._submit(job)
        return job

    def ack(self, recipient: bytes, queue_ids: list[int]) -> AckJob:
        job = AckJob(recipient, queue_ids, self._future())
        self._submit(job)
        return job

    def _future(self) -> asyncio.Future[Any]:
        if self._closing or self._task is None or self._task.done():
            raise StorageUnavailable("the relay storage is not running")
        return asyncio.get_running_loop().create_future()

    def _submit(self, job: Job) -> None:
        self._pending.append(job)
        self._ready.set()

    # --- the writer task ---

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            if not self._pending:
                if self._closing:
                    return
                self._ready.clear()
                continue
            batch = self._take()
            try:
                await self._store(batch)
            except BaseException as exc:  # cancelled (the loop is going away), or a bug
                error = StorageUnavailable("the relay database could not store the request")
                _fail(batch, error)
                if not isinstance(exc, Exception):
                    _fail(self._pending, error)  # nobody is left to store them
                    raise
                log.exception("relay batch failed")

    def _take(self) -> list[Job]:
        size = 0
        n = 0
        for job in self._pending:
            if n == self._max_jobs or (n and size > MAX_BYTES):
                break
            if isinstance(job, SendJob):
                size += sum(len(row[4]) for row in job.rows)
            n += 1
        batch, self._pending = self._pending[:n], self._pending[n:]
        return batch

    async def _store(self, batch: list[Job]) -> None:
        for attempt in range(RETRIES):
            for job in batch:
                if isinstance(job, AckJob):
                    job.deleted = 0
            try:
                async with self._pool.connection() as conn, conn.transaction():
                    outcome = await self._write(conn, batch)
            except RETRYABLE:
                if attempt == RETRIES - 1:
                    _fail(batch, StorageUnavailable("the relay database is too busy"))
                    return
                await asyncio.sleep(random.uniform(0.001, 0.02) * (attempt + 1))  # noqa: S311
                continue
            except (psycopg.Error, PoolTimeout) as exc:
                log.error("relay database error: %s", exc)
                error = StorageUnavailable("the relay database is unavailable")
                error.__cause__ = exc
                _fail(batch, error)
                return
            self.commits += 1
            self.jobs += len(batch)
            self._deliver(batch, outcome)
            return

    def _deliver(self, batch: list[Job], outcome: _Outcome) -> None:
        """After the commit: wake the recipients (even of a cancelled caller:
        its send is stored), then answer each caller."""
        if outcome.woken:
            self._wakeup(outcome.woken)
        for job in batch:
            if job.future.done():
                continue  # the caller was cancelled
            if isinstance(job, AckJob):
                job.future.set_result(job.deleted)
            elif (error := outcome.refused.get(id(job))) is not None:
                job.future.set_exception(error)
            else:
                job.future.set_result(None)

    async def _write(self, conn: Conn, batch: list[Job]) -> _Outcome:
        sends = [job for job in batch if isinstance(job, SendJob)]
        acks = [job for job in batch if isinstance(job, AckJob)]
        released, released_shares = await _delete_acked(conn, acks)
        # every recipient's net change, one upsert in key order: this takes the locks
        demand: dict[bytes, list[int]] = {}
        for send in sends:
            for key, (count, size) in send.demand.items():
                d = demand.setdefault(key, [0, 0])
                d[0] += count
                d[1] += size
        delta: dict[bytes, list[int]] = {k: [c, b] for k, (c, b) in demand.items()}
        for key, (count, size) in released.items():
            d = delta.setdefault(key, [0, 0])
            d[0] -= count
            d[1] -= size
        totals = await _add_counts(conn, delta)
        await _release_shares(conn, released_shares)
        if not sends:
            return _Outcome()
        share_demand: dict[tuple[bytes, bytes], list[int]] = {}
        for send in sends:
            for key, (count, size) in send.demand.items():
                d = share_demand.setdefault((key, send.sender), [0, 0])
                d[0] += count
                d[1] += size
        shares = await _add_shares(conn, share_demand)
        outcome = self._check(sends, totals, demand, shares, share_demand)
        if outcome.refused:
            await _take_back(conn, [s for s in sends if id(s) in outcome.refused])
        accepted = [s for s in sends if id(s) not in outcome.refused]
        channel, node = self._notify()
        await _insert(conn, [row for s in accepted for row in s.rows], channel, node, outcome.woken)
        return outcome

    def _check(
        self,
        sends: list[SendJob],
        totals: dict[bytes, Counts],
        demand: dict[bytes, list[int]],
        shares: dict[tuple[bytes, bytes], Counts],
        share_demand: dict[tuple[bytes, bytes], list[int]],
    ) -> _Outcome:
        """Each send against the caps, in arrival order, from the state before
        the batch's sends: as strict as storing them one by one."""
        queue = {k: (totals[k][0] - d[0], totals[k][1] - d[1]) for k, d in demand.items()}
        share = {k: (shares[k][0] - d[0], shares[k][1] - d[1]) for k, d in share_demand.items()}
        outcome = _Outcome()
        woken: dict[bytes, None] = {}
        for send in sends:
            after = {k: (queue[k][0] + c, queue[k][1] + b) for k, (c, b) in send.demand.items()}
            mine = {
                k: (share[k, send.sender][0] + c, share[k, send.sender][1] + b)
                for k, (c, b) in send.demand.items()
            }
            full = first_full(self._limits, send.demand, after) or first_sender_full(
                self._limits, send.demand, mine
            )
            if full is not None:
                outcome.refused[id(send)] = full
                continue
            queue.update(after)
            share.update({(k, send.sender): v for k, v in mine.items()})
            woken.update(dict.fromkeys(send.demand))
        outcome.woken = list(woken)
        return outcome


def _fail(batch: list[Job], error: Exception) -> None:
    for job in batch:
        if not job.future.done():
            job.future.set_exception(error)


# --- the statements -------------------------------------------------------------------

_DELETE_ACKED = (
    "DELETE FROM queue q USING unnest(%b::bytea[], %b::bigint[]) AS a (recipient, queue_id)"
    " WHERE q.recipient = a.recipient AND q.queue_id = a.queue_id"
    " RETURNING q.recipient, q.queue_id, q.sender, length(q.payload)"
)
# Adds to recipients' counters in key order (the lock order), returning the totals.
_ADD_COUNTS = (
    "INSERT INTO queue_stats (recipient, messages, bytes)"
    " SELECT * FROM unnest(%b::bytea[], %b::bigint[], %b::bigint[]) ORDER BY 1"
    " ON CONFLICT (recipient) DO UPDATE SET"
    " messages = queue_stats.messages + excluded.messages,"
    " bytes = queue_stats.bytes + excluded.bytes"
    " RETURNING recipient, messages, bytes"
)
# Run only while the recipients' queue_stats rows are locked.
_ADD_SHARES = (
    "INSERT INTO sender_stats (recipient, sender, messages, bytes)"
    " SELECT * FROM unnest(%b::bytea[], %b::bytea[], %b::bigint[], %b::bigint[]) ORDER BY 1, 2"
    " ON CONFLICT (recipient, sender) DO UPDATE SET"
    " messages = sender_stats.messages + excluded.messages,"
    " bytes = sender_stats.bytes + excluded.bytes"
    " RETURNING recipient, sender, messages, bytes"
)
# Takes messages off shares, deleting a share that reaches zero (the rows are
# disjoint: each share is either updated or deleted).
_RELEASE_SHARES = (
    "WITH v AS (SELECT * FROM unnest(%b::bytea[], %b::bytea[], %b::bigint[], %b::bigint[])"
    "  AS v (recipient, sender, messages, bytes)),"
    " u AS (UPDATE sender_stats s SET messages = s.messages - v.messages,"
    "  bytes = s.bytes - v.bytes FROM v"
    "  WHERE s.recipient = v.recipient AND s.sender = v.sender AND s.messages > v.messages"
    "  RETURNING 1)"
    " DELETE FROM sender_stats s USING v"
    " WHERE s.recipient = v.recipient AND s.sender = v.sender AND s.messages <= v.messages"
)
_TAKE_BACK = (
    "UPDATE queue_stats s SET messages = s.messages - v.messages, bytes = s.bytes - v.bytes"
    " FROM unnest(%b::bytea[], %b::bigint[], %b::bigint[]) AS v (recipient, messages, bytes)"
    " WHERE s.recipient = v.recipient"
)
# The rows in arrival order (queue ids follow it), then one NOTIFY per recipient
# (delivered on commit only).
_INSERT = (
    "WITH i AS (INSERT INTO queue (recipient, sender, received_ms, expires_ms, payload)"
    "  SELECT * FROM unnest(%b::bytea[], %b::bytea[], %b::bigint[], %b::bigint[], %b::bytea[]))"
    " SELECT pg_notify(%s, p) FROM unnest(%b::text[]) AS p"
)


async def _delete_acked(
    conn: Conn, acks: list[AckJob]
) -> tuple[dict[bytes, Counts], dict[tuple[bytes, bytes], Counts]]:
    """Delete the acknowledged rows, crediting each to the first ack that named
    it; (messages, bytes) deleted per recipient and per (recipient, sender)."""
    owner: dict[tuple[bytes, int], AckJob] = {}
    for ack in acks:
        for queue_id in ack.queue_ids:
            owner.setdefault((ack.recipient, queue_id), ack)
    if not owner:
        return {}, {}
    cursor = await conn.execute(
        _DELETE_ACKED,
        ([r for r, _ in owner], [q for _, q in owner]),
        binary=True,  # results as bytes and ints, no text parsing
    )
    per: dict[bytes, Counts] = {}
    shares: dict[tuple[bytes, bytes], Counts] = {}
    for recipient, queue_id, sender, n in await cursor.fetchall():
        recipient, sender = bytes(recipient), bytes(sender)
        owner[recipient, queue_id].deleted += 1
        c, b = per.get(recipient, (0, 0))
        per[recipient] = (c + 1, b + n)
        c, b = shares.get((recipient, sender), (0, 0))
        shares[recipient, sender] = (c + 1, b + n)
    return per, shares


async def _add_counts(conn: Conn, delta: dict[bytes, list[int]]) -> dict[bytes, Counts]:
    if not delta:
        return {}
    keys = sorted(delta)
    cursor = await conn.execute(
        _ADD_COUNTS,
        (keys, [delta[k][0] for k in keys], [delta[k][1] for k in keys]),
        binary=True,  # results as bytes and ints, no text parsing
    )
    return {bytes(r): (int(m), int(b)) for r, m, b in await cursor.fetchall()}


async def _add_shares(
    conn: Conn, demand: dict[tuple[bytes, bytes], list[int]]
) -> dict[tuple[bytes, bytes], Counts]:
    keys = sorted(demand)
    cursor = await conn.execute(
        _ADD_SHARES,
        (
            [r for r, _ in keys],
            [s for _, s in keys],
            [demand[k][0] for k in keys],
            [demand[k][1] for k in keys],
        ),
        binary=True,  # results as bytes and ints, no text parsing
    )
    return {(bytes(r), bytes(s)): (int(m), int(b)) for r, s, m, b in await cursor.fetchall()}


async def _release_shares(conn: Conn, shares: dict[tuple[bytes, bytes], Counts]) -> None:
    if not shares:
        return
    keys = sorted(shares)
    await conn.execute(
        _RELEASE_SHARES,
        (
            [r for r, _ in keys],
            [s for _, s in keys],
            [shares[k][0] for k in keys],
            [shares[k][1] for k in keys],
        ),
    )


async def _take_back(conn: Conn, refused: list[SendJob]) -> None:
    """Undo the counting of refused sends (their rows stay locked by this
    transaction, so nobody saw the counts in between)."""
    per: dict[bytes, Counts] = {}
    shares: dict[tuple[bytes, bytes], Counts] = {}
    for send in refused:
        for key, (count, size) in send.demand.items():
            c, b = per.get(key, (0, 0))
            per[key] = (c + count, b + size)
            c, b = shares.get((key, send.sender), (0, 0))
            shares[key, send.sender] = (c + count, b + size)
    keys = sorted(per)
    await conn.execute(_TAKE_BACK, (keys, [per[k][0] for k in keys], [per[k][1] for k in keys]))
    await _release_shares(conn, shares)


async def _insert(
    conn: Conn, rows: list[Row], channel: str, node: str, recipients: list[bytes]
) -> None:
    if not rows:
        return
    columns = [list(column) for column in zip(*rows, strict=True)]
    await conn.execute(
        _INSERT,
        (*columns, channel, [f"{node}:{k.hex()}" for k in recipients]),
    )
