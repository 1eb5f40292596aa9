"""The shared backend: any number of relay nodes on one PostgreSQL database.

Same guarantees as the SQLite backend, across processes:

- ``enqueue`` commits (``synchronous_commit`` at least ``on``/``local``) before
  it returns, and in the same transaction NOTIFYs every node
  (:mod:`.postgres_listener`), so a recipient connected to another node is
  woken as soon as its messages are visible.  Sends and acks arriving
  together share one transaction (group commit, :mod:`.postgres_batch`),
  each with its own outcome.
- Caps hold across nodes: the per-device ``queue_stats`` row is updated and
  checked in the sending transaction, and its row lock orders concurrent
  sends to one device, which also keeps queue ids increasing in commit order
  per device (a reader never sees id 11 before id 10 appears).  Rows are
  locked in sorted key order, so two sends (or batches) sharing recipients
  cannot deadlock.
- A one-time key is claimed with ``DELETE … WHERE key_id = (SELECT … FOR
  UPDATE SKIP LOCKED LIMIT 1) RETURNING``: two nodes never get the same key,
  and neither waits for the other.
- Every hot-path statement filters on one device key first (see
  :mod:`.postgres_schema` for the indices); only the expiry sweep spans
  devices.

Deadlocks and serialisation failures (rare; from the sweep) are retried.
Connection failures become :class:`StorageUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection, errors
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from keybound.relay.storage import postgres_schema
from keybound.relay.storage.base import (
    ChainConflict,
    ClaimResult,
    InvalidBlobRequest,
    KeyCounts,
    Limits,
    NotFound,
    PqClaimResult,
    QueuedMessage,
    QuotaExceeded,
    RelayStorage,
    Resync,
    StorageError,
    StorageUnavailable,
    StoredChain,
    Wakeup,
)
from keybound.relay.storage.common import (
    EXPIRE_BATCH,
    PQ_TOMBSTONE,
    call_wakeup,
    chain_tokens,
    check_blob_size,
    check_range,
    counts,
    device_key,
    new_id,
    queue_demand,
)
from keybound.relay.storage.postgres_batch import MAX_JOBS, GroupCommit
from keybound.relay.storage.postgres_fetch import GroupedFetch
from keybound.relay.storage.postgres_listener import Listener
from keybound.wire.frames import MAX_BLOB_CHUNK, DeviceAddress, Incoming, SignedKey, SignedPqKey

log = logging.getLogger(__name__)

T = TypeVar("T")
Conn = AsyncConnection[Any]

DEFAULT_LIMITS = Limits()
RETRIES = 5
_RETRYABLE = (errors.DeadlockDetected, errors.SerializationFailure)
DIGEST_PAGE = 8  # chunks per round trip while hashing an upload


class PostgresStorage(RelayStorage):
    """Relay storage in the PostgreSQL database (and schema) that ``dsn`` names."""

    def __init__(
        self,
        dsn: str,
        limits: Limits = DEFAULT_LIMITS,
        *,
        pool_size: int = 10,
        connect_timeout: float = 30.0,
        max_batch: int = MAX_JOBS,
    ) -> None:
        self.dsn = dsn
        self.limits = limits
        self._connect_timeout = connect_timeout  # start() waits this long for the server
        self.node = secrets.token_hex(8)  # tells our own notifications apart
        self.channel = ""
        self._pool = AsyncConnectionPool(
            dsn,
            min_size=1,
            max_size=pool_size,
            open=False,
            kwargs={"autocommit": True},
            configure=_configure,
            timeout=30,
        )
        self._listener: Listener | None = None
        self._wakeup: Wakeup | None = None
        self._batch = GroupCommit(
            self._pool,
            limits,
            lambda: (self.channel, self.node),
            lambda keys: call_wakeup(self._wakeup, keys),
            max_batch,
        )
        self._reads = GroupedFetch(lambda fn: self._tx(fn, transaction=False))
        self._running = False
        self._inflight = 0
        self._idle = asyncio.Event()

    # --- lifecycle ---

    async def start(self, wakeup: Wakeup, resync: Resync | None = None) -> None:
        self._wakeup = wakeup
        try:
            await self._pool.open(wait=True, timeout=self._connect_timeout)
            async with self._pool.connection() as conn:
                await postgres_schema.migrate(conn)
                cursor = await conn.execute("SELECT current_schema()")
                row = await cursor.fetchone()
        except (psycopg.Error, PoolTimeout) as exc:
            await self._pool.close()
            raise StorageUnavailable("cannot open the relay database") from exc
        schema = str(row[0]) if row else "public"
        # one channel per schema: deployments sharing a database don't wake each other
        self.channel = "keybound_" + hashlib.sha256(schema.encode()).hexdigest()[:16]
        self._listener = Listener(self.dsn, self.channel, self._on_notify, resync)
        try:
            await self._listener.start()
        except BaseException:
            await self._pool.close()
            raise
        self._batch.start()
        self._running = True

    async def close(self) -> None:
        self._running = False
        while self._inflight:
            self._idle.clear()
            await self._idle.wait()
        await self._batch.close()
        if self._listener is not None:
            await self._listener.close()
        await self._pool.close()

    def _on_notify(self, payload: str) -> None:
        node, _, recipient = payload.partition(":")
        if node == self.node:
            return  # woken locally right after the commit
        try:
            key = bytes.fromhex(recipient)
        except ValueError:
            log.warning("ignoring a malformed relay wakeup")
            return
        if key:
            call_wakeup(self._wakeup, [key])

    @property
    def commit_count(self) -> int:
        """Transactions of sends and acks committed so far (each one WAL flush)."""
        return self._batch.commits

    # --- plumbing ---

    @contextlib.asynccontextmanager
    async def _op(self) -> AsyncIterator[None]:
        if not self._running:
            raise StorageUnavailable("the relay storage is not running")
        self._inflight += 1
        try:
            yield
        finally:
            self._inflight -= 1
            if not self._inflight:
                self._idle.set()

    async def _tx(
        self,
        fn: Callable[[Conn], Awaitable[T]],
        *,
        on_unique: Callable[[], StorageError] | None = None,
        transaction: bool = True,
    ) -> T:
        """Run ``fn`` in one transaction, retrying deadlocks; map driver errors.

        ``transaction=False`` for ``fn`` that runs a single statement: on the
        autocommit connection that statement is its own transaction, which
        saves the BEGIN and COMMIT round trips.  (libpq pipeline mode around
        the whole transaction was measured: in psycopg it costs more client
        CPU than the round trips it saves.)
        """
        async with self._op():
            for attempt in range(RETRIES):
                try:
                    async with self._pool.connection() as conn:
                        if not transaction:
                            return await fn(conn)
                        async with conn.transaction():
                            return await fn(conn)
                except _RETRYABLE:
                    if attempt == RETRIES - 1:
                        raise StorageUnavailable("the relay database is too busy") from None
                    await asyncio.sleep(random.uniform(0.001, 0.02) * (attempt + 1))  # noqa: S311
                except errors.UniqueViolation as exc:
                    if on_unique is None:
                        raise StorageUnavailable("the relay database refused a write") from exc
                    raise on_unique() from None
                except (psycopg.Error, PoolTimeout) as exc:
                    log.error("relay database error: %s", exc)
                    raise StorageUnavailable("the relay database is unavailable") from exc
            raise AssertionError("unreachable")  # pragma: no cover

    async def _one(self, query: Any, params: Any) -> tuple[Any, ...] | None:
        async def run(conn: Conn) -> tuple[Any, ...] | None:
            cursor = await conn.execute(query, params)
            return await cursor.fetchone()

        return await self._tx(run, transaction=False)  # one statement: atomic alone

    async def _all(self, query: Any, params: Any) -> list[tuple[Any, ...]]:
        async def run(conn: Conn) -> list[tuple[Any, ...]]:
            cursor = await conn.execute(query, params)
            return await cursor.fetchall()

        return await self._tx(run, transaction=False)  # one statement: atomic alone

    # --- directory ---

    async def get_chain(self, identity_id: bytes) -> StoredChain | None:
        rows = await self._all(
            "SELECT document FROM chain_documents WHERE identity_id = %s ORDER BY version",
            (identity_id,),
        )
        if not rows:
            return None
        return StoredChain(identity_id, tuple(bytes(row[0]) for row in rows))

    async def append_chain(
        self, identity_id: bytes, expected_head: int, documents: Sequence[bytes]
    ) -> None:
        rows = [(identity_id, expected_head + 1 + i, bytes(d)) for i, d in enumerate(documents)]
        tokens = chain_tokens([row[2] for row in rows])

        async def run(conn: Conn) -> None:
            cursor = await conn.execute(
                "SELECT coalesce(max(version), -1) FROM chain_documents WHERE identity_id = %s",
                (identity_id,),
            )
            row = await cursor.fetchone()
            if row is None or row[0] != expected_head:
                raise ChainConflict("the identity chain changed meanwhile")
            async with conn.cursor() as cur:
                # a node racing us to the same version hits the primary key: a conflict
                await cur.executemany(
                    "INSERT INTO chain_documents (identity_id, version, document)"
                    " VALUES (%s, %s, %s)",
                    rows,
                )
            if rows:
                await postgres_schema.index_chain_tokens(conn, identity_id, tokens)

        await self._tx(run, on_unique=lambda: ChainConflict("the identity chain changed meanwhile"))

    async def find_identity_by_token(self, token_id: bytes) -> StoredChain | None:
        async def run(conn: Conn) -> StoredChain | None:
            cursor = await conn.execute(
                "SELECT identity_id FROM identity_tokens WHERE token_id = %s"
                " ORDER BY signed DESC, seq LIMIT 1",
                (token_id,),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            identity_id = bytes(row[0])
            cursor = await conn.execute(
                "SELECT document FROM chain_documents WHERE identity_id = %s ORDER BY version",
                (identity_id,),
            )
            documents = tuple(bytes(d) for (d,) in await cursor.fetchall())
            return StoredChain(identity_id, documents) if documents else None

        return await self._tx(run)

    async def publish_keys(
        self, device: DeviceAddress, one_time: Sequence[SignedKey], fallback: SignedKey | None
    ) -> KeyCounts:
        key = device_key(device)

        async def run(conn: Conn) -> KeyCounts:
            async with conn.cursor() as cur:
                if one_time:
                    await cur.executemany(
                        "INSERT INTO one_time_keys (device, key_id, key, signature)"
                        " SELECT %(d)s, %(i)s, %(k)s, %(s)s WHERE NOT EXISTS"
                        " (SELECT 1 FROM claimed_keys WHERE device = %(d)s AND key_id = %(i)s)"
                        " ON CONFLICT (device, key_id) DO NOTHING",
                        [{"d": key, "i": k.key_id, "k": k.key, "s": k.signature} for k in one_time],
                    )
                    # a claim that committed while we inserted left a tombstone only
                    # this later statement can see: such a key must stay dead
                    await cur.execute(
                        "DELETE FROM one_time_keys o USING claimed_keys c"
                        " WHERE o.device = %s AND c.device = o.device AND c.key_id = o.key_id",
                        (key,),
                    )
                if fallback is not None:
                    await cur.execute(
                        "INSERT INTO fallback_keys (device, key_id, key, signature)"
                        " VALUES (%s, %s, %s, %s) ON CONFLICT (device) DO UPDATE SET"
                        " key_id = excluded.key_id, key = excluded.key,"
                        " signature = excluded.signature",
                        (key, fallback.key_id, fallback.key, fallback.signature),
                    )
                return await _key_counts(cur, key)

        return await self._tx(run)

    async def claim_key(self, target: DeviceAddress) -> ClaimResult | None:
        row = await self._one(
            "WITH c AS ("
            "  DELETE FROM one_time_keys WHERE device = %(d)s AND key_id = ("
            "    SELECT key_id FROM one_time_keys WHERE device = %(d)s"
            "    ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)"
            "  RETURNING key_id, key, signature"
            "), t AS ("
            "  INSERT INTO claimed_keys (device, key_id, claimed_ms)"
            "  SELECT %(d)s, key_id, %(now)s FROM c ON CONFLICT DO NOTHING"
            ")"
            " SELECT key_id, key, signature, false FROM c"
            " UNION ALL"
            " SELECT key_id, key, signature, true FROM fallback_keys"
            "  WHERE device = %(d)s AND NOT EXISTS (SELECT 1 FROM c)",
            {"d": device_key(target), "now": int(time.time() * 1000)},
        )
        if row is None:
            return None
        return ClaimResult(_signed(row), fallback=bool(row[3]))

    async def key_counts(self, device: DeviceAddress) -> KeyCounts:
        key = device_key(device)

        async def run(conn: Conn) -> KeyCounts:
            async with conn.cursor() as cur:
                return await _key_counts(cur, key)

        return await self._tx(run)

    async def publish_pq_keys(
        self,
        device: DeviceAddress,
        one_time: Sequence[SignedPqKey],
        last_resort: SignedPqKey | None,
    ) -> KeyCounts:
        key = device_key(device)

        async def run(conn: Conn) -> KeyCounts:
            async with conn.cursor() as cur:
                if one_time:
                    await cur.executemany(
                        "INSERT INTO pq_one_time_keys (device, key_id, key, signature)"
                        " SELECT %(d)s, %(i)s, %(k)s, %(s)s WHERE NOT EXISTS"
                        " (SELECT 1 FROM claimed_keys WHERE device = %(d)s AND key_id = %(t)s)"
                        " ON CONFLICT (device, key_id) DO NOTHING",
                        [
                            {
                                "d": key,
                                "i": k.key_id,
                                "k": k.key,
                                "s": k.signature,
                                "t": PQ_TOMBSTONE + k.key_id,
                            }
                            for k in one_time
                        ],
                    )
                    # as in publish_keys: a claim that committed meanwhile keeps its key dead
                    await cur.execute(
                        "DELETE FROM pq_one_time_keys o USING claimed_keys c"
                        " WHERE o.device = %s AND c.device = o.device"
                        " AND c.key_id = %s || o.key_id",
                        (key, PQ_TOMBSTONE),
                    )
                if last_resort is not None:
                    await cur.execute(
                        "INSERT INTO pq_last_resort_keys (device, key_id, key, signature)"
                        " VALUES (%s, %s, %s, %s) ON CONFLICT (device) DO UPDATE SET"
                        " key_id = excluded.key_id, key = excluded.key,"
                        " signature = excluded.signature",
                        (key, last_resort.key_id, last_resort.key, last_resort.signature),
                    )
                return await _pq_key_counts(cur, key)

        return await self._tx(run)

    async def claim_pq_key(self, target: DeviceAddress) -> PqClaimResult | None:
        row = await self._one(
            "WITH c AS ("
            "  DELETE FROM pq_one_time_keys WHERE device = %(d)s AND key_id = ("
            "    SELECT key_id FROM pq_one_time_keys WHERE device = %(d)s"
            "    ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)"
            "  RETURNING key_id, key, signature"
            "), t AS ("
            "  INSERT INTO claimed_keys (device, key_id, claimed_ms)"
            "  SELECT %(d)s, %(p)s || key_id, %(now)s FROM c ON CONFLICT DO NOTHING"
            ")"
            " SELECT key_id, key, signature, false FROM c"
            " UNION ALL"
            " SELECT key_id, key, signature, true FROM pq_last_resort_keys"
            "  WHERE device = %(d)s AND NOT EXISTS (SELECT 1 FROM c)",
            {"d": device_key(target), "p": PQ_TOMBSTONE, "now": int(time.time() * 1000)},
        )
        if row is None:
            return None
        key = SignedPqKey(key_id=bytes(row[0]), key=bytes(row[1]), signature=bytes(row[2]))
        return PqClaimResult(key, last_resort=bool(row[3]))

    # --- queues ---

    ordered_writes = True  # one batch in flight per node, batches in submission order

    async def enqueue(
        self, sender: DeviceAddress, messages: Sequence[QueuedMessage], now_ms: int
    ) -> None:
        """Counted, checked and stored in the node's next batch
        (:mod:`.postgres_batch`): its one commit covers every send and ack
        that arrived meanwhile; the recipients are woken after it."""
        if not messages:
            return
        async with self._op():
            job = self._batch.send(*self._prepare(device_key(sender), messages, now_ms))
            await job.future

    async def enqueue_each(
        self, sender: DeviceAddress, sends: Sequence[Sequence[QueuedMessage]], now_ms: int
    ) -> list[Exception | None]:
        """One job per send, all queued at once (so in order, and mostly in one
        transaction): a refused send fails alone."""
        async with self._op():
            key = device_key(sender)
            jobs = [self._batch.send(*self._prepare(key, send, now_ms)) for send in sends if send]
            results = await asyncio.gather(*(job.future for job in jobs), return_exceptions=True)
        outcomes = iter(results)
        out: list[Exception | None] = []
        for send in sends:
            result = next(outcomes) if send else None
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result
            out.append(result)
        return out

    def _prepare(
        self, sender_key: bytes, messages: Sequence[QueuedMessage], now_ms: int
    ) -> tuple[bytes, dict[bytes, tuple[int, int]], list[tuple[bytes, bytes, int, int, bytes]]]:
        """The sender, (messages, bytes) per recipient key in message order, the rows."""
        expires_ms = now_ms + self.limits.message_ttl_ms
        rows = [
            (device_key(m.recipient), sender_key, now_ms, expires_ms, bytes(m.payload))
            for m in messages
        ]
        return sender_key, queue_demand(messages), rows

    async def fetch(
        self,
        recipient: DeviceAddress,
        after_queue_id: int,
        limit: int,
        max_bytes: int | None = None,
    ) -> list[Incoming]:
        """Grouped with the fetches of other connections (:mod:`.postgres_fetch`)."""
        if limit <= 0:
            return []
        async with self._op():
            return await self._reads.fetch(device_key(recipient), after_queue_id, limit, max_bytes)

    async def ack(self, recipient: DeviceAddress, queue_ids: Sequence[int]) -> int:
        """In the node's next batch, with the sends (:mod:`.postgres_batch`)."""
        if not queue_ids:
            return 0
        async with self._op():
            job = self._batch.ack(device_key(recipient), [int(q) for q in queue_ids])
            return await job.future

    async def queue_size(self, recipient: DeviceAddress) -> tuple[int, int]:
        row = await self._one(
            "SELECT messages, bytes FROM queue_stats WHERE recipient = %s",
            (device_key(recipient),),
        )
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    async def sender_queue_size(
        self, recipient: DeviceAddress, sender: DeviceAddress
    ) -> tuple[int, int]:
        row = await self._one(
            "SELECT messages, bytes FROM sender_stats WHERE recipient = %s AND sender = %s",
            (device_key(recipient), device_key(sender)),
        )
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    async def expire(self, now_ms: int) -> int:
        total = 0
        while True:
            removed = await self._tx(lambda conn: _expire_messages(conn, now_ms))
            total += removed
            if removed < EXPIRE_BATCH:
                break
        while True:
            removed = await self._tx(lambda conn: _expire_blobs(conn, now_ms))
            total += removed
            if removed < _BLOB_BATCH:
                break
        before = now_ms - self.limits.message_ttl_ms
        while True:
            row = await self._one(
                "WITH d AS (DELETE FROM claimed_keys WHERE (device, key_id) IN"
                " (SELECT device, key_id FROM claimed_keys WHERE claimed_ms <= %s LIMIT %s)"
                " RETURNING 1) SELECT count(*) FROM d",
                (before, EXPIRE_BATCH),
            )
            if row is None or row[0] < EXPIRE_BATCH:
                break
        return total

    # --- blobs ---

    async def blob_begin(self, owner: DeviceAddress, size: int, now_ms: int) -> bytes:
        check_blob_size(self.limits, size)
        key = device_key(owner)
        upload_id = new_id()
        quota = self.limits.blob_quota_bytes
        expires_ms = now_ms + self.limits.upload_ttl_ms

        async def run(conn: Conn) -> bytes:
            cursor = await conn.execute(
                "INSERT INTO blob_usage (owner, bytes) VALUES (%s, %s) ON CONFLICT (owner)"
                " DO UPDATE SET bytes = blob_usage.bytes + excluded.bytes RETURNING bytes",
                (key, size),
            )
            row = await cursor.fetchone()
            if row is None or row[0] > quota:
                raise QuotaExceeded("the device's attachment storage is full")
            await conn.execute(
                "INSERT INTO blobs (upload_id, owner, size, expires_ms) VALUES (%s, %s, %s, %s)",
                (upload_id, key, size, expires_ms),
            )
            return upload_id

        return await self._tx(run)

    async def blob_write(
        self, owner: DeviceAddress, upload_id: bytes, offset: int, data: bytes
    ) -> None:
        key = device_key(owner)
        data = bytes(data)

        async def run(conn: Conn) -> None:
            cursor = await conn.execute(
                "UPDATE blobs SET written = written + %(n)s"
                " WHERE upload_id = %(u)s AND owner = %(o)s AND blob_id IS NULL"
                " AND written = %(at)s AND written + %(n)s <= size RETURNING ref",
                {"n": len(data), "u": upload_id, "o": key, "at": offset},
            )
            row = await cursor.fetchone()
            if row is None:
                cursor = await conn.execute(
                    "SELECT 1 FROM blobs WHERE upload_id = %s AND owner = %s AND blob_id IS NULL",
                    (upload_id, key),
                )
                if await cursor.fetchone() is None:
                    raise NotFound("no such upload")
                raise InvalidBlobRequest("the chunk does not continue the upload")
            if data:
                await conn.execute(
                    "INSERT INTO blob_chunks (ref, start_at, data) VALUES (%s, %s, %s)",
                    (row[0], offset, data),
                )

        await self._tx(run)

    async def blob_finish(
        self, owner: DeviceAddress, upload_id: bytes, sha256: bytes, now_ms: int
    ) -> tuple[bytes, int]:
        row = await self._one(
            "SELECT ref, size, written FROM blobs"
            " WHERE upload_id = %s AND owner = %s AND blob_id IS NULL",
            (upload_id, device_key(owner)),
        )
        if row is None:
            raise NotFound("no such upload")
        ref, size, written = row
        if written != size:
            raise InvalidBlobRequest("the upload is not complete")
        actual = await self._digest(ref)
        if actual != sha256:
            await self._tx(lambda conn: _drop_blobs(conn, [ref]))
            raise InvalidBlobRequest("the upload does not match its SHA-256")
        blob_id = new_id()
        expires_ms = now_ms + self.limits.blob_ttl_ms
        published = await self._one(
            "UPDATE blobs SET blob_id = %s, sha256 = %s, expires_ms = %s"
            " WHERE ref = %s AND blob_id IS NULL AND written = size RETURNING ref",
            (blob_id, actual, expires_ms, ref),
        )
        if published is None:
            raise NotFound("no such upload")
        return blob_id, expires_ms

    async def _digest(self, ref: int) -> bytes:
        """SHA-256 of an upload's chunks, a few at a time (bounded memory)."""
        h = hashlib.sha256()
        at = -1
        while True:
            rows = await self._all(
                "SELECT start_at, data FROM blob_chunks WHERE ref = %s AND start_at > %s"
                " ORDER BY start_at LIMIT %s",
                (ref, at, DIGEST_PAGE),
            )
            for start, data in rows:
                h.update(data)
                at = start
            if len(rows) < DIGEST_PAGE:
                return h.digest()

    async def blob_read(self, blob_id: bytes, offset: int, length: int) -> tuple[bytes, int]:
        if offset < 0 or length < 0:
            raise InvalidBlobRequest("range is outside the blob")
        end = offset + min(length, MAX_BLOB_CHUNK)
        # one statement, one snapshot: the size and the chunks agree
        rows = await self._all(
            "SELECT b.size, c.start_at, c.data FROM blobs b"
            " LEFT JOIN blob_chunks c ON c.ref = b.ref AND c.start_at < %(end)s"
            "  AND c.start_at >= coalesce((SELECT max(start_at) FROM blob_chunks"
            "   WHERE ref = b.ref AND start_at <= %(off)s), 0)"
            " WHERE b.blob_id = %(id)s ORDER BY c.start_at",
            {"id": blob_id, "off": offset, "end": end},
        )
        if not rows:
            raise NotFound("no such attachment")
        size = int(rows[0][0])
        check_range(offset, length, size)
        out = bytearray()
        stop = min(end, size)
        for _, start, data in rows:
            if data is None:
                continue
            lo = max(offset - start, 0)
            hi = min(stop - start, len(data))
            if hi > lo:
                out += data[lo:hi]
        return bytes(out), size


