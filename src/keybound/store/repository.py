"""The typed API over the history database: everything the engine and GUI read or write.

Each method runs in its own transaction, or joins the caller's: the engine
wraps a received message, its protocol state changes and its outbox rows in
one ``with db.transaction():`` so that a crash keeps all or none of them.

Pages are keyset-paginated on the unique key (sort_at, message_id) of the
``messages_page`` index, so a page costs the same at the end of a million
messages as at the start.  The conversation list reads last message and unread
count from columns the schema's triggers keep up to date.
"""

# SQL text is built only from table and column names taken from the model
# classes, never from data (every value is a bound parameter).
# ruff: noqa: S608

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from typing import Any, Generic, TypeVar

from keybound.protocol.state import StateChange

from . import search as fts
from .database import Database, Row
from .models import (
    Attachment,
    AttachmentState,
    Conversation,
    ConversationKind,
    ConversationSummary,
    Device,
    Identity,
    InsertResult,
    Member,
    Message,
    MessageStatus,
    OutboxItem,
    OutboxState,
    Reaction,
    Receipt,
    Role,
    SearchHit,
    Verification,
)

T = TypeVar("T")
_new = object.__new__


def _lookup(kind: type[enum.Enum]) -> Callable[[Any], Any]:
    # A dict is several times faster than Enum(value); it shows in the 1000-row list.
    return {e.value: e for e in kind}.__getitem__


# How stored values become model values, by field name (columns are named like fields).
_LOAD: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(
        (
            "outgoing",
            "deleted",
            "is_self",
            "blocked",
            "is_current",
            "muted",
            "archived",
            "is_request",
        ),
        bool,
    ),
    "status": _lookup(MessageStatus),
    "kind": _lookup(ConversationKind),
    "verification": _lookup(Verification),
    "role": _lookup(Role),
    "local_state": _lookup(AttachmentState),
    "state": _lookup(OutboxState),
}

# The model classes by name, for the generated loaders (see _compile).
_MODELS: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        *(Identity, Device, Conversation, Member, Message, Reaction, Receipt),
        *(Attachment, OutboxItem, ConversationSummary),
    )
}


class _Table(Generic[T]):
    """A frozen dataclass stored as one row of ``name``, one column per field."""

    def __init__(self, cls: type[T], name: str) -> None:
        self.cls, self.name = cls, name
        self.fields = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        self.columns = ", ".join(f"{name}.{f}" for f in self.fields)
        if hasattr(cls, "__post_init__") or hasattr(cls, "__slots__"):
            raise TypeError(f"{cls.__name__} must be a plain frozen dataclass (see _compile)")
        self.load: Callable[[Row], T] = _compile(
            f"o = new({cls.__name__})\n    o.__dict__.update({self.record()})"
        )

    def insert(self, verb: str = "INSERT", extra: tuple[str, ...] = ()) -> str:
        cols = [*self.fields, *extra]
        return f"{verb} INTO {self.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"

    def values(self, obj: T) -> list[Any]:
        return [getattr(obj, f) for f in self.fields]

    def record(self, offset: int = 0) -> str:
        """Python source of this model's ``__dict__`` from ``r[offset:]`` (see :func:`_compile`)."""
        items = []
        for i, f in enumerate(self.fields, offset):
            value = f"r[{i}]"
            if f in _LOAD:
                value = f"(None if r[{i}] is None else {f}(r[{i}]))"
            items.append(f"{f!r}: {value}")
        return "{" + ", ".join(items) + "}"


def _compile(body: str) -> Callable[[Row], Any]:
    """A function ``load(r)`` running ``body`` and returning ``o``.

    What the frozen dataclasses' ``__init__`` would do (every field is a column, the
    models have no ``__post_init__``), without its ``object.__setattr__`` per field or
    a loop over fields and converters per row: this is most of the cost of a page of
    messages and of the 1,000-row conversation list.  Generated the way ``dataclasses``
    makes ``__init__``: the source holds only field names, never data.
    """
    scope: dict[str, Any] = {"new": _new, **_LOAD, **_MODELS}
    exec(f"def load(r):\n    {body}\n    return o\n", scope)  # noqa: S102
    return scope["load"]  # type: ignore[no-any-return]


