"""How history-v1.db was made (kept for the record; never re-run over the file).

A schema version, once shipped, is frozen together with a real database file
written by the code of that version; the migration tests open a copy of it
with today's code.  Run with the code of schema version 1 only:

    .venv/bin/python tests/data/store/make_history_v1.py OUT.db
"""

from __future__ import annotations

import sys
from pathlib import Path

from keybound.protocol.state import StateChange
from keybound.store.database import Database
from keybound.store.models import (
    Attachment,
    Conversation,
    ConversationKind,
    Device,
    Identity,
    Message,
    MessageStatus,
    Reaction,
    Role,
    Verification,
)
from keybound.store.repository import Repository

KEY = bytes.fromhex("6b6579626f756e64207465737420686973746f7279206b65792076312e2e2e21")
T0 = 1_700_000_000_000
ME, ALICE, BOB = b"identity-me", b"identity-alice", b"identity-bob"
DIRECT, GROUP = b"conversation-alice", b"conversation-group"


def mid(n: int) -> bytes:
    return (T0 + n).to_bytes(6, "big") + n.to_bytes(10, "big")


def build(path: Path) -> None:
    with Database.open(path, KEY) as db:
        assert db.schema_version == 1
        repo = Repository(db)
        with db.transaction():
            repo.upsert_identity(Identity(ME, T0, "Me", is_self=True))
            repo.upsert_identity(Identity(ALICE, T0, "Alice", verification=Verification.VERIFIED))
            repo.upsert_identity(Identity(BOB, T0, "Bob", blocked=False))
            repo.upsert_device(
                Device(b"dev-me", ME, b"c" * 32, b"e" * 32, T0, "laptop", None, True)
            )
            repo.upsert_device(Device(b"dev-alice", ALICE, b"C" * 32, b"E" * 32, T0, "phone"))
            repo.upsert_conversation(
                Conversation(DIRECT, ConversationKind.DIRECT, T0, "", ALICE, 3600)
            )
            repo.upsert_conversation(Conversation(GROUP, ConversationKind.GROUP, T0, "Hikers"))
            for who, role in ((ME, Role.ADMIN), (ALICE, Role.MEMBER), (BOB, Role.MEMBER)):
                repo.set_member(GROUP, who, role, T0)
            for n in range(1, 21):
                conv = DIRECT if n % 2 else GROUP
                outgoing = n % 3 == 0
                sender = ME if outgoing else (ALICE if conv == DIRECT or n % 4 else BOB)
                repo.insert_message(
                    Message(
                        mid(n), conv, sender, b"dev-me" if outgoing else b"dev-alice", outgoing,
                        T0 + n * 1000, f"message {n} about the lighthouse walk",
                        received_at=None if outgoing else T0 + n * 1000 + 5,
                        status=MessageStatus.DELIVERED if outgoing else MessageStatus.RECEIVED,
                    )
                )  # fmt: skip
            repo.edit_message(mid(5), "message 5, edited: the harbour walk", T0 + 60_000)
            repo.delete_for_everyone(mid(7), T0 + 61_000)
            repo.set_reaction(Reaction(mid(1), ME, "👍", T0 + 2000))
            repo.add_receipt(mid(3), ALICE, b"dev-alice", delivered_at=T0 + 3100, read_at=T0 + 3200)
            repo.add_attachment(
                Attachment(mid(9), 0, b"blob-9", b"k" * 32, b"d" * 32, 1234, "image/jpeg", "a.jpg")
            )
            repo.enqueue(b"dev-alice", b"ciphertext", T0 + 100, mid(18))
            repo.apply_state_changes([StateChange("olm_session", b"dev-alice", b"pickle-1")])
            repo.mark_processed(b"envelope-1", T0)
            repo.set_setting("theme", b"dark")
            repo.mark_read(DIRECT, mid(11))
        db.checkpoint()


if __name__ == "__main__":
    out = Path(sys.argv[1])
    if out.exists():
        sys.exit(f"{out} exists: shipped database files are never rebuilt")
    build(out)
