"""Every shipped backup format still restores (tests/data/backup/, one file per format)."""

from __future__ import annotations

from pathlib import Path

from keybound.backup import operations as ops
from keybound.backup.age_recipients import ScryptIdentity
from keybound.backup.values import Control

from .history import ALICE, ME, new_history

SAMPLES = Path(__file__).parent.parent / "data" / "backup"


def test_format_1_sample_restores(tmp_path: Path) -> None:
    repo = new_history(tmp_path / "history.db")
    try:
        summary = ops.restore(
            repo.db, SAMPLES / "backup-v1.age",
            [ScryptIdentity("keybound sample backup passphrase v1")], own_identity=ME,
            attachments_dir=tmp_path / "att", control=Control(),
        )  # fmt: skip
        assert summary.backup.format == 1
        added = summary.added
        assert (added.messages, added.contacts, added.conversations) == (30, 2, 2)
        assert (added.reactions, added.receipts, added.attachments) == (8, 15, 3)
        alice = repo.identity(ALICE)
        assert alice is not None and alice.display_name == "Alice" and alice.chain
        bodies = [r[0] for r in repo.db.query("SELECT body FROM messages ORDER BY sort_at")]
        assert bodies[0] == "message 0 ünïcødé 🙂" and "edited 1" in bodies
        for (path,) in repo.db.query(
            "SELECT local_path FROM attachments WHERE local_path IS NOT NULL"
        ):
            assert Path(path).stat().st_size >= 2000
    finally:
        repo.db.close()