_IDENTITY = _Table(Identity, "identities")
_DEVICE = _Table(Device, "devices")
_CONVERSATION = _Table(Conversation, "conversations")
_MEMBER = _Table(Member, "conversation_members")
_MESSAGE = _Table(Message, "messages")
_REACTION = _Table(Reaction, "reactions")
_RECEIPT = _Table(Receipt, "receipts")
_ATTACHMENT = _Table(Attachment, "attachments")
_OUTBOX = _Table(OutboxItem, "outbox")
_NEWEST_FIRST = "ORDER BY sort_at DESC, message_id DESC"

# A conversation-list row: the conversation, its counters, then its copy of the last
# message in Message's field order (last_message_id NULL: no messages).
_LAST_COLUMNS = [
    "conversations.conversation_id" if f == "conversation_id" else f"last_{f}"
    for f in _MESSAGE.fields
]
_SUMMARY_SELECT = (
    f"SELECT {_CONVERSATION.columns}, unread_count, last_sort_at, {', '.join(_LAST_COLUMNS)} "
    "FROM conversations"
)
# Not a message request's conversation: one pass over the (usually empty) partial index
# of requests, rather than a lookup of the peer's identity row per listed row.
_LISTED = (
    "AND (peer_identity IS NULL OR peer_identity NOT IN "
    "(SELECT identity_id FROM identities WHERE is_request = 1))"
)
_N = len(_CONVERSATION.fields)
_load_summary: Callable[[Row], ConversationSummary] = _compile(
    f"c = new(Conversation)\n    c.__dict__.update({_CONVERSATION.record()})\n"
    f"    if r[{_N + 2}] is None:\n        m = None\n    else:\n"
    f"        m = new(Message)\n        m.__dict__.update({_MESSAGE.record(_N + 2)})\n"
    "    o = new(ConversationSummary)\n"
    f"    o.__dict__.update(conversation=c, last_message=m, unread_count=r[{_N}], "
    f"last_activity=r[{_N + 1}])"
)