# --- helpers ------------------------------------------------------------------------

_BLOB_BATCH = 50


async def _configure(conn: Conn) -> None:
    """Every pooled connection: refuse to run with asynchronous commit."""
    cursor = await conn.execute("SHOW synchronous_commit")
    row = await cursor.fetchone()
    if row is not None and row[0] == "off":
        # "off" acknowledges before the WAL is flushed: a crash would lose sends
        await conn.execute("SET synchronous_commit TO on")


def _signed(row: Sequence[Any]) -> SignedKey:
    return SignedKey(key_id=bytes(row[0]), key=bytes(row[1]), signature=bytes(row[2]))


async def _key_counts(cur: psycopg.AsyncCursor[Any], key: bytes) -> KeyCounts:
    await cur.execute(
        "SELECT (SELECT count(*) FROM one_time_keys WHERE device = %(d)s),"
        " EXISTS (SELECT 1 FROM fallback_keys WHERE device = %(d)s)",
        {"d": key},
    )
    row = await cur.fetchone()
    assert row is not None
    return counts(int(row[0]), bool(row[1]))


async def _pq_key_counts(cur: psycopg.AsyncCursor[Any], key: bytes) -> KeyCounts:
    await cur.execute(
        "SELECT (SELECT count(*) FROM pq_one_time_keys WHERE device = %(d)s),"
        " EXISTS (SELECT 1 FROM pq_last_resort_keys WHERE device = %(d)s)",
        {"d": key},
    )
    row = await cur.fetchone()
    assert row is not None
    return counts(int(row[0]), bool(row[1]))


