"""The embedded backend: one SQLite file, one writer thread with group commit.

Writes go through :class:`GroupCommitWriter` (one transaction and one fsync
per batch of concurrent requests).  Small reads (a page of one device's
queue, key counts, a chain) run right on the event loop with a connection of
their own: they take tens of microseconds, less than handing them to a
thread and back (measured: the handoff and the GIL ping-pong with the
thread cost more than the query).  WAL lets them proceed while the writer
commits, and never makes them wait for it.  Reads that can be large (blob
ranges, hashing an upload) run on a small pool of reader threads.  The
relay stores only ciphertext and public keys, so plain SQLite (not
SQLCipher) is enough.

Blobs live in the database as chunk rows rather than as files beside it: a
chunk, its upload's progress and the owner's quota then change in one
transaction, and a crash can leave no orphan file or dangling row.

Two instances may open the same file (``BEGIN IMMEDIATE`` serialises their
writers), but wakeups reach only the instance that wrote: run one relay
process per SQLite file, and PostgreSQL beyond that.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from keybound.relay.storage import sqlite_schema
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
    device_from_key,
    device_key,
    first_full,
    first_sender_full,
    new_id,
)
from keybound.relay.storage.sqlite_checkpoint import Checkpointer
from keybound.relay.storage.sqlite_writer import GroupCommitWriter
from keybound.wire.frames import MAX_BLOB_CHUNK, DeviceAddress, Incoming, SignedKey, SignedPqKey

T = TypeVar("T")

READERS = 2
DEFAULT_LIMITS = Limits()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


class SqliteStorage(RelayStorage):
    """Relay storage in one SQLite file at ``path`` (created if missing)."""

    def __init__(
        self, path: Path, limits: Limits = DEFAULT_LIMITS, *, max_batch: int = 1000
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.path = Path(path)
        self.limits = limits
        self._max_batch = max_batch
        self._writer: GroupCommitWriter | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._reader_local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self._loop_conn: sqlite3.Connection | None = None
        self._checkpointer: Checkpointer | None = None
        self._wakeup: Wakeup | None = None

    # --- lifecycle ---

    async def start(self, wakeup: Wakeup, resync: Resync | None = None) -> None:
        # one process owns the file and wakes its recipients itself: resync never fires
        self._wakeup = wakeup
        conn = await asyncio.to_thread(self._open_writer)
        checkpointer = Checkpointer(self.path)
        try:
            checkpointer.start()
        except sqlite3.Error as exc:
            conn.close()
            raise StorageUnavailable("the relay database cannot be opened") from exc
        self._checkpointer = checkpointer
        self._writer = GroupCommitWriter(conn, self._max_batch)
        self._writer.start()
        self._readers = ThreadPoolExecutor(READERS, thread_name_prefix="relay-sqlite-read")

    def _open_writer(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(self.path)
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageUnavailable("the relay database cannot use write-ahead logging")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA journal_size_limit = 67108864")
            sqlite_schema.migrate(conn)
        except sqlite3.Error as exc:
            conn.close()
            raise StorageUnavailable("the relay database cannot be opened") from exc
        except BaseException:
            conn.close()
            raise
        return conn

    async def close(self) -> None:
        writer, readers, checkpointer = self._writer, self._readers, self._checkpointer
        self._writer = self._readers = self._checkpointer = None
        if checkpointer is not None:
            await asyncio.to_thread(checkpointer.close)
        if writer is not None:
            await asyncio.to_thread(writer.close)
        if readers is not None:
            await asyncio.to_thread(readers.shutdown, wait=True)
        with self._reader_lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()
        if self._loop_conn is not None:
            self._loop_conn.close()
            self._loop_conn = None

    @property
    def commit_count(self) -> int:
        """Transactions the writer committed so far (each one fsync)."""
        return self._writer.commits if self._writer else 0

    # --- plumbing ---

    def _w(self) -> GroupCommitWriter:
        if self._writer is None:
            raise StorageUnavailable("the relay storage is not running")
        return self._writer

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._readers is None:
            raise StorageUnavailable("the relay storage is not running")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._run_read, fn)

    def _run_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn: sqlite3.Connection | None = getattr(self._reader_local, "conn", None)
        if conn is None:
            conn = _reader(self.path)
            self._reader_local.conn = conn
            with self._reader_lock:
                self._reader_conns.append(conn)
        return _snapshot(conn, fn)

    def _read_now(self, fn: Callable[[sqlite3.Connection], T], *, snapshot: bool = True) -> T:
        """Run a small read on the calling (event loop) thread; a read of one
        statement needs no ``snapshot`` (the statement is its own)."""
        if self._writer is None:
            raise StorageUnavailable("the relay storage is not running")
        conn = self._loop_conn
        if conn is None:
            try:
                conn = self._loop_conn = _reader(self.path)
            except sqlite3.Error as exc:
                raise StorageUnavailable("the relay database could not be read") from exc
        if not snapshot:
            try:
                return fn(conn)
            except sqlite3.Error as exc:
                raise StorageUnavailable("the relay database could not be read") from exc
        return _snapshot(conn, fn)

    # --- directory ---

    async def get_chain(self, identity_id: bytes) -> StoredChain | None:
        return self._read_now(lambda conn: _chain(conn, identity_id))

    async def append_chain(
        self, identity_id: bytes, expected_head: int, documents: Sequence[bytes]
    ) -> None:
        docs = [bytes(d) for d in documents]
        tokens = chain_tokens(docs)

        def write(conn: sqlite3.Connection) -> None:
            (head,) = conn.execute(
                "SELECT coalesce(max(version), -1) FROM chain_documents WHERE identity_id = ?",
                (identity_id,),
            ).fetchone()
            if head != expected_head:
                raise ChainConflict("the identity chain changed meanwhile")
            conn.executemany(
                "INSERT INTO chain_documents (identity_id, version, document) VALUES (?, ?, ?)",
                [(identity_id, expected_head + 1 + i, d) for i, d in enumerate(docs)],
            )
            if docs:
                sqlite_schema.index_chain_tokens(conn, identity_id, tokens)

        await self._w().submit(write)

    async def find_identity_by_token(self, token_id: bytes) -> StoredChain | None:
        def read(conn: sqlite3.Connection) -> StoredChain | None:
            row = conn.execute(
                "SELECT identity_id FROM identity_tokens WHERE token_id = ?"
                " ORDER BY signed DESC, seq LIMIT 1",
                (token_id,),
            ).fetchone()
            return None if row is None else _chain(conn, bytes(row[0]))

        return self._read_now(read)

    async def publish_keys(
        self, device: DeviceAddress, one_time: Sequence[SignedKey], fallback: SignedKey | None
    ) -> KeyCounts:
        key = device_key(device)

        def write(conn: sqlite3.Connection) -> KeyCounts:
            for k in one_time:
                conn.execute(
                    "INSERT INTO one_time_keys (device, key_id, key, signature)"
                    " SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM claimed_keys"
                    "  WHERE device = ?1 AND key_id = ?2)"
                    " ON CONFLICT (device, key_id) DO NOTHING",
                    (key, k.key_id, k.key, k.signature),
                )
            if fallback is not None:
                conn.execute(
                    "INSERT INTO fallback_keys (device, key_id, key, signature)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (device) DO UPDATE SET"
                    " key_id = excluded.key_id, key = excluded.key,"
                    " signature = excluded.signature",
                    (key, fallback.key_id, fallback.key, fallback.signature),
                )
            return _key_counts(conn, key)

        return await self._w().submit(write)

    async def claim_key(self, target: DeviceAddress) -> ClaimResult | None:
        key = device_key(target)
        now_ms = int(time.time() * 1000)

        def write(conn: sqlite3.Connection) -> ClaimResult | None:
            row = conn.execute(
                "SELECT seq, key_id, key, signature FROM one_time_keys"
                " WHERE device = ? ORDER BY seq LIMIT 1",
                (key,),
            ).fetchone()
            if row is not None:
                conn.execute("DELETE FROM one_time_keys WHERE seq = ?", (row[0],))
                conn.execute(
                    "INSERT OR IGNORE INTO claimed_keys (device, key_id, claimed_ms)"
                    " VALUES (?, ?, ?)",
                    (key, row[1], now_ms),
                )
                return ClaimResult(_signed(row[1:]), fallback=False)
            row = conn.execute(
                "SELECT key_id, key, signature FROM fallback_keys WHERE device = ?", (key,)
            ).fetchone()
            return None if row is None else ClaimResult(_signed(row), fallback=True)

        return await self._w().submit(write)

    async def key_counts(self, device: DeviceAddress) -> KeyCounts:
        key = device_key(device)
        return self._read_now(lambda conn: _key_counts(conn, key))

    async def publish_pq_keys(
        self,
        device: DeviceAddress,
        one_time: Sequence[SignedPqKey],
        last_resort: SignedPqKey | None,
    ) -> KeyCounts:
        key = device_key(device)

        def write(conn: sqlite3.Connection) -> KeyCounts:
            for k in one_time:
                conn.execute(
                    "INSERT INTO pq_one_time_keys (device, key_id, key, signature)"
                    " SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM claimed_keys"
                    "  WHERE device = ?1 AND key_id = ?5)"
                    " ON CONFLICT (device, key_id) DO NOTHING",
                    (key, k.key_id, k.key, k.signature, PQ_TOMBSTONE + k.key_id),
                )
            if last_resort is not None:
                conn.execute(
                    "INSERT INTO pq_last_resort_keys (device, key_id, key, signature)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (device) DO UPDATE SET"
                    " key_id = excluded.key_id, key = excluded.key,"
                    " signature = excluded.signature",
                    (key, last_resort.key_id, last_resort.key, last_resort.signature),
                )
            return _pq_key_counts(conn, key)

        return await self._w().submit(write)

    async def claim_pq_key(self, target: DeviceAddress) -> PqClaimResult | None:
        key = device_key(target)
        now_ms = int(time.time() * 1000)

        def write(conn: sqlite3.Connection) -> PqClaimResult | None:
            row = conn.execute(
                "DELETE FROM pq_one_time_keys WHERE seq = (SELECT seq FROM pq_one_time_keys"
                " WHERE device = ? ORDER BY seq LIMIT 1) RETURNING key_id, key, signature",
                (key,),
            ).fetchone()
            if row is not None:
                conn.execute(
                    "INSERT OR IGNORE INTO claimed_keys (device, key_id, claimed_ms)"
                    " VALUES (?, ?, ?)",
                    (key, PQ_TOMBSTONE + bytes(row[0]), now_ms),
                )
                return PqClaimResult(_signed_pq(row), last_resort=False)
            row = conn.execute(
                "SELECT key_id, key, signature FROM pq_last_resort_keys WHERE device = ?", (key,)
            ).fetchone()
            return None if row is None else PqClaimResult(_signed_pq(row), last_resort=True)

        return await self._w().submit(write)

    # --- queues ---

    ordered_writes = True  # one writer thread takes the jobs in order

    async def enqueue(
        self, sender: DeviceAddress, messages: Sequence[QueuedMessage], now_ms: int
    ) -> None:
        if not messages:
            return
        sender_key = device_key(sender)
        demand, rows = self._prepare(sender_key, messages, now_ms)
        limits = self.limits
        await self._w().submit(
            lambda conn: _store_send(conn, limits, demand, rows, sender_key),
            on_commit=lambda keys: call_wakeup(self._wakeup, keys),
        )

    async def enqueue_each(
        self, sender: DeviceAddress, sends: Sequence[Sequence[QueuedMessage]], now_ms: int
    ) -> list[Exception | None]:
        """One job (so one commit) for all, a savepoint per send: a refused
        send rolls back alone and nothing is retried out of order."""
        sender_key = device_key(sender)
        prepared = [self._prepare(sender_key, send, now_ms) for send in sends]
        limits = self.limits

        def write(conn: sqlite3.Connection) -> tuple[list[Exception | None], list[bytes]]:
            outcomes: list[Exception | None] = []
            woken: list[bytes] = []
            for demand, rows in prepared:
                conn.execute("SAVEPOINT send")
                try:
                    woken += _store_send(conn, limits, demand, rows, sender_key)
                    outcomes.append(None)
                except StorageError as exc:
                    conn.execute("ROLLBACK TO send")
                    outcomes.append(exc)
                conn.execute("RELEASE send")
            return outcomes, woken

        outcomes, _ = await self._w().submit(
            write, atomic=True, on_commit=lambda done: call_wakeup(self._wakeup, done[1])
        )
        return outcomes

    def _prepare(
        self, sender_key: bytes, messages: Sequence[QueuedMessage], now_ms: int
    ) -> tuple[dict[bytes, tuple[int, int]], list[tuple[bytes, bytes, int, int, bytes]]]:
        """(messages, bytes) per recipient key in first-appearance order, and the rows."""
        expires_ms = now_ms + self.limits.message_ttl_ms
        demand: dict[bytes, tuple[int, int]] = {}
        rows = []
        for m in messages:
            key = device_key(m.recipient)
            count, size = demand.get(key, (0, 0))
            demand[key] = (count + 1, size + len(m.payload))
            rows.append((key, sender_key, now_ms, expires_ms, m.payload))
        return demand, rows

    async def fetch(
        self,
        recipient: DeviceAddress,
        after_queue_id: int,
        limit: int,
        max_bytes: int | None = None,
    ) -> list[Incoming]:
        if limit <= 0:
            return []
        key = device_key(recipient)
        budget = max_bytes if max_bytes is not None else -1

        def read(conn: sqlite3.Connection) -> list[Incoming]:
            # rows are stepped one at a time: stopping at the byte budget
            # leaves the payloads after it unread
            out: list[Incoming] = []
            total = 0
            senders: dict[bytes, DeviceAddress] = {}
            cursor = conn.execute(
                "SELECT queue_id, sender, received_ms, payload FROM queue"
                " WHERE recipient = ? AND queue_id > ? ORDER BY queue_id LIMIT ?",
                (key, after_queue_id, limit),
            )
            try:
                for qid, sender, received, payload in cursor:
                    address = senders.get(sender)
                    if address is None:
                        address = senders[sender] = device_from_key(sender)
                    out.append(Incoming(qid, address, received, payload))
                    total += len(payload)
                    if 0 <= budget <= total:
                        break
            finally:
                cursor.close()  # ends the statement, and with it the read transaction
            return out

        return self._read_now(read, snapshot=False)

    async def ack(self, recipient: DeviceAddress, queue_ids: Sequence[int]) -> int:
        if not queue_ids:
            return 0
        key = device_key(recipient)
        ids = list(dict.fromkeys(int(q) for q in queue_ids))

        def write(conn: sqlite3.Connection) -> int:
            count = size = 0
            per_sender: dict[bytes, tuple[int, int]] = {}
            for chunk in _padded_chunks(ids):
                deleted = conn.execute(
                    "DELETE FROM queue WHERE recipient = ? AND queue_id IN"  # noqa: S608
                    f" ({','.join('?' * len(chunk))}) RETURNING sender, length(payload)",
                    (key, *chunk),
                ).fetchall()
                count += len(deleted)
                for sender, n in deleted:
                    size += n
                    c, b = per_sender.get(sender, (0, 0))
                    per_sender[sender] = (c + 1, b + n)
            if count:
                conn.execute(
                    "UPDATE queue_stats SET messages = messages - ?, bytes = bytes - ?"
                    " WHERE recipient = ?",
                    (count, size, key),
                )
                _release_shares(conn, [(key, s, c, b) for s, (c, b) in per_sender.items()])
            return count

        # An ack lost to a power cut only means a redelivery, which clients dedupe.
        return await self._w().submit(write, durable=False, atomic=True)

    async def queue_size(self, recipient: DeviceAddress) -> tuple[int, int]:
        key = device_key(recipient)

        def read(conn: sqlite3.Connection) -> tuple[int, int]:
            row = conn.execute(
                "SELECT messages, bytes FROM queue_stats WHERE recipient = ?", (key,)
            ).fetchone()
            return (0, 0) if row is None else (row[0], row[1])

        return self._read_now(read, snapshot=False)

    async def sender_queue_size(
        self, recipient: DeviceAddress, sender: DeviceAddress
    ) -> tuple[int, int]:
        keys = (device_key(recipient), device_key(sender))

        def read(conn: sqlite3.Connection) -> tuple[int, int]:
            row = conn.execute(
                "SELECT messages, bytes FROM sender_stats WHERE recipient = ? AND sender = ?", keys
            ).fetchone()
            return (0, 0) if row is None else (row[0], row[1])

        return self._read_now(read, snapshot=False)

    async def expire(self, now_ms: int) -> int:
        total = 0
        claimed_before = now_ms - self.limits.message_ttl_ms
        for step in (
            functools.partial(_expire_messages, now_ms=now_ms),
            functools.partial(_expire_blobs, now_ms=now_ms),
            functools.partial(_expire_tombstones, before_ms=claimed_before),
        ):
            while True:
                removed, more = await self._w().submit(step, durable=False)
                total += removed
                if not more:
                    break
        return total

    # --- blobs ---

    async def blob_begin(self, owner: DeviceAddress, size: int, now_ms: int) -> bytes:
        check_blob_size(self.limits, size)
        key = device_key(owner)
        upload_id = new_id()
        quota = self.limits.blob_quota_bytes
        expires_ms = now_ms + self.limits.upload_ttl_ms

        def write(conn: sqlite3.Connection) -> bytes:
            (used,) = conn.execute(
                "INSERT INTO blob_usage (owner, bytes) VALUES (?, ?) ON CONFLICT (owner)"
                " DO UPDATE SET bytes = bytes + excluded.bytes RETURNING bytes",
                (key, size),
            ).fetchone()
            if used > quota:
                raise QuotaExceeded("the device's attachment storage is full")
            conn.execute(
                "INSERT INTO blobs (upload_id, owner, size, expires_ms) VALUES (?, ?, ?, ?)",
                (upload_id, key, size, expires_ms),
            )
            return upload_id

        return await self._w().submit(write)

    async def blob_write(
        self, owner: DeviceAddress, upload_id: bytes, offset: int, data: bytes
    ) -> None:
        key = device_key(owner)
        data = bytes(data)

        def write(conn: sqlite3.Connection) -> None:
            ref, size, written = _pending_upload(conn, upload_id, key)
            if offset != written or written + len(data) > size:
                raise InvalidBlobRequest("the chunk does not continue the upload")
            if data:
                conn.execute(
                    "INSERT INTO blob_chunks (ref, start_at, data) VALUES (?, ?, ?)",
                    (ref, offset, data),
                )
                conn.execute(
                    "UPDATE blobs SET written = written + ? WHERE ref = ?", (len(data), ref)
                )

        # Chunks need not survive a power cut on their own: the finish is durable,
        # and a client whose chunk vanished meets an offset error and starts again.
        await self._w().submit(write, durable=False)

    async def blob_finish(
        self, owner: DeviceAddress, upload_id: bytes, sha256: bytes, now_ms: int
    ) -> tuple[bytes, int]:
        key = device_key(owner)

        def digest(conn: sqlite3.Connection) -> tuple[int, bytes]:
            ref, size, written = _pending_upload(conn, upload_id, key)
            if written != size:
                raise InvalidBlobRequest("the upload is not complete")
            h = hashlib.sha256()
            for (chunk,) in conn.execute(
                "SELECT data FROM blob_chunks WHERE ref = ? ORDER BY start_at", (ref,)
            ):
                h.update(chunk)
            return ref, h.digest()

        # hash on a reader thread: a 100 MiB digest must not stall everyone's sends
        ref, actual = await self._read(digest)
        if actual != sha256:
            await self._w().submit(functools.partial(_drop_upload, ref=ref), durable=False)
            raise InvalidBlobRequest("the upload does not match its SHA-256")
        blob_id = new_id()
        expires_ms = now_ms + self.limits.blob_ttl_ms

        def publish(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE blobs SET blob_id = ?, sha256 = ?, expires_ms = ?"
                " WHERE ref = ? AND blob_id IS NULL AND written = size",
                (blob_id, actual, expires_ms, ref),
            )
            if cursor.rowcount != 1:
                raise NotFound("no such upload")

        await self._w().submit(publish)
        return blob_id, expires_ms

    async def blob_read(self, blob_id: bytes, offset: int, length: int) -> tuple[bytes, int]:
        def read(conn: sqlite3.Connection) -> tuple[bytes, int]:
            row = conn.execute(
                "SELECT ref, size FROM blobs WHERE blob_id = ?", (blob_id,)
            ).fetchone()
            if row is None:
                raise NotFound("no such attachment")
            ref, size = row
            check_range(offset, length, size)
            end = min(size, offset + min(length, MAX_BLOB_CHUNK))
            if end <= offset:
                return b"", size
            (first,) = conn.execute(
                "SELECT max(start_at) FROM blob_chunks WHERE ref = ? AND start_at <= ?",
                (ref, offset),
            ).fetchone()
            rows = conn.execute(
                "SELECT start_at, data FROM blob_chunks"
                " WHERE ref = ? AND start_at >= ? AND start_at < ? ORDER BY start_at",
                (ref, first, end),
            ).fetchall()
            return _slice(rows, offset, end), size

        return await self._read(read)


# --- helpers run inside the writer or reader threads --------------------------------


def _signed(row: Sequence[bytes]) -> SignedKey:
    return SignedKey(key_id=bytes(row[0]), key=bytes(row[1]), signature=bytes(row[2]))


def _padded_chunks(ids: list[int], most: int = 512) -> Iterator[list[int]]:
    """``ids`` in chunks of at most ``most``, each padded (repeating its last
    id) to a power of two: few distinct statements for the statement cache,
    and never more variables than SQLite allows."""
    for start in range(0, len(ids), most):
        chunk = ids[start : start + most]
        size = 1 << (len(chunk) - 1).bit_length()
        yield chunk + chunk[-1:] * (size - len(chunk))


def _reader(path: Path) -> sqlite3.Connection:
    conn = _connect(path)
    conn.execute("PRAGMA query_only = 1")
    return conn


def _snapshot(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``fn`` in one read transaction (one snapshot for the whole read)."""
    try:
        conn.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise StorageUnavailable("the relay database could not be read") from exc


