"""How history-v2.db was made (kept for the record; never re-run over the file).

Schema version 2 adds the client engine's queues (``outbox.recipient_identity``,
``compose_queue``).  The file is ``history-v1.db`` opened (so upgraded) by the
code of schema version 2, plus one row in each new place.  Run with the code of
schema version 2 only:

    .venv/bin/python tests/data/store/make_history_v2.py OUT.db
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from keybound.store.database import Database

HERE = Path(__file__).parent
KEY = bytes.fromhex("6b6579626f756e64207465737420686973746f7279206b65792076312e2e2e21")
T0 = 1_700_000_000_000


def build(out: Path) -> None:
    shutil.copyfile(HERE / "history-v1.db", out)
    with Database.open(out, KEY, memory_security=False) as db, db.transaction():
        assert db.schema_version == 2
        db.execute(
            "INSERT INTO outbox (message_id, recipient_identity, recipient_device, payload, "
            "next_attempt_at, created_at) VALUES (NULL, ?, ?, ?, ?, ?)",
            (b"identity-bob", b"dev-bob", b"receipt-envelope", T0 + 5000, T0 + 5000),
        )
        db.execute(
            "INSERT INTO compose_queue (message_id, conversation_id, scheme, recipients, "
            "content_type, content, created_at) VALUES (?, ?, 'direct', ?, 1, ?, ?)",
            ((T0 + 21).to_bytes(6, "big") + (21).to_bytes(10, "big"), b"conversation-alice",
             bytes.fromhex("814e6964656e746974792d616c696365"), bytes.fromhex("a10064686921"),
             T0 + 21),
        )  # fmt: skip


if __name__ == "__main__":
    out = Path(sys.argv[1])
    if out.exists():
        sys.exit(f"{out} exists: shipped database files are never rebuilt")
    build(out)
