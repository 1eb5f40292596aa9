"""The history database file: keys, settings, errors, readers, transactions, raw bytes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from keybound.errors import HistoryStorageError, HistoryUnreadable
from keybound.store.database import HISTORY_FILE, Database
from keybound.store.keys import KeyPurpose, MasterKey
from keybound.store.migrate import latest_version
from keybound.store.models import (
    Conversation,
    ConversationKind,
    Identity,
    Message,
    new_message_id,
)
from keybound.store.repository import Repository

KEY = bytes(range(32))
SECRET_TEXT = "the treasure is buried under the old oak tree"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seed(repo: Repository, body: str = "hello", n: int = 1, conv: bytes = b"c") -> list[bytes]:
    if repo.identity(b"alice") is None:
        repo.upsert_identity(Identity(b"alice", 1, "Alice"))
        repo.upsert_conversation(
            Conversation(conv, ConversationKind.DIRECT, 1, peer_identity=b"alice")
        )
    ids = []
    for i in range(n):
        mid = new_message_id(1000 + i)
        repo.insert_message(
            Message(mid, conv, b"alice", b"d", False, 1000 + i, body, received_at=2000 + i)
        )
        ids.append(mid)
    return ids


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database.open(tmp_path / HISTORY_FILE, KEY)


def test_new_database_has_the_documented_settings(db: Database) -> None:
    assert db.schema_version == latest_version()
    settings = {
        name: db.query(f"PRAGMA {name}")[0][0]
        for name in ("journal_mode", "synchronous", "foreign_keys", "secure_delete", "temp_store")
    }
    assert settings == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "secure_delete": 1,
        "temp_store": 2,  # MEMORY
    }
    # Off by default (see store.database); this process never turned it on.
    assert db.query("PRAGMA cipher_memory_security")[0][0] == "0"
    assert db.integrity_problems() == []


def test_memory_security_is_still_an_option(tmp_path: Path) -> None:
    # Process-wide and irreversible, so in a fresh interpreter.
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from keybound.store.database import Database\n"
        "db = Database.open(Path(sys.argv[1]), bytes(range(32)), memory_security=True)\n"
        "print(db.query('PRAGMA cipher_memory_security')[0][0])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / HISTORY_FILE)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert out.split() == ["1"]


def test_reopen_with_the_same_key_keeps_the_data(tmp_path: Path) -> None:
    key = MasterKey.generate().derive(KeyPurpose.SQLCIPHER)
    path = tmp_path / HISTORY_FILE
    with Database.open(path, key) as db:
        (mid,) = seed(Repository(db), "kept")
    with Database.open(path, key, create=False) as db:
        message = Repository(db).message(mid)
        assert message is not None
        assert message.body == "kept"


def test_wrong_key_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    with Database.open(path, KEY) as db:
        seed(Repository(db))
        db.checkpoint()
    before = {p.name: digest(p) for p in tmp_path.iterdir()}
    wrong = bytes(31) + b"\x01"
    with pytest.raises(HistoryUnreadable) as info:
        Database.open(path, wrong)
    assert {p.name: digest(p) for p in tmp_path.iterdir()} == before
    # The key appears nowhere in what the error carries.
    rendered = "".join(traceback.format_exception(info.value))
    for secret in (wrong.hex(), KEY.hex(), wrong.hex().upper()):
        assert secret not in rendered
        assert secret not in repr(info.value)


@pytest.mark.parametrize(
    "content",
    [b"SQLite format 3\x00" + bytes(4080), os.urandom(8192), b"just some text file\n" * 300],
    ids=["plain-sqlite-header", "random", "text"],
)
def test_not_a_history_database_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / HISTORY_FILE
    path.write_bytes(content)
    with pytest.raises(HistoryUnreadable):
        Database.open(path, KEY)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == [HISTORY_FILE]


def test_damaged_page_is_reported_not_crashed(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    with Database.open(path, KEY) as db:
        repo = Repository(db)
        seed(repo, "x" * 200, n=200)
        db.checkpoint()
        pages = db.query("PRAGMA page_count")[0][0]
    assert pages > 4
    data = bytearray(path.read_bytes())
    for page in range(1, pages):  # one flipped byte in every page but the header page
        data[4096 * page + 100] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(HistoryUnreadable), Database.open(path, KEY) as db:
        Repository(db).latest(b"c", 500)


def test_missing_file_is_not_created_when_create_is_false(tmp_path: Path) -> None:
    with pytest.raises(HistoryUnreadable, match="missing"):
        Database.open(tmp_path / HISTORY_FILE, KEY, create=False)
    assert list(tmp_path.iterdir()) == []


def test_readers_never_block_the_writer(db: Database) -> None:
    repo = Repository(db)
    seed(repo, n=3)
    reader = db.reader()
    try:
        reader.execute("BEGIN")
        assert reader.query("SELECT count(*) FROM messages")[0][0] == 3
        # The reader holds a snapshot; the writer commits anyway, without waiting.
        with db.transaction():
            repo.insert_message(
                Message(
                    new_message_id(5000), b"c", b"alice", b"d", False, 5000, "new", received_at=5001
                )
            )
        assert reader.query("SELECT count(*) FROM messages")[0][0] == 3
        reader.execute("COMMIT")
        assert reader.query("SELECT count(*) FROM messages")[0][0] == 4
        with pytest.raises(HistoryStorageError, match="READONLY"):
            reader.execute("DELETE FROM messages")
    finally:
        reader.close()


def test_transaction_is_all_or_nothing_and_nests(db: Database) -> None:
    repo = Repository(db)
    seed(repo)

    def fail_after(key: str) -> None:
        with db.transaction():
            repo.set_setting(key, b"1")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_after("a")
    assert repo.setting("a") is None
    with db.transaction():
        repo.set_setting("outer", b"1")
        with pytest.raises(RuntimeError):
            fail_after("inner")
        repo.set_setting("after", b"1")
    assert (repo.setting("outer"), repo.setting("inner"), repo.setting("after")) == (
        b"1",
        None,
        b"1",
    )


def _profile_bytes(profile: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in profile.iterdir() if p.is_file()}


def test_plaintext_and_key_never_reach_the_disk(tmp_path: Path) -> None:
    """Scan every byte written under the profile, with the WAL full and after a checkpoint."""
    master = MasterKey.generate()
    key = master.derive(KeyPurpose.SQLCIPHER)
    needles = [
        SECRET_TEXT.encode(),
        b"treasure",  # a single term as the FTS index stores it
        key,
        key.hex().encode(),
        key.hex().upper().encode(),
        master.value,
    ]
    db = Database.open(tmp_path / HISTORY_FILE, key)
    repo = Repository(db)
    seed(repo, SECRET_TEXT, n=20)
    reader = db.reader()
    assert reader.query("SELECT count(*) FROM messages")[0][0] == 20
    before = _profile_bytes(tmp_path)
    assert any(name.endswith("-wal") and len(data) > 0 for name, data in before.items())
    db.checkpoint()
    after = _profile_bytes(tmp_path)
    reader.close()
    db.close()
    closed = _profile_bytes(tmp_path)
    for snapshot in (before, after, closed):
        for name, data in snapshot.items():
            for needle in needles:
                assert needle not in data, f"{needle[:8]!r}... found in {name}"
    assert repo_search_finds(tmp_path / HISTORY_FILE, key, "treasure")


def test_scan_would_see_plaintext_in_an_unencrypted_file(tmp_path: Path) -> None:
    """The control for the scan above: the same work without a key leaves the text readable."""
    db = Database.open_unencrypted(tmp_path / HISTORY_FILE)
    seed(Repository(db), SECRET_TEXT)
    data = _profile_bytes(tmp_path)
    db.close()
    assert any(SECRET_TEXT.encode() in blob for blob in data.values())


def repo_search_finds(path: Path, key: bytes, word: str) -> bool:
    with Database.open(path, key) as db:
        return bool(Repository(db).search(word))


def test_before_commit_writes_with_the_transaction_and_a_rollback_forgets_it(
    db: Database,
) -> None:
    repo = Repository(db)
    ran: list[str] = []

    def hook(key: str) -> Callable[[], None]:
        def write() -> None:
            ran.append(key)
            repo.set_setting(key, b"1")  # still inside the transaction

        return write

    with pytest.raises(RuntimeError, match="outside"):
        db.before_commit(hook("nowhere"))
    with db.transaction():
        serial = db.serial
        db.before_commit(hook("kept"))
        with db.transaction():  # a savepoint runs nothing of its own
            pass
        assert ran == []
    assert ran == ["kept"] and repo.setting("kept") == b"1"

    def fails() -> None:
        with db.transaction():
            db.before_commit(hook("dropped"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fails()
    with db.transaction():
        assert db.serial == serial + 2  # a new transaction: nothing carried over
    assert ran == ["kept"] and repo.setting("dropped") is None