def _store_send(
    conn: sqlite3.Connection,
    limits: Limits,
    demand: dict[bytes, tuple[int, int]],
    rows: list[tuple[bytes, bytes, int, int, bytes]],
    sender: bytes,
) -> list[bytes]:
    """Count the messages against each recipient's caps and the sender's
    share of them, then insert them; :class:`QueueFull` (before any insert,
    rolled back by the caller) names the first recipient over."""
    totals: dict[bytes, tuple[int, int]] = {}
    for recipient, (count, size) in demand.items():
        totals[recipient] = conn.execute(
            "INSERT INTO queue_stats (recipient, messages, bytes) VALUES (?, ?, ?)"
            " ON CONFLICT (recipient) DO UPDATE SET"
            " messages = messages + excluded.messages, bytes = bytes + excluded.bytes"
            " RETURNING messages, bytes",
            (recipient, count, size),
        ).fetchone()
    full = first_full(limits, demand, totals)
    if full is not None:
        raise full
    shares: dict[bytes, tuple[int, int]] = {}
    for recipient, (count, size) in demand.items():
        shares[recipient] = conn.execute(
            "INSERT INTO sender_stats (recipient, sender, messages, bytes) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (recipient, sender) DO UPDATE SET"
            " messages = messages + excluded.messages, bytes = bytes + excluded.bytes"
            " RETURNING messages, bytes",
            (recipient, sender, count, size),
        ).fetchone()
    full = first_sender_full(limits, demand, shares)
    if full is not None:
        raise full
    conn.executemany(
        "INSERT INTO queue (recipient, sender, received_ms, expires_ms, payload)"
        " VALUES (?, ?, ?, ?, ?)",
        rows,
    )
    return list(demand)


