"""One flipped byte costs at most the rows on its page, not the whole history (issue 11, item 2).

A real SQLCipher history of 623 messages is damaged the way the issue found it
(one byte flipped at offset 200, in the middle, 50 bytes from the end); the
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


def _damaged(pristine: Path, tmp_path: Path, where: str) -> Path:
    path = tmp_path / HISTORY_FILE
    shutil.copyfile(pristine, path)
    size = path.stat().st_size
    offset = {"start": 200, "middle": size // 2, "end": size - 50}[where]
    with path.open("r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x01]))
    return path


@pytest.mark.parametrize("where", ["start", "middle", "end"])
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
