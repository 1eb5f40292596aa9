"""A failed commit between decrypt and commit loses nothing (issue 11, item 1).

Each fault happens while bob receives: the disk is full (a real 4 MiB tmpfs
under bob's profile), the database is locked, an I/O error, or bob dies
before the commit.  In every case the engine must end exactly as its
database is: nothing acknowledged, the messages still on the relay, the
ratchets reloaded, and once the fault is gone every message arrives readable
(today's bug: the ratchets moved on in memory, so the redelivered copies
were "could not be decrypted" or dropped as duplicates).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3.dbapi2 as sqlcipher

from keybound.client import events as ev
from keybound.client.values import UNDECRYPTABLE
from keybound.store.database import Database, reraise
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess
from tests.helpers.tmpfs import fill, small_tmpfs

from .harness import Someone, befriend, create, run, until

FAST = dict(storage_retry_s=0.1, storage_retry_max_s=0.3)


def _db(person: Someone) -> Database:
    session = person.m._session
    assert session is not None
    return session.core.db


async def _received(person: Someone, conv: bytes) -> list[Any]:
    return await person.m.history(conv, 500)


async def _has(person: Someone, conv: bytes, n: int) -> bool:
    return len(await _received(person, conv)) >= n


def test_a_full_disk_pauses_receiving_and_nothing_is_lost(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    with small_tmpfs(tmp_path / "small", "4m") as small:

        async def scenario() -> None:
            alice = await create(tmp_path, "alice", shared_relay.url, worker)
            bob = await create(small, "bob", shared_relay.url, worker, **FAST)
            try:
                a_conv, b_conv = await befriend(alice, bob)
                await alice.m.send_text(a_conv, "before")
                await until(lambda: _has(bob, b_conv, 1), what="the first message")
                ballast = small / "ballast"
                fill(ballast)
                sent = [await alice.m.send_text(a_conv, f"{i} " + "x" * 60_000) for i in range(6)]
                await until(lambda: _paused(bob), what="bob's receiving pauses on the full disk")
                errors = [e for e in bob.events_of(ev.EngineError) if e.what == "disk_full"]
                assert errors and "disk is full" in errors[0].text
                assert len(await _received(bob, b_conv)) == 1  # nothing half-stored
                # one more while the disk is full: it must not move the ratchet past the rest
                sent.append(await alice.m.send_text(a_conv, "after"))
                ballast.unlink()  # space comes back: receiving resumes by itself
                await until(lambda: _has(bob, b_conv, 8), what="all messages after the pause")
                assert not bob.m.receiving.paused
                assert bob.events_of(ev.ReceivingChanged)[-1] == ev.ReceivingChanged(False)
                await bob.close()
                await bob.open()  # and after a restart the same history, all readable
                history = await _received(bob, b_conv)
                assert [m.content_type for m in history if m.content_type == UNDECRYPTABLE] == []
                assert [m.message_id for m in history][1:] == sent
                assert history[-1].body == "after"
            finally:
                await alice.close()
                await bob.close()

        run(scenario(), timeout=180)


async def _paused(person: Someone) -> bool:
    return person.m.receiving.paused


def _error(message: str, code: int, name: str) -> sqlcipher.OperationalError:
    exc = sqlcipher.OperationalError(message)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    exc.sqlite_errorname = name  # type: ignore[attr-defined]
    return exc


FAULTS: dict[str, Callable[[], BaseException]] = {
    "locked": lambda: _error("database is locked", 5, "SQLITE_BUSY"),
    "io_error": lambda: _error("disk I/O error", 10 | (3 << 8), "SQLITE_IOERR_WRITE"),
    "disk_full": lambda: _error("database or disk is full", 13, "SQLITE_FULL"),
}


def _fail_commits(db: Database, times: int, fault: Callable[[], BaseException]) -> list[int]:
    """The next ``times`` COMMITs fail with ``fault`` (SQLite rolls back, as it would)."""
    failed: list[int] = []
    real = db.execute

    def execute(sql: str, params: Any = ()) -> int:
        if sql == "COMMIT" and len(failed) < times:
            failed.append(1)
            db._conn.execute("ROLLBACK")
            reraise(fault())  # as Database.execute would
        return real(sql, params)

    db.execute = execute  # type: ignore[method-assign]
    return failed


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_commit_after_decrypting_rolls_the_ratchets_back(
    fault: str, shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        bob = await create(tmp_path, "bob", shared_relay.url, worker, **FAST)
        try:
            a_conv, b_conv = await befriend(alice, bob)
            await alice.m.send_text(a_conv, "before")
            await until(lambda: _has(bob, b_conv, 1), what="the first message")
            failed = _fail_commits(_db(bob), 3, FAULTS[fault])
            sent = [await alice.m.send_text(a_conv, f"text {i}") for i in range(3)]
            await until(lambda: _has(bob, b_conv, 4), what="the messages after the faults")
            assert len(failed) == 3
            tags = {e.what for e in bob.events_of(ev.EngineError)}
            assert ("disk_full" if fault == "disk_full" else "history_storage") in tags
            history = await _received(bob, b_conv)
            assert [m.body for m in history] == ["before", "text 0", "text 1", "text 2"]
            assert [m.message_id for m in history][1:] == sent
            assert not bob.m.receiving.paused
        finally:
            await alice.close()
            await bob.close()

    run(scenario())


def test_dying_before_the_commit_loses_nothing(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    """As if the process were killed between decrypt and commit: the commit never
    happens, nothing is acknowledged, and the next start receives everything."""

    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        bob = await create(tmp_path, "bob", shared_relay.url, worker, storage_retry_s=60.0)
        try:
            a_conv, b_conv = await befriend(alice, bob)
            failed = _fail_commits(_db(bob), 1, FAULTS["io_error"])
            sent = [await alice.m.send_text(a_conv, f"text {i}") for i in range(3)]
            await until(lambda: _failed(failed), what="the commit that never happens")
            await bob.close()  # dies: no retry, no acknowledgement
            await bob.open()
            await until(lambda: _has(bob, b_conv, 3), what="everything after the restart")
            history = await _received(bob, b_conv)
            assert [m.message_id for m in history] == sent
            assert {m.content_type for m in history} == {"text"}
        finally:
            await alice.close()
            await bob.close()

    run(scenario())


async def _failed(failed: list[int]) -> bool:
    return bool(failed)