class Repository:
    """Typed reads and writes on one :class:`Database` connection."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _all(self, table: _Table[T], where: str, params: Iterable[Any] = ()) -> list[T]:
        rows = self.db.query(f"SELECT {table.columns} FROM {table.name} {where}", tuple(params))
        return [table.load(r) for r in rows]

    def _one(self, table: _Table[T], where: str, params: Iterable[Any] = ()) -> T | None:
        found = self._all(table, where, params)
        return found[0] if found else None

    # --- identities and devices -------------------------------------------

    def upsert_identity(self, identity: Identity) -> None:
        """Insert, or replace every field but ``created_at``."""
        updates = ", ".join(f"{f} = excluded.{f}" for f in _IDENTITY.fields[2:])
        self.db.execute(
            f"{_IDENTITY.insert()} ON CONFLICT (identity_id) DO UPDATE SET {updates}",
            _IDENTITY.values(identity),
        )

    def identity(self, identity_id: bytes) -> Identity | None:
        return self._one(_IDENTITY, "WHERE identity_id = ?", [identity_id])

    def identities_of(self, identity_ids: Iterable[bytes]) -> list[Identity]:
        """The stored ones of ``identity_ids``, in no order (one query per 500)."""
        ids = list(dict.fromkeys(identity_ids))
        out: list[Identity] = []
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            where = f"WHERE identity_id IN ({','.join('?' * len(part))})"
            out += self._all(_IDENTITY, where, part)
        return out

    def own_identity(self) -> Identity | None:
        return self._one(_IDENTITY, "WHERE is_self = 1")

    def contacts(self, *, include_requests: bool = False) -> list[Identity]:
        """Every identity but our own (and but message requests), by display name."""
        requests = "" if include_requests else "AND is_request = 0"
        return self._all(
            _IDENTITY, f"WHERE is_self = 0 {requests} ORDER BY display_name, identity_id"
        )

    def requests(self) -> list[Identity]:
        """People who wrote to us without being contacts, oldest first."""
        return self._all(_IDENTITY, "WHERE is_request = 1 ORDER BY created_at, identity_id")

    def upsert_device(self, device: Device) -> None:
        self.db.execute(_DEVICE.insert("INSERT OR REPLACE"), _DEVICE.values(device))

    def devices(self, identity_id: bytes, *, include_removed: bool = False) -> list[Device]:
        removed = "" if include_removed else "AND removed_at IS NULL"
        return self._all(
            _DEVICE, f"WHERE identity_id = ? {removed} ORDER BY added_at, device_id", [identity_id]
        )

    def current_device(self) -> Device | None:
        return self._one(_DEVICE, "WHERE is_current = 1")

    # --- conversations ------------------------------------------------------

    def upsert_conversation(self, conv: Conversation) -> None:
        """Create, or update the settable fields (never the read position or counters)."""
        self.db.execute(
            _CONVERSATION.insert(extra=("last_sort_at",))
            + " ON CONFLICT (conversation_id) DO UPDATE SET name = excluded.name, "
            "disappearing_seconds = excluded.disappearing_seconds, muted = excluded.muted, "
            "archived = excluded.archived",
            [*_CONVERSATION.values(conv), conv.created_at],
        )

    def conversation(self, conversation_id: bytes) -> Conversation | None:
        return self._one(_CONVERSATION, "WHERE conversation_id = ?", [conversation_id])

    def delete_conversation(self, conversation_id: bytes) -> None:
        """Remove the conversation with all its messages (and their search text)."""
        self.db.execute("DELETE FROM conversations WHERE conversation_id = ?", (conversation_id,))

    def conversations(
        self, *, archived: bool = False, limit: int | None = None, only: bytes | None = None
    ) -> list[ConversationSummary]:
        """The conversation list, most recent activity first (``only``: that one row).

        One table: the last message is the copy its conversation row keeps (schema 4).
        """
        where = "conversations.conversation_id = ?" if only is not None else "archived = ?"
        rows = self.db.query(
            f"{_SUMMARY_SELECT} WHERE {where} {_LISTED} "
            "ORDER BY last_sort_at DESC, conversations.conversation_id DESC LIMIT ?",
            (archived if only is None else only, -1 if limit is None else limit),
        )
        return list(map(_load_summary, rows))

    def unread_total(self) -> int:
        """The unread count over the conversation list (what the tray and title show)."""
        row = self.db.query_one(
            f"SELECT coalesce(sum(unread_count), 0) FROM conversations WHERE archived = 0 {_LISTED}"
        )
        return int(row[0]) if row else 0

    def set_member(self, conversation_id: bytes, identity_id: bytes, role: Role, at: int) -> None:
        """Add a member, or change the role of one (keeping the join time)."""
        self.db.execute(
            f"{_MEMBER.insert()} ON CONFLICT DO UPDATE SET role = excluded.role",
            (conversation_id, identity_id, role, at),
        )

    def remove_member(self, conversation_id: bytes, identity_id: bytes) -> None:
        self.db.execute(
            "DELETE FROM conversation_members WHERE conversation_id = ? AND identity_id = ?",
            (conversation_id, identity_id),
        )

    def members(self, conversation_id: bytes) -> list[Member]:
        return self._all(
            _MEMBER, "WHERE conversation_id = ? ORDER BY joined_at, identity_id", [conversation_id]
        )

    def mark_read(self, conversation_id: bytes, message_id: bytes) -> int:
        """Everything up to and including ``message_id`` is read; the new unread count.

        The read position only moves forward (a late "read" from another device
        never makes messages unread again).
        """
        with self.db.joined():
            self.db.execute(
                "UPDATE conversations SET (last_read_sort_at, last_read_message_id) = "
                "(m.sort_at, m.message_id) FROM (SELECT sort_at, message_id FROM messages "
                "WHERE message_id = ? AND conversation_id = ?) AS m "
                "WHERE conversations.conversation_id = ? "
                "AND (m.sort_at, m.message_id) > (last_read_sort_at, last_read_message_id)",
                (message_id, conversation_id, conversation_id),
            )
            self.db.execute(
                "UPDATE conversations SET unread_count = (SELECT count(*) FROM messages AS m "
                "WHERE m.conversation_id = conversations.conversation_id AND m.outgoing = 0 "
                "AND m.deleted = 0 AND (m.sort_at, m.message_id) > "
                "(last_read_sort_at, last_read_message_id)) WHERE conversation_id = ?",
                (conversation_id,),
            )
            row = self.db.query_one(
                "SELECT unread_count FROM conversations WHERE conversation_id = ?",
                (conversation_id,),
            )
        return int(row[0]) if row else 0

    # --- messages -------------------------------------------------------------

    _INSERT_MESSAGE = _MESSAGE.insert(extra=("sort_at",)) + " ON CONFLICT (message_id) DO NOTHING"

    def insert_message(self, msg: Message) -> InsertResult:
        """Store a message once: a second insert of the same ID changes nothing."""
        changed = self.db.execute(self._INSERT_MESSAGE, [*_MESSAGE.values(msg), msg.sort_at])
        return InsertResult.INSERTED if changed else InsertResult.DUPLICATE

    def insert_messages(self, msgs: Iterable[Message]) -> None:
        """Bulk import (benchmarks, test histories) in one transaction; duplicates are
        skipped.  Many rows per statement, as a backup restore writes them
        (``Database.insert_many`` says why)."""
        columns = [*_MESSAGE.fields, "sort_at"]
        with self.db.joined():
            self.db.insert_many(
                f"INSERT INTO {_MESSAGE.name} ({', '.join(columns)})", len(columns),
                [[*_MESSAGE.values(m), m.sort_at] for m in msgs],
                " ON CONFLICT (message_id) DO NOTHING",
            )  # fmt: skip

    def message(self, message_id: bytes) -> Message | None:
        return self._one(_MESSAGE, "WHERE message_id = ?", [message_id])

    def latest(self, conversation_id: bytes, limit: int = 50) -> list[Message]:
        """The newest ``limit`` messages, oldest first (display order)."""
        where = f"WHERE conversation_id = ? {_NEWEST_FIRST} LIMIT ?"
        return self._all(_MESSAGE, where, [conversation_id, limit])[::-1]

    def before(self, conversation_id: bytes, message_id: bytes, limit: int = 50) -> list[Message]:
        """The ``limit`` messages just older than ``message_id``, oldest first.

        Raises LookupError if ``message_id`` is not in the conversation (for
        example purged since the page was shown): reload with :meth:`latest`.
        """
        anchor = self.db.query_one(
            "SELECT sort_at FROM messages WHERE message_id = ? AND conversation_id = ?",
            (message_id, conversation_id),
        )
        if anchor is None:
            raise LookupError("no such message in this conversation")
        where = f"WHERE conversation_id = ? AND (sort_at, message_id) < (?, ?) {_NEWEST_FIRST}"
        params = [conversation_id, anchor[0], message_id, limit]
        return self._all(_MESSAGE, f"{where} LIMIT ?", params)[::-1]

    def after(self, conversation_id: bytes, message_id: bytes, limit: int = 50) -> list[Message]:
        """The ``limit`` messages just newer than ``message_id``, oldest first (keyset, as
        :meth:`before`; LookupError if ``message_id`` is not in the conversation)."""
        anchor = self.db.query_one(
            "SELECT sort_at FROM messages WHERE message_id = ? AND conversation_id = ?",
            (message_id, conversation_id),
        )
        if anchor is None:
            raise LookupError("no such message in this conversation")
        where = (
            "WHERE conversation_id = ? AND (sort_at, message_id) > (?, ?) "
            "ORDER BY sort_at, message_id LIMIT ?"
        )
        return self._all(_MESSAGE, where, [conversation_id, anchor[0], message_id, limit])

    def read_position(self, conversation_id: bytes) -> bytes | None:
        """The last message marked read in the conversation (None: nothing read yet)."""
        row = self.db.query_one(
            "SELECT last_read_message_id FROM conversations WHERE conversation_id = ?",
            (conversation_id,),
        )
        return bytes(row[0]) if row and row[0] else None

    def update_status(
        self, message_id: bytes, status: MessageStatus, reason: str | None = None
    ) -> bool:
        return self._update("status = ?, failure_reason = ?", "", [status, reason, message_id])

    def edit_message(self, message_id: bytes, body: str, edited_at: int) -> bool:
        """Replace the text; True if applied.  An edit older than the stored one, or of a
        deleted message, is ignored (edits may arrive out of order)."""
        return self._update(
            "body = ?, edited_at = ?",
            "AND deleted = 0 AND (edited_at IS NULL OR edited_at < ?)",
            [body, edited_at, message_id, edited_at],
        )

    def delete_for_everyone(self, message_id: bytes, at: int) -> bool:
        """Keep a tombstone; drop its text (and search terms), reactions and attachments."""
        with self.db.joined():
            done = self._update(
                "body = NULL, deleted = 1, edited_at = ?", "AND deleted = 0", [at, message_id]
            )
            if done:
                for table in ("reactions", "attachments"):
                    self.db.execute(f"DELETE FROM {table} WHERE message_id = ?", (message_id,))
        return done

    def delete_message(self, message_id: bytes) -> bool:
        """Delete on this device only, without a trace."""
        return bool(self.db.execute("DELETE FROM messages WHERE message_id = ?", (message_id,)))

    def set_expiry(self, message_id: bytes, expires_at: int | None) -> bool:
        """Start (or stop) a disappearing message's timer."""
        return self._update("expires_at = ?", "", [expires_at, message_id])

    def purge_expired(self, now: int) -> int:
        """Delete messages whose time is up, with their search text; how many.

        Outside a transaction it then checkpoints, so old page images leave the WAL too.
        """
        count = self.db.execute(
            "DELETE FROM messages WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,)
        )
        if count:
            self.db.checkpoint()
        return count

    def _update(self, assignments: str, condition: str, params: list[Any]) -> bool:
        sql = f"UPDATE messages SET {assignments} WHERE message_id = ? {condition}"
        return bool(self.db.execute(sql, params))

    # --- reactions, receipts, attachments ---------------------------------------

    def set_reaction(self, reaction: Reaction) -> None:
        """One reaction per person per message: a new one replaces the old."""
        self.db.execute(_REACTION.insert("INSERT OR REPLACE"), _REACTION.values(reaction))

    def remove_reaction(self, message_id: bytes, sender_identity: bytes) -> None:
        self.db.execute(
            "DELETE FROM reactions WHERE message_id = ? AND sender_identity = ?",
            (message_id, sender_identity),
        )

    def reactions(self, message_id: bytes) -> list[Reaction]:
        return self._all(
            _REACTION, "WHERE message_id = ? ORDER BY reacted_at, sender_identity", [message_id]
        )

    def add_receipt(
        self,
        message_id: bytes,
        recipient_identity: bytes,
        recipient_device: bytes,
        *,
        delivered_at: int | None = None,
        read_at: int | None = None,
    ) -> None:
        """Record a receipt; the earliest time of each kind wins, and read implies delivered."""
        delivered_at = delivered_at if delivered_at is not None else read_at
        self.db.execute(
            f"{_RECEIPT.insert()} ON CONFLICT DO UPDATE SET "
            + ", ".join(
                f"{c} = min(coalesce({c}, excluded.{c}), coalesce(excluded.{c}, {c}))"
                for c in ("delivered_at", "read_at")
            ),
            (message_id, recipient_device, recipient_identity, delivered_at, read_at),
        )

    def receipts(self, message_id: bytes) -> list[Receipt]:
        return self._all(_RECEIPT, "WHERE message_id = ? ORDER BY recipient_device", [message_id])

    def reactions_of(self, message_ids: Sequence[bytes]) -> list[Reaction]:
        """The reactions to any of ``message_ids`` (one query for a page of history)."""
        marks = ",".join("?" * len(message_ids))
        where = f"WHERE message_id IN ({marks}) ORDER BY reacted_at, sender_identity"
        return self._all(_REACTION, where, message_ids) if message_ids else []

    def attachments_of(self, message_ids: Sequence[bytes]) -> list[Attachment]:
        """The attachments of any of ``message_ids`` (one query for a page of history)."""
        marks = ",".join("?" * len(message_ids))
        where = f"WHERE message_id IN ({marks}) ORDER BY message_id, position"
        return self._all(_ATTACHMENT, where, message_ids) if message_ids else []

    def messages_of(self, message_ids: Sequence[bytes]) -> list[Message]:
        """The stored ones of ``message_ids`` (quoted messages of a page), in no order."""
        marks = ",".join("?" * len(message_ids))
        return (
            self._all(_MESSAGE, f"WHERE message_id IN ({marks})", message_ids)
            if message_ids
            else []
        )

    def add_attachment(self, attachment: Attachment) -> None:
        self.db.execute(_ATTACHMENT.insert("INSERT OR REPLACE"), _ATTACHMENT.values(attachment))

    def attachments(self, message_id: bytes) -> list[Attachment]:
        return self._all(_ATTACHMENT, "WHERE message_id = ? ORDER BY position", [message_id])

    def set_attachment_state(
        self, message_id: bytes, position: int, state: AttachmentState, path: str | None
    ) -> None:
        self.db.execute(
            "UPDATE attachments SET local_state = ?, local_path = ? "
            "WHERE message_id = ? AND position = ?",
            (state, path, message_id, position),
        )

    # --- search ---------------------------------------------------------------

    def search(
        self, text: str, limit: int = 50, *, conversation_id: bytes | None = None
    ) -> list[SearchHit]:
        """Best matches first (bm25), each with a snippet; [] for text without words."""
        query = fts.fts_query(text)
        if query is None:
            return []
        inner = conversation_id is not None
        params = (query, conversation_id, limit) if inner else (query, limit)
        rows = self.db.query(fts.search_sql(_MESSAGE.columns, inner), params)
        return [SearchHit(_MESSAGE.load(r[:-1]), fts.split_snippet(r[-1] or "")) for r in rows]

    # --- outbox ---------------------------------------------------------------

    def enqueue(
        self, recipient_device: bytes, payload: bytes, now: int, message_id: bytes | None = None
    ) -> int:
        """Queue an encrypted envelope for sending; its outbox ID."""
        self.db.execute(
            "INSERT INTO outbox (message_id, recipient_device, payload, next_attempt_at, "
            "created_at) VALUES (?, ?, ?, ?, ?)",
            (message_id, recipient_device, payload, now, now),
        )
        return int(self.db.query("SELECT last_insert_rowid()")[0][0])

    def due(self, now: int, limit: int = 100) -> list[OutboxItem]:
        """Pending envelopes whose next attempt is due, oldest first."""
        return self._all(
            _OUTBOX,
            "WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
            [now, limit],
        )

    def mark_sent(self, outbox_id: int) -> None:
        """The relay acknowledged: the envelope leaves the queue."""
        self.db.execute("DELETE FROM outbox WHERE id = ?", (outbox_id,))

    def retry_later(self, outbox_id: int, next_attempt_at: int, error: str) -> None:
        self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
            "WHERE id = ?",
            (next_attempt_at, error, outbox_id),
        )

    def mark_failed(self, outbox_id: int, error: str) -> None:
        """Give up on an envelope; it stays (state failed) so the GUI can offer a retry."""
        self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, state = 'failed', last_error = ? "
            "WHERE id = ?",
            (error, outbox_id),
        )

    # --- protocol state, dedup, settings ----------------------------------------

    def apply_state_changes(self, changes: Iterable[StateChange]) -> None:
        """Write a batch of protocol state changes (in the caller's transaction if any).

        Only the last record per key is written: applying them in order ends the same.
        """
        latest = {(c.kind, c.key): c for c in changes}
        puts, drops = [], []
        for (kind, key), c in latest.items():
            value = c.value  # a deferred record pickles its session here: read once
            if value is None:
                drops.append((kind, key))
            else:
                puts.append((kind, key, value))
        with self.db.joined():
            if drops:
                self.db.executemany("DELETE FROM crypto_state WHERE kind = ? AND key = ?", drops)
            if puts:
                self.db.executemany(
                    "INSERT OR REPLACE INTO crypto_state (kind, key, value) VALUES (?, ?, ?)", puts
                )

    def crypto_state(self, kind: str, key: bytes) -> bytes | None:
        sql = "SELECT value FROM crypto_state WHERE kind = ? AND key = ?"
        row = self.db.query_one(sql, (kind, key))
        return bytes(row[0]) if row else None

    def crypto_states(self, kind: str) -> dict[bytes, bytes]:
        rows = self.db.query("SELECT key, value FROM crypto_state WHERE kind = ?", (kind,))
        return {bytes(k): bytes(v) for k, v in rows}

    def mark_processed(self, message_id: bytes, now: int) -> bool:
        """Remember an envelope ID; False if it was seen before (a duplicate)."""
        sql = "INSERT INTO processed_messages VALUES (?, ?) ON CONFLICT DO NOTHING"
        return bool(self.db.execute(sql, (message_id, now)))

    def is_processed(self, message_id: bytes) -> bool:
        sql = "SELECT 1 FROM processed_messages WHERE message_id = ?"
        return self.db.query_one(sql, (message_id,)) is not None

    def forget_processed(self, before: int) -> int:
        return self.db.execute("DELETE FROM processed_messages WHERE processed_at < ?", (before,))

    def setting(self, key: str) -> bytes | None:
        row = self.db.query_one("SELECT value FROM settings WHERE key = ?", (key,))
        return bytes(row[0]) if row else None

    def settings_with_prefix(self, prefix: str) -> dict[str, bytes]:
        """Every setting whose key starts with ``prefix`` (a range of the key index)."""
        if not prefix:
            raise ValueError("settings_with_prefix needs a prefix")
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = self.db.query(
            "SELECT key, value FROM settings WHERE key >= ? AND key < ?", (prefix, end)
        )
        return {str(k): bytes(v) for k, v in rows}

    def set_setting(self, key: str, value: bytes) -> None:
        self.db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))

    def delete_setting(self, key: str) -> None:
        self.db.execute("DELETE FROM settings WHERE key = ?", (key,))
