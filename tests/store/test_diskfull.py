"""Disk full during writes, on a real small file system (an 8 MiB tmpfs mounted for the test).

Mounting needs root (CI runs as root); elsewhere the test is reported as
unavailable, never silently skipped in CI.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import unavailable

from keybound.errors import HistoryDiskFull
from keybound.store.database import HISTORY_FILE, Database
from keybound.store.models import Conversation, ConversationKind, Identity, Message, new_message_id
from keybound.store.repository import Repository

KEY = bytes.fromhex("22" * 32)
CONV = b"conversation"


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        unavailable("mounting a small tmpfs needs root")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        unavailable(f"cannot mount a tmpfs: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def message(n: int, size: int = 1500) -> Message:
    t = 1_000_000 + n
    return Message(
        new_message_id(t), CONV, b"peer", b"d", False, t, f"{n} " + "z" * size, received_at=t
    )


def test_disk_full_is_a_clear_error_and_loses_nothing(small_fs: Path) -> None:
    ballast = small_fs / "ballast"
    ballast.write_bytes(os.urandom(512 * 1024))  # freed later, as a person would free space
    db = Database.open(small_fs / HISTORY_FILE, KEY)
    repo = Repository(db)
    repo.upsert_identity(Identity(b"peer", 1, "Peer"))
    repo.upsert_conversation(Conversation(CONV, ConversationKind.DIRECT, 1, peer_identity=b"peer"))
    committed: list[bytes] = []
    error: HistoryDiskFull | None = None
    for n in range(10_000):
        m = message(n)
        try:
            with db.transaction():
                repo.insert_message(m)
                repo.enqueue(b"peer-device", os.urandom(200), n, m.message_id)
        except HistoryDiskFull as exc:
            error = exc
            break
        committed.append(m.message_id)
    assert error is not None, "the file system never filled up"
    assert "disk is full" in str(error)
    assert len(committed) > 50  # each commit appends its pages to the WAL

    # Still readable, with everything committed, through the writer and a reader.
    def stored(d: Database) -> set[bytes]:
        return {r[0] for r in d.query("SELECT message_id FROM messages")}

    assert stored(db) == set(committed)
    reader = db.reader()
    assert stored(reader) == set(committed)
    assert len(Repository(reader).search(str(len(committed) - 1))) == 1
    reader.close()
    assert len(repo.due(now=10**9, limit=100_000)) == len(committed)
    # The failed transaction left nothing half-written.
    assert repo.message(message(len(committed)).message_id) is None

    ballast.unlink()
    for n in range(len(committed), len(committed) + 20):
        m = message(n, size=100)
        repo.insert_message(m)
        committed.append(m.message_id)
    db.close()

    with Database.open(small_fs / HISTORY_FILE, KEY) as db:
        assert stored(db) == set(committed)
        assert db.integrity_problems() == []


def test_creating_a_history_on_a_full_disk_is_a_clear_error(small_fs: Path) -> None:
    def fill() -> None:
        with (small_fs / "ballast").open("wb") as f:
            while True:
                f.write(b"\0" * 65536)
                f.flush()

    with pytest.raises(OSError, match="No space left") as info:
        fill()
    assert info.value.errno == errno.ENOSPC
    with pytest.raises(HistoryDiskFull):
        Database.open(small_fs / HISTORY_FILE, KEY)
