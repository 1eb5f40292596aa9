"""One flipped byte costs at most the rows on its page, not the whole history (issue 11, item 2).

A real SQLCipher history of 623 messages is damaged the way the issue found it
(one byte flipped at offset 200, in the middle of a page of message rows, 50
bytes from the end); the
scan names the damaged part, and the salvage copies every row that is still
readable into a new encrypted file that SQLCipher opens, with its search
index rebuilt, and counts the messages lost.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from keybound.errors import HistoryUnreadable
from keybound.store import repair
from keybound.store.database import HISTORY_FILE, Database
from keybound.store.models import Conversation, ConversationKind, Identity, Message, new_message_id
from keybound.store.repository import Repository

KEY = bytes(range(32))
CONV = b"conversation-with-peer"
MESSAGES = 623


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pristine") / HISTORY_FILE
    with Database.open(path, KEY, memory_security=False) as db:
        repo = Repository(db)
        with db.transaction():
            repo.upsert_identity(Identity(b"peer", 1, "Peer"))
            repo.upsert_conversation(
                Conversation(CONV, ConversationKind.DIRECT, 1, peer_identity=b"peer")
            )
            for n in range(MESSAGES):
                t = 1_000_000 + n
                body = f"message {n} about the lighthouse " + "w" * (n % 300)
                repo.insert_message(
                    Message(new_message_id(t), CONV, b"peer", b"d", False, t, body, received_at=t)
                )
        db.checkpoint()
    return path


def _message_page(path: Path, which: str) -> int:
    """An offset in the middle of the file's middle (or newest) leaf page of message rows.

    Found in the file rather than assumed at half its size: where the rows land moves
    with every schema change (and the middle of the file may be an index page).
    """
    conn = repair._connect(repair._image(path.read_bytes(), KEY, []))
    try:
        # dbstat's path ("/000/", "/001/", ...) sorts the leaves in key (rowid) order
        query = (
            "SELECT pageno FROM dbstat WHERE name = 'messages' AND pagetype = 'leaf' ORDER BY path"
        )
        pages = [int(r[0]) for r in conn.execute(query)]
    finally:
        conn.close()
    page = pages[len(pages) // 2] if which == "middle" else pages[-1]
    return (page - 1) * repair.PAGE + repair.PAGE // 2


def _damaged(pristine: Path, tmp_path: Path, where: str) -> Path:
    path = tmp_path / HISTORY_FILE
    shutil.copyfile(pristine, path)
    size = path.stat().st_size
    offset = (
        {"start": 200, "end": size - 50}[where]
        if where in ("start", "end")
        else _message_page(path, where)
    )
    with path.open("r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x01]))
    return path


@pytest.mark.parametrize("where", ["start", "middle", "newest", "end"])
def test_a_flipped_byte_costs_at_most_the_rows_of_its_page(
    pristine: Path, tmp_path: Path, where: str
) -> None:
    path = _damaged(pristine, tmp_path, where)
    damage = repair.scan(path, KEY)
    assert damage.damaged and not damage.wrong_key and len(damage.bad_pages) == 1
    if where == "start":
        assert damage.bad_pages == (1,) and "the table directory" in damage.parts
    assert damage.describe().startswith(f"page {damage.bad_pages[0]} of {damage.pages}")

    out = tmp_path / "repaired.db"
    steps: list[tuple[int, int]] = []
    report = repair.salvage(path, KEY, out, progress=lambda d, t: steps.append((d, t)))
    assert steps[-1] == (len(repair.COPY_ORDER), len(repair.COPY_ORDER))
    with Database.open(out, KEY, create=False, memory_security=False) as db:
        assert db.integrity_problems() == []
        repo = Repository(db)
        kept = repo.latest(CONV, 1000)
        lost = MESSAGES - len(kept)
        # a 4 KiB leaf page holds a few dozen of these rows: a damaged one loses them only
        assert lost <= 40, (where, damage.parts, lost)
        assert report.copied["messages"] == len(kept)
        # The list shows the newest message that survived (never the copy of a lost one).
        listed = repo.conversations()
        if listed:
            assert listed[0].last_message == (kept[-1] if kept else None), where
        if "messages" in damage.parts:
            assert report.messages_lost == lost > 0
        else:
            assert lost == 0
        survivor = kept[len(kept) // 2]
        assert survivor.body is not None
        assert [h.message.message_id for h in repo.search(survivor.body.split()[1])] == [
            survivor.message_id
        ]  # the search index is rebuilt from the copied rows
        assert repo.identity(b"peer") is not None


def test_another_key_is_not_damage(pristine: Path) -> None:
    damage = repair.scan(pristine, bytes(32))
    assert damage.wrong_key
    with pytest.raises(HistoryUnreadable, match="not damage"):
        repair.salvage(pristine, bytes(32), pristine.with_name("never.db"))
    assert not pristine.with_name("never.db").exists()


def test_the_damaged_file_is_kept_beside_the_repaired_one(pristine: Path, tmp_path: Path) -> None:
    path = _damaged(pristine, tmp_path, "middle")
    out = tmp_path / "repaired.db"
    repair.salvage(path, KEY, out)
    original = path.read_bytes()
    kept = repair.replace_history(path, out)
    assert kept.read_bytes() == original and kept.name.startswith(f"{HISTORY_FILE}.damaged-")
    assert not out.exists()
    with Database.open(path, KEY, create=False, memory_security=False) as db:
        assert db.integrity_problems() == []


def test_a_file_of_an_older_schema_is_salvaged_with_its_last_messages(tmp_path: Path) -> None:
    """A schema-3 file has no copy of the last message in its conversation rows: the
    salvage fills it in from the messages copied (the list shows them, not empty rows)."""
    data = Path(__file__).parent.parent / "data" / "store"
    key = bytes.fromhex("6b6579626f756e64207465737420686973746f7279206b65792076312e2e2e21")
    source = tmp_path / "old" / HISTORY_FILE
    source.parent.mkdir()
    shutil.copyfile(data / "history-v3.db", source)
    out = tmp_path / "repaired.db"
    repair.salvage(source, key, out)
    with Database.open(out, key, create=False, memory_security=False) as db:
        repo = Repository(db)
        listed = repo.conversations()
        assert len(listed) == 2
        for summary in listed:
            conv = summary.conversation.conversation_id
            assert summary.last_message is not None
            assert summary.last_message == repo.latest(conv, 1)[-1]