async def _expire_messages(conn: Conn, now_ms: int) -> int:
    cursor = await conn.execute(
        "WITH d AS ("
        "  DELETE FROM queue WHERE queue_id IN (SELECT queue_id FROM queue"
        "   WHERE expires_ms <= %s LIMIT %s FOR UPDATE SKIP LOCKED)"
        "  RETURNING recipient, sender, length(payload) AS n"
        ") SELECT recipient, sender, count(*), sum(n) FROM d GROUP BY recipient, sender"
        " ORDER BY recipient, sender",
        (now_ms, EXPIRE_BATCH),
    )
    shares = [(bytes(r), bytes(s), int(c), int(b)) for r, s, c, b in await cursor.fetchall()]
    per: dict[bytes, tuple[int, int]] = {}
    for r, _, c, b in shares:
        count, size = per.get(r, (0, 0))
        per[r] = (count + c, size + b)
    async with conn.cursor() as cur:
        await cur.executemany(
            "UPDATE queue_stats SET messages = messages - %s, bytes = bytes - %s"
            " WHERE recipient = %s",
            [(c, b, r) for r, (c, b) in per.items()],  # in recipient order: the lock order
        )
    await _release_shares(conn, shares)
    return sum(c for _, _, c, _ in shares)


async def _release_shares(conn: Conn, shares: list[tuple[bytes, bytes, int, int]]) -> None:
    """Take acknowledged or expired messages off their senders' shares
    (recipient, sender, messages, bytes), deleting a share that reaches zero.
    The recipients' queue_stats rows must be locked already (the lock order)."""
    if not shares:
        return
    async with conn.cursor() as cur:
        await cur.executemany(
            "WITH u AS (UPDATE sender_stats SET messages = messages - %(c)s,"
            "  bytes = bytes - %(b)s WHERE recipient = %(r)s AND sender = %(s)s"
            "  AND messages > %(c)s RETURNING 1)"
            " DELETE FROM sender_stats WHERE recipient = %(r)s AND sender = %(s)s"
            "  AND messages <= %(c)s",
            [{"r": r, "s": s, "c": c, "b": b} for r, s, c, b in shares],
        )


async def _expire_blobs(conn: Conn, now_ms: int) -> int:
    cursor = await conn.execute(
        "SELECT ref FROM blobs WHERE expires_ms <= %s LIMIT %s FOR UPDATE SKIP LOCKED",
        (now_ms, _BLOB_BATCH),
    )
    refs = [r for (r,) in await cursor.fetchall()]
    await _drop_blobs(conn, refs)
    return len(refs)


async def _drop_blobs(conn: Conn, refs: list[int]) -> None:
    """Delete uploads or blobs (chunks cascade) and give their quota back."""
    if not refs:
        return
    cursor = await conn.execute(
        "WITH d AS (DELETE FROM blobs WHERE ref = ANY(%s::bigint[]) RETURNING owner, size)"
        " SELECT owner, sum(size) FROM d GROUP BY owner ORDER BY owner",
        (refs,),
    )
    per = await cursor.fetchall()
    async with conn.cursor() as cur:
        await cur.executemany(
            "UPDATE blob_usage SET bytes = bytes - %s WHERE owner = %s",
            [(int(size), owner) for owner, size in per],
        )
