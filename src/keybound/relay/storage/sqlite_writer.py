"""Group commit for SQLite: one writer thread, many callers, one fsync per batch.

Every write is a *job* (a function of the connection).  The writer thread
takes the first waiting job, then every job that queued up meanwhile (up to
``max_batch``), runs each inside its own SAVEPOINT within one transaction,
commits once, and only then resolves each caller's future.  So under load
one fsync covers many sends, while every caller still hears "done" only
after its own data is durable; a job that fails (a full queue) rolls back
to its savepoint and fails alone.  A job submitted as ``atomic`` promises
to refuse only before it writes anything (or to keep its own savepoints),
so it runs without one: two statements fewer per job on the hot path
(sends and acks).  A database error inside such a job fails its batch.

No artificial delay is added: a batch is whatever arrived while the previous
commit was syncing, so a lone write pays one fsync and nothing more.

Durability: WAL with ``synchronous=FULL`` syncs the WAL on every commit, the
setting SQLite documents as durable across power loss.  Jobs that may be
lost on power failure without breaking a promise (blob chunks, acks,
expiry; see ``durable=False``) run in batches committed with
``synchronous=NORMAL`` when no durable job shares the batch; the next FULL
commit syncs the WAL including them.  Any commit survives a process kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from keybound.relay.storage.base import StorageUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(eq=False)
class _Job(Generic[T]):
    fn: Callable[[sqlite3.Connection], T]
    durable: bool
    atomic: bool
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]
    on_commit: Callable[[T], None] | None
    result: Any = None
    error: BaseException | None = None


class GroupCommitWriter:
    """The single writer of one SQLite database (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection, max_batch: int = 1000) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._conn = conn
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="relay-sqlite-writer", daemon=True)
        self._closing = False
        self._synchronous_full: bool | None = None
        self.commits = 0  # transactions committed (observable: group commit batches)
        self.jobs = 0  # jobs run

    def start(self) -> None:
        self._thread.start()

    async def submit(
        self,
        fn: Callable[[sqlite3.Connection], T],
        *,
        durable: bool = True,
        atomic: bool = False,
        on_commit: Callable[[T], None] | None = None,
    ) -> T:
        """Run ``fn`` in the next batch; return its result once the batch committed.

        ``atomic``: ``fn`` raises nothing but :class:`sqlite3.Error` after it
        has written (see the module docstring).

        ``on_commit`` runs on the event loop right after the commit, before the
        caller resumes, even if the caller was cancelled meanwhile: a cancelled
        caller does not un-queue its job, which may still commit.
        """
        if self._closing:
            raise StorageUnavailable("the relay storage is shutting down")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        job = _Job(fn, durable, atomic, loop, future, on_commit)
        self._queue.put(job)
        return await future

    def close(self) -> None:
        """Refuse new jobs, finish every queued one, stop the thread, close the
        connection (blocking)."""
        self._closing = True
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        # another connection may still read the WAL; then the next open checkpoints
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()

    # --- the writer thread ---

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            batch: list[_Job[Any]] = [first]
            while len(batch) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                batch.append(job)
            self._run_batch(batch)
        # anything submitted after the sentinel (a race with close) still finishes
        leftovers: list[_Job[Any]] = []
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                leftovers.append(job)
        if leftovers:
            self._run_batch(leftovers)

    def _run_batch(self, batch: list[_Job[Any]]) -> None:
        conn = self._conn
        try:
            self._set_synchronous(any(job.durable for job in batch))
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._fail_all(batch, exc)
            return
        for job in batch:
            if job.atomic:
                try:
                    job.result = job.fn(conn)
                except sqlite3.Error as exc:  # it may have written part: nothing of the batch
                    self._abort(batch, exc)
                    return
                except Exception as exc:  # refused before writing anything
                    job.error = exc
                continue
            try:
                conn.execute("SAVEPOINT job")
            except sqlite3.Error as exc:
                self._abort(batch, exc)
                return
            try:
                job.result = job.fn(conn)
            except Exception as exc:
                job.error = exc
                try:
                    conn.execute("ROLLBACK TO job")
                except sqlite3.Error as rollback_exc:
                    self._abort(batch, rollback_exc)
                    return
            try:
                conn.execute("RELEASE job")
            except sqlite3.Error as exc:
                self._abort(batch, exc)
                return
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._abort(batch, exc)
            return
        self.commits += 1
        self.jobs += len(batch)
        self._deliver(batch)

    def _set_synchronous(self, full: bool) -> None:
        if self._synchronous_full is not full:
            self._conn.execute(f"PRAGMA synchronous = {'FULL' if full else 'NORMAL'}")
            self._synchronous_full = full

    def _abort(self, batch: list[_Job[Any]], exc: sqlite3.Error) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.exception("rollback after a failed batch failed")
        self._fail_all(batch, exc)

    def _fail_all(self, batch: list[_Job[Any]], exc: sqlite3.Error) -> None:
        log.error("relay database write failed: %s", exc)
        for job in batch:
            job.result = None
            job.error = StorageUnavailable("the relay database could not store the request")
            job.error.__cause__ = exc
        self._deliver(batch)

    def _deliver(self, batch: list[_Job[Any]]) -> None:
        """Hand the outcomes to the event loop: one callback per loop and batch,
        not one per job (each ``call_soon_threadsafe`` wakes the loop with a
        write to its self-pipe, and takes the GIL from it)."""
        for job in batch:
            if isinstance(job.error, sqlite3.Error):
                wrapped = StorageUnavailable("the relay database could not store the request")
                wrapped.__cause__ = job.error
                job.error = wrapped
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job[Any]]] = {}
        for job in batch:
            by_loop.setdefault(job.loop, []).append(job)
        for loop, jobs in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
                loop.call_soon_threadsafe(_resolve_all, jobs)


def _resolve_all(jobs: list[_Job[Any]]) -> None:
    """On the event loop, in commit order: run each commit hook, then wake
    each caller (a cancelled caller's hook still runs: its job committed)."""
    for job in jobs:
        if job.error is None and job.on_commit is not None:
            try:
                job.on_commit(job.result)
            except Exception:
                log.exception("post-commit hook failed")
        if job.future.done():
            continue
        if job.error is not None:
            job.future.set_exception(job.error)
        else:
            job.future.set_result(job.result)