def _chain(conn: sqlite3.Connection, identity_id: bytes) -> StoredChain | None:
    rows = conn.execute(
        "SELECT document FROM chain_documents WHERE identity_id = ? ORDER BY version",
        (identity_id,),
    ).fetchall()
    if not rows:
        return None
    return StoredChain(identity_id, tuple(bytes(row[0]) for row in rows))


def _pq_key_counts(conn: sqlite3.Connection, key: bytes) -> KeyCounts:
    sql = "SELECT count(*) FROM pq_one_time_keys WHERE device = ?"
    (left,) = conn.execute(sql, (key,)).fetchone()
    last = conn.execute("SELECT 1 FROM pq_last_resort_keys WHERE device = ?", (key,)).fetchone()
    return counts(left, last is not None)


def _signed_pq(row: Sequence[bytes]) -> SignedPqKey:
    return SignedPqKey(key_id=bytes(row[0]), key=bytes(row[1]), signature=bytes(row[2]))


def _key_counts(conn: sqlite3.Connection, key: bytes) -> KeyCounts:
    (left,) = conn.execute("SELECT count(*) FROM one_time_keys WHERE device = ?", (key,)).fetchone()
    fallback = conn.execute("SELECT 1 FROM fallback_keys WHERE device = ?", (key,)).fetchone()
    return counts(left, fallback is not None)


