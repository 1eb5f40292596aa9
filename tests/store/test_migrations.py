"""Schema migrations: from an empty file and from every shipped version's real file."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from keybound.errors import HistoryTooNew
from keybound.store import migrate
from keybound.store.database import HISTORY_FILE, Database
from keybound.store.migrate import Migration, available, latest_version, statements
from keybound.store.repository import Repository

DATA = Path(__file__).parent.parent / "data" / "store"
# The documented test key of the files in tests/data/store (see its README).
V1_KEY = bytes.fromhex("6b6579626f756e64207465737420686973746f7279206b65792076312e2e2e21")
T0 = 1_700_000_000_000


def mid(n: int) -> bytes:
    return (T0 + n).to_bytes(6, "big") + n.to_bytes(10, "big")


def tables(db: Database) -> set[str]:
    return {r[0] for r in db.query("SELECT name FROM sqlite_schema WHERE type = 'table'")}


def test_shipped_migrations_are_numbered_and_split_cleanly() -> None:
    steps = available()
    assert [m.version for m in steps] == list(range(1, len(steps) + 1))
    assert latest_version() == len(steps)
    first = statements(steps[0].sql)
    triggers = [s for s in first if s.startswith("CREATE TRIGGER")]
    assert len(triggers) == 4
    assert all(s.rstrip().endswith("END;") for s in triggers)


def test_empty_file_migrates_to_latest(tmp_path: Path) -> None:
    with Database.open(tmp_path / HISTORY_FILE, bytes(32)) as db:
        assert db.schema_version == latest_version()
        assert {
            "identities", "devices", "conversations", "conversation_members", "messages",
            "reactions", "receipts", "attachments", "outbox", "crypto_state",
            "processed_messages", "settings", "messages_fts",
        } <= tables(db)  # fmt: skip
        assert db.integrity_problems() == []


@pytest.mark.parametrize("version", range(1, latest_version() + 1))
def test_every_shipped_file_upgrades_and_keeps_its_data(tmp_path: Path, version: int) -> None:
    source = DATA / f"history-v{version}.db"
    path = tmp_path / HISTORY_FILE
    shutil.copyfile(source, path)
    with Database.open(path, V1_KEY) as db:
        assert db.schema_version == latest_version()
        assert db.integrity_problems() == []
        repo = Repository(db)
        me = repo.own_identity()
        assert me is not None
        assert me.display_name == "Me"
        direct = repo.latest(b"conversation-alice", 50)
        assert [m.message_id for m in direct] == [mid(n) for n in range(1, 21, 2)]
        edited = repo.message(mid(5))
        assert edited is not None
        assert edited.body == "message 5, edited: the harbour walk"
        deleted = repo.message(mid(7))
        assert deleted is not None
        assert (deleted.deleted, deleted.body) == (True, None)
        assert [h.message.message_id for h in repo.search("harbour")] == [mid(5)]
        assert len(repo.search("lighthouse", 100)) == 18  # 20, less one edited and one deleted
        summaries = {s.conversation.conversation_id: s for s in repo.conversations()}
        assert summaries[b"conversation-alice"].unread_count == 3  # 13, 17, 19 (15 is ours)
        last = summaries[b"conversation-group"].last_message
        assert last is not None
        assert last.message_id == mid(20)
        # Schema 4's copy of the last message is the message itself, filled in on upgrade.
        assert last == repo.message(mid(20))
        assert summaries[b"conversation-alice"].last_message == repo.message(mid(19))
        assert repo.crypto_state("olm_session", b"dev-alice") == b"pickle-1"
        assert repo.setting("theme") == b"dark"
        assert len(repo.due(T0 + 1000)) == 1
        assert [r.emoji for r in repo.reactions(mid(1))] == ["👍"]
        # Still writable at the new version.
        repo.set_setting("upgraded", b"yes")


def test_file_from_a_newer_keybound_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    with Database.open(path, bytes(32)) as db:
        db.execute(f"PRAGMA user_version = {latest_version() + 1}")
        db.checkpoint()
    before = hashlib.sha256(path.read_bytes()).digest()
    with pytest.raises(HistoryTooNew, match="newer version of Keybound"):
        Database.open(path, bytes(32))
    assert hashlib.sha256(path.read_bytes()).digest() == before


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    with Database.open(tmp_path / HISTORY_FILE, bytes(32)) as db:
        broken = Migration(
            latest_version() + 1,
            "broken.sql",
            "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n",
        )
        with pytest.raises(Exception, match="no_such_table"):
            migrate.migrate(db, (*available(), broken))
        assert db.schema_version == latest_version()
        assert "half_done" not in tables(db)


def test_a_pending_migration_is_applied_with_its_version(tmp_path: Path) -> None:
    path = tmp_path / HISTORY_FILE
    with Database.open(path, bytes(32)) as db:
        Repository(db).set_setting("before", b"1")
        extra = Migration(
            latest_version() + 1,
            "extra.sql",
            "-- a comment; with a semicolon\nCREATE TABLE extra (x INTEGER);\n"
            "CREATE TRIGGER extra_t AFTER INSERT ON extra BEGIN\n"
            "  UPDATE extra SET x = x + 1 WHERE rowid = NEW.rowid;\nEND;\n-- trailing\n",
        )
        assert migrate.migrate(db, (*available(), extra)) == latest_version() + 1
        assert db.schema_version == latest_version() + 1
        db.execute("INSERT INTO extra VALUES (1)")
        assert db.query("SELECT x FROM extra") == [(2,)]
        assert Repository(db).setting("before") == b"1"
