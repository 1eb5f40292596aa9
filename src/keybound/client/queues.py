"""The engine's two durable queues: envelopes to send (``outbox``) and messages to
encrypt once their recipients' keys are in (``compose_queue``), schema version 2.

Both are written in the caller's transaction: a message row, its envelopes
and the ratchet state that made them are committed together, or not at all.
"""

# SQL text is constant; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from keybound.client.outbox import INBOX_FULL, QueuedEnvelope
from keybound.store.database import Database
from keybound.wire import cbor
from keybound.wire.frames import DeviceAddress

_CHUNK = 400  # bound parameters per IN (...) list
_OUTBOX_COLUMNS = (
    "id, message_id, recipient_identity, recipient_device, payload, attempts, "
    "next_attempt_at, created_at"
)


@dataclass(frozen=True)
class ComposeItem:
    """A message (or control message) to encrypt and queue once sessions exist."""

    message_id: bytes
    conversation_id: bytes
    group: bool  # Megolm to the group's devices; else Olm to each device
    recipients: tuple[bytes, ...]  # identity IDs (our own devices are always added)
    content_type: int
    content: bytes = field(repr=False)
    created_at: int
    attempts: int = 0
    id: int = 0


class Queues:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- outbox -----------------------------------------------------------------------

    def add_envelopes(
        self, message_id: bytes | None, items: Iterable[tuple[DeviceAddress, bytes]], now: int
    ) -> int:
        rows = [(message_id, a.identity_id, a.device_id, payload, now, now) for a, payload in items]
        self.db.executemany(
            "INSERT INTO outbox (message_id, recipient_identity, recipient_device, payload, "
            "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        return len(rows)

    def pending(self, limit: int) -> list[QueuedEnvelope]:
        rows = self.db.query(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox WHERE state = 'pending' "
            "AND recipient_identity IS NOT NULL ORDER BY id LIMIT ?",
            (limit,),
        )
        return [
            QueuedEnvelope(
                id=r[0],
                message_id=None if r[1] is None else bytes(r[1]),
                recipient=DeviceAddress(bytes(r[2]), bytes(r[3])),
                payload=bytes(r[4]),
                attempts=r[5],
                next_attempt_at=r[6],
                created_at=r[7],
            )
            for r in rows
        ]

    def next_attempt_at(self) -> int | None:
        row = self.db.query_one("SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'")
        return None if row is None or row[0] is None else int(row[0])

    def count(self) -> int:
        row = self.db.query_one("SELECT count(*) FROM outbox WHERE state = 'pending'")
        return int(row[0]) if row else 0

    def remove(self, ids: Sequence[int]) -> None:
        self.db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    def retry_later(self, ids: Sequence[int], next_attempt_at: int, error: str) -> None:
        self.db.executemany(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
            "WHERE id = ?",
            [(next_attempt_at, error, i) for i in ids],
        )

    def fail(self, ids: Sequence[int], error: str) -> None:
        self.db.executemany(
            "UPDATE outbox SET attempts = attempts + 1, state = 'failed', last_error = ? "
            "WHERE id = ?",
            [(error, i) for i in ids],
        )

    def fail_message(self, message_id: bytes, error: str) -> None:
        """Give up on every envelope of one message (a failed one stays for a retry)."""
        self.db.execute(
            "UPDATE outbox SET state = 'failed', last_error = ? WHERE message_id = ?",
            (error, message_id),
        )

    def unsettled(self, message_ids: Iterable[bytes]) -> set[bytes]:
        """Which of ``message_ids`` still have envelopes in the outbox or wait to be encrypted."""
        ids = list(set(message_ids))
        out: set[bytes] = set()
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = self.db.query(
                f"SELECT message_id FROM outbox WHERE message_id IN ({marks}) UNION "
                f"SELECT message_id FROM compose_queue WHERE message_id IN ({marks})",
                (*chunk, *chunk),
            )
            out.update(bytes(r[0]) for r in rows)
        return out

    def full_inboxes(self, message_id: bytes) -> list[bytes]:
        """Identities whose queue on the relay was full the last time an
        envelope of this message was offered to them (it waits for a retry)."""
        rows = self.db.query(
            "SELECT DISTINCT recipient_identity FROM outbox WHERE message_id = ? "
            "AND state = 'pending' AND last_error = ? ORDER BY recipient_identity",
            (message_id, INBOX_FULL),
        )
        return [bytes(r[0]) for r in rows]

    def retry_failed(self, message_id: bytes, now: int) -> int:
        return self.db.execute(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, "
            "last_error = NULL WHERE message_id = ? AND state = 'failed'",
            (now, message_id),
        )

    # --- compose queue ----------------------------------------------------------------

    def add_compose(self, item: ComposeItem) -> None:
        self.db.execute(
            "INSERT INTO compose_queue (message_id, conversation_id, scheme, recipients, "
            "content_type, content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (message_id) DO NOTHING",
            (
                item.message_id,
                item.conversation_id,
                "group" if item.group else "direct",
                cbor.encode(list(item.recipients)),
                item.content_type,
                item.content,
                item.created_at,
            ),
        )

    def compose_items(self, limit: int = 200) -> list[ComposeItem]:
        rows = self.db.query(
            "SELECT id, message_id, conversation_id, scheme, recipients, content_type, content, "
            "created_at, attempts FROM compose_queue ORDER BY id LIMIT ?",
            (limit,),
        )
        items = []
        for r in rows:
            recipients = cbor.decode(bytes(r[4]))
            assert isinstance(recipients, list)
            items.append(
                ComposeItem(
                    message_id=bytes(r[1]),
                    conversation_id=bytes(r[2]),
                    group=r[3] == "group",
                    recipients=tuple(x for x in recipients if isinstance(x, bytes)),
                    content_type=r[5],
                    content=bytes(r[6]),
                    created_at=r[7],
                    attempts=r[8],
                    id=r[0],
                )
            )
        return items

    def compose_count(self) -> int:
        row = self.db.query_one("SELECT count(*) FROM compose_queue")
        return int(row[0]) if row else 0

    def remove_compose(self, message_id: bytes) -> None:
        self.db.execute("DELETE FROM compose_queue WHERE message_id = ?", (message_id,))
