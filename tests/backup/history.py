"""A history with every kind of record a backup carries, and a table dump to compare two."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from keybound.store.database import Database
from keybound.store.models import (
    Attachment,
    AttachmentState,
    Conversation,
    ConversationKind,
    Identity,
    Message,
    MessageStatus,
    Reaction,
    Role,
    Verification,
    new_message_id,
)
from keybound.store.repository import Repository

KEY = bytes(range(32))
ME = bytes.fromhex("11" * 32)
ALICE = bytes.fromhex("22" * 32)
BOB = bytes.fromhex("33" * 32)
DIRECT = bytes.fromhex("aa" * 16)
GROUP = bytes.fromhex("bb" * 16)


def new_history(path: Path, own: bytes = ME) -> Repository:
    repo = Repository(Database.open(path, KEY, memory_security=False))
    repo.upsert_identity(Identity(own, 1, "Me", is_self=True))
    return repo


def fill(repo: Repository, files: Path, messages: int = 50, attachment_size: int = 70_000) -> None:
    """Two conversations, edits, deletions, replies, reactions, receipts, expiry, attachments."""
    repo.upsert_identity(
        Identity(ALICE, 2, "Alice", chain=b"alice-chain", verification=Verification.VERIFIED)
    )
    repo.upsert_identity(Identity(BOB, 3, "Bob", blocked=True))
    repo.upsert_conversation(Conversation(DIRECT, ConversationKind.DIRECT, 5, peer_identity=ALICE))
    repo.upsert_conversation(
        Conversation(GROUP, ConversationKind.GROUP, 7, "Hikers", disappearing_seconds=3600)
    )
    repo.set_member(GROUP, ALICE, Role.ADMIN, 8)
    repo.set_member(GROUP, BOB, Role.MEMBER, 9)
    files.mkdir(parents=True, exist_ok=True)
    previous = None
    for n in range(messages):
        t = 10_000 + n * 10
        conv = DIRECT if n % 3 else GROUP
        outgoing = n % 2 == 0
        sender = ME if outgoing else (ALICE if n % 4 else BOB)
        status = MessageStatus.READ if outgoing else MessageStatus.RECEIVED
        if n == messages - 1:
            status = MessageStatus.SENDING
        m = Message(
            new_message_id(t), conv, sender, b"dev" + bytes([n % 7]), outgoing, t,
            f"message {n} ünïcødé 🙂", received_at=None if outgoing else t + 1,
            reply_to=previous, status=status, expires_at=t + 3_600_000 if conv == GROUP else None,
        )  # fmt: skip
        repo.insert_message(m)
        previous = m.message_id
        if n % 5 == 1:
            repo.edit_message(m.message_id, f"edited {n}", t + 5)
        if n % 11 == 3:
            repo.delete_for_everyone(m.message_id, t + 6)
        if n % 4 == 0:
            repo.set_reaction(Reaction(m.message_id, ALICE, "👍", t + 2))
        if outgoing:
            repo.add_receipt(m.message_id, ALICE, b"alice-dev", delivered_at=t + 3, read_at=t + 4)
        if n % 10 == 2:
            path = files / f"file-{n}.bin"
            path.write_bytes(os.urandom(attachment_size + n))
            repo.add_attachment(
                Attachment(
                    m.message_id, 0, os.urandom(16), os.urandom(32), os.urandom(32),
                    attachment_size + n, "application/octet-stream", f"file {n}.bin",
                    thumbnail=b"thumb", local_state=AttachmentState.LOCAL, local_path=str(path),
                )
            )  # fmt: skip
            repo.add_attachment(
                Attachment(
                    m.message_id, 1, os.urandom(16), os.urandom(32), os.urandom(32), 10,
                    "image/png", "remote.png",
                )
            )  # fmt: skip
    repo.mark_read(DIRECT, repo.latest(DIRECT, 1)[0].message_id)


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every table a backup carries, without local-only columns (rowid, file paths)."""
    return {
        "identities": db.query(
            "SELECT identity_id, is_self, display_name, chain, verification, blocked "
            "FROM identities ORDER BY identity_id"
        ),
        "conversations": db.query(
            "SELECT conversation_id, kind, name, peer_identity, disappearing_seconds, muted, "
            "archived, created_at, last_read_sort_at, last_read_message_id, last_sort_at, "
            "last_message_id, unread_count FROM conversations ORDER BY conversation_id"
        ),
        "members": db.query("SELECT * FROM conversation_members ORDER BY 1, 2"),
        "messages": db.query(
            "SELECT message_id, conversation_id, sender_identity, sender_device, outgoing, "
            "sort_at, sent_at, received_at, edited_at, content_type, body, reply_to, "
            "CASE status WHEN 'sending' THEN 'failed' ELSE status END, expires_at, deleted "
            "FROM messages ORDER BY message_id"
        ),
        "reactions": db.query("SELECT * FROM reactions ORDER BY 1, 2"),
        "receipts": db.query("SELECT * FROM receipts ORDER BY 1, 2"),
        "attachments": db.query(
            "SELECT message_id, position, blob_id, key, digest, size, media_type, file_name, "
            "thumbnail, local_state FROM attachments ORDER BY 1, 2"
        ),
    }