def _slice(rows: Sequence[tuple[int, bytes]], offset: int, end: int) -> bytes:
    """Bytes [offset, end) out of consecutive chunks (start, data)."""
    out = bytearray()
    for start, data in rows:
        lo = max(offset - start, 0)
        hi = min(end - start, len(data))
        if hi > lo:
            out += data[lo:hi]
    return bytes(out)


def _expire_messages(conn: sqlite3.Connection, now_ms: int) -> tuple[int, bool]:
    rows = conn.execute(
        "DELETE FROM queue WHERE queue_id IN"
        " (SELECT queue_id FROM queue WHERE expires_ms <= ? LIMIT ?)"
        " RETURNING recipient, sender, length(payload)",
        (now_ms, EXPIRE_BATCH),
    ).fetchall()
    per: dict[bytes, tuple[int, int]] = {}
    shares: dict[tuple[bytes, bytes], tuple[int, int]] = {}
    for recipient, sender, size in rows:
        count, total = per.get(recipient, (0, 0))
        per[recipient] = (count + 1, total + size)
        count, total = shares.get((recipient, sender), (0, 0))
        shares[recipient, sender] = (count + 1, total + size)
    conn.executemany(
        "UPDATE queue_stats SET messages = messages - ?, bytes = bytes - ? WHERE recipient = ?",
        [(c, b, r) for r, (c, b) in per.items()],
    )
    _release_shares(conn, [(r, s, c, b) for (r, s), (c, b) in shares.items()])
    return len(rows), len(rows) == EXPIRE_BATCH


def _release_shares(conn: sqlite3.Connection, shares: list[tuple[bytes, bytes, int, int]]) -> None:
    """Take acknowledged or expired messages off their senders' shares
    (recipient, sender, messages, bytes); a share that reaches zero is
    deleted, so the table holds only pairs with something waiting."""
    conn.executemany(
        "UPDATE sender_stats SET messages = messages - ?, bytes = bytes - ?"
        " WHERE recipient = ? AND sender = ?",
        [(c, b, r, s) for r, s, c, b in shares],
    )
    conn.executemany(
        "DELETE FROM sender_stats WHERE recipient = ? AND sender = ? AND messages <= 0",
        [(r, s) for r, s, _, _ in shares],
    )


def _expire_blobs(conn: sqlite3.Connection, now_ms: int) -> tuple[int, bool]:
    batch = 50
    refs = [
        r
        for (r,) in conn.execute(
            "SELECT ref FROM blobs WHERE expires_ms <= ? LIMIT ?", (now_ms, batch)
        )
    ]
    for ref in refs:
        _drop_upload(conn, ref)
    return len(refs), len(refs) == batch


def _drop_upload(conn: sqlite3.Connection, ref: int) -> None:
    """Delete an upload or blob with its chunks and give its quota back."""
    row = conn.execute("DELETE FROM blobs WHERE ref = ? RETURNING owner, size", (ref,)).fetchone()
    if row is None:
        return
    conn.execute("DELETE FROM blob_chunks WHERE ref = ?", (ref,))
    conn.execute("UPDATE blob_usage SET bytes = bytes - ? WHERE owner = ?", (row[1], row[0]))


def _expire_tombstones(conn: sqlite3.Connection, before_ms: int) -> tuple[int, bool]:
    cursor = conn.execute(
        "DELETE FROM claimed_keys WHERE (device, key_id) IN"
        " (SELECT device, key_id FROM claimed_keys WHERE claimed_ms <= ? LIMIT ?)",
        (before_ms, EXPIRE_BATCH),
    )
    # tombstones are bookkeeping, not user data: not counted in the total
    return 0, cursor.rowcount == EXPIRE_BATCH


def _pending_upload(
    conn: sqlite3.Connection, upload_id: bytes, owner: bytes
) -> tuple[int, int, int]:
    """(ref, size, bytes written) of the caller's unfinished upload, else NotFound."""
    row = conn.execute(
        "SELECT ref, size, written FROM blobs"
        " WHERE upload_id = ? AND owner = ? AND blob_id IS NULL",
        (upload_id, owner),
    ).fetchone()
    if row is None:
        raise NotFound("no such upload")
    ref, size, written = row
    return int(ref), int(size), int(written)
