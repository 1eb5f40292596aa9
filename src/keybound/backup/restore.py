"""Merge a backup into a history: one transaction, committed only when the whole file checked out.

Deduplicated by message ID (and by the natural keys of contacts,
conversations, members, reactions, receipts and attachments): what the
history already holds is kept as it is, so restoring the same backup twice
adds nothing the second time. Messages that were still "sending" when the
backup was made come back as failed (their encrypted envelopes are not in
the backup, by design). Attachment files are written beside the history
under temporary names and put in place only once the transaction commits;
on any failure they are removed and the history is unchanged.

No Olm/Megolm state is ever written: sessions with contacts are made anew.
"""

# SQL text is built only from the constant column lists of layout.py, never from
# data (every value is a bound parameter).
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO

from keybound.errors import BackupDamaged, BackupOfOtherIdentity, BackupWriteFailed
from keybound.store.database import INSERT_ROWS, Database

from . import layout as L
from .age_file import write_error
from .age_recipients import Identity
from .reader import read_backup
from .values import Control, Counts, RestoreSummary

NOT_SENT = "It had not been sent when the backup was made."
SettingsSink = Callable[[dict[str, Any]], None]
_EMPTY: list[dict[str, Any]] = []


class HistoryImport:
    """A reader target that inserts into ``db`` (inside the caller's transaction)."""

    def __init__(
        self,
        db: Database,
        own_identity: bytes,
        attachments_dir: Path,
        apply_settings: SettingsSink | None,
    ) -> None:
        self.db, self.own, self.dir = db, own_identity, attachments_dir
        self.apply_settings = apply_settings
        self.staged: list[tuple[Path, Path]] = []  # (temporary, final)
        self.published: list[Path] = []
        self.added = dict.fromkeys(
            ("contacts", "conversations", "messages", "reactions", "receipts", "attachments"), 0
        )
        self.seen_messages = 0
        self.conversation_ids: set[bytes] = set()
        # Checked rows not inserted yet (see flush), and after each pending message
        # the number of pending reactions, receipts and attachment rows up to it.
        self._rows: list[list[Any]] = []
        self._reactions: list[tuple[Any, ...]] = []
        self._receipts: list[tuple[Any, ...]] = []
        self._attachments: list[tuple[Any, ...]] = []
        self._ends: list[tuple[int, int, int]] = []
        for stale in attachments_dir.glob(".*.restoring") if attachments_dir.is_dir() else ():
            with contextlib.suppress(OSError):
                stale.unlink()  # left by a restore that was killed

    def begin(self, identity_id: bytes, created_at: int) -> None:
        if identity_id != self.own:
            raise BackupOfOtherIdentity()

    def contacts(self, records: list[dict[str, Any]]) -> None:
        rows = [L.from_json(L.CONTACT_COLUMNS, r, L.CONTACTS) for r in records]
        rows = [r for r in rows if r[0] != self.own]
        self.added["contacts"] += self.db.executemany(
            f"INSERT OR IGNORE INTO identities ({', '.join(L.CONTACT_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(L.CONTACT_COLUMNS))})",
            rows,
        )
        # A person known here only by ID (no pinned chain yet) gets the backup's chain.
        self.db.executemany(
            "UPDATE identities SET chain = ? WHERE identity_id = ? AND chain IS NULL",
            [(r[2], r[0]) for r in rows if r[2] is not None],
        )

    def conversations(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            values = L.from_json(L.CONVERSATION_COLUMNS, record, L.CONVERSATIONS)
            self.conversation_ids.add(values[0])
            self._identities([values[3]] if values[3] else [])
            self.added["conversations"] += self.db.execute(
                f"INSERT OR IGNORE INTO conversations ({', '.join(L.CONVERSATION_COLUMNS)}, "
                f"last_sort_at) VALUES ({', '.join('?' * len(L.CONVERSATION_COLUMNS))}, ?)",
                [*values, values[7]],
            )
            # The later read position of the two wins.
            self.db.execute(
                "UPDATE conversations SET last_read_sort_at = ?, last_read_message_id = ? "
                "WHERE conversation_id = ? AND (last_read_sort_at, last_read_message_id) < (?, ?)",
                (values[8], values[9], values[0], values[8], values[9]),
            )
            members = [
                L.from_json(L.MEMBER_COLUMNS, m, L.CONVERSATIONS)
                for m in _list(record, "members", L.CONVERSATIONS)
            ]
            self._identities([m[0] for m in members])
            self.db.executemany(
                "INSERT OR IGNORE INTO conversation_members "
                "(conversation_id, identity_id, role, joined_at) VALUES (?, ?, ?, ?)",
                [(values[0], *m) for m in members],
            )

    def _identities(self, ids: Sequence[bytes]) -> None:
        """Rows for people a record refers to, in case the backup's contact list lacked them."""
        self.db.executemany(
            "INSERT OR IGNORE INTO identities (identity_id, created_at, updated_at) "
            "VALUES (?, 0, 0)",
            [(i,) for i in set(ids) if i != self.own],
        )

    def messages(self, records: list[dict[str, Any]]) -> None:
        """Convert and check the records now; insert them in whole statements (see flush)."""
        what = "a message file"
        rows, reactions, receipts = self._rows, self._reactions, self._receipts
        attachments, ends = self._attachments, self._ends
        known, columns = self.conversation_ids, L.MESSAGE_COLUMNS
        first, first_reaction, first_receipt = len(rows), len(reactions), len(receipts)
        for record in records:
            values = L.from_json(columns, record, what)
            if values[1] not in known:
                raise BackupDamaged("a message belongs to no conversation of the backup")
            if values[12] == "sending":
                values[12], values[13] = "failed", NOT_SENT
            rows.append(values)
            mid = values[0]
            for r in _list(record, "reactions", what):
                reactions.append((mid, *L.from_json(L.REACTION_COLUMNS, r, what)))
            for r in _list(record, "receipts", what):
                receipts.append((mid, *L.from_json(L.RECEIPT_COLUMNS, r, what)))
            for a in _list(record, "attachments", what):
                attachments.append((mid, *L.from_json(L.ATTACHMENT_COLUMNS, a, what)))
            ends.append((len(reactions), len(receipts), len(attachments)))
        self._identities(
            [r[2] for r in rows[first:]]
            + [r[1] for r in reactions[first_reaction:]]
            + [r[2] for r in receipts[first_receipt:]]
        )
        self.seen_messages += len(rows) - first
        while len(rows) >= INSERT_ROWS:
            self.flush(INSERT_ROWS)

    def flush(self, count: int | None = None) -> None:
        """Insert the first ``count`` pending messages (all for None) with their rows.

        Messages wait until there are INSERT_ROWS of them, so that each INSERT
        statement holds that many: FTS5 writes an index segment at every
        statement (Database.insert_many says why), and fewer, larger segments
        halved the time of a million-message restore. Their children (reactions,
        receipts, attachment rows) go with them, after them (they refer to them).
        """
        rows = self._rows
        count = len(rows) if count is None else count
        if not count:
            return
        reactions, receipts, attachments = self._ends[count - 1]
        columns = L.MESSAGE_COLUMNS
        self.added["messages"] += self.db.insert_many(
            f"INSERT OR IGNORE INTO messages ({', '.join(columns)})", len(columns), rows[:count]
        )
        self.added["reactions"] += self.db.insert_many(
            "INSERT OR IGNORE INTO reactions (message_id, sender_identity, emoji, reacted_at)",
            4, self._reactions[:reactions],
        )  # fmt: skip
        self.added["receipts"] += self.db.insert_many(
            "INSERT OR IGNORE INTO receipts (message_id, recipient_device, recipient_identity, "
            "delivered_at, read_at)",
            5, self._receipts[:receipts],
        )  # fmt: skip
        self.db.insert_many(
            f"INSERT OR IGNORE INTO attachments (message_id, {', '.join(L.ATTACHMENT_COLUMNS)})",
            1 + len(L.ATTACHMENT_COLUMNS), self._attachments[:attachments],
        )  # fmt: skip
        del rows[:count], self._reactions[:reactions], self._receipts[:receipts]
        del self._attachments[:attachments]
        self._ends = [
            (a - reactions, b - receipts, c - attachments) for a, b, c in self._ends[count:]
        ]

    def attachment(self, message_id: bytes, position: int, data: IO[bytes], size: int) -> None:
        self.flush()  # its row may still be pending
        row = self.db.query_one(
            "SELECT local_state, local_path FROM attachments WHERE message_id = ? AND position = ?",
            (message_id, position),
        )
        if row is None:
            raise BackupDamaged("an attachment file belongs to no message of the backup")
        if row[0] == "local" and row[1] and Path(row[1]).exists():
            while data.read(256 * 1024):  # this history already has the file
                pass
            return
        final = self.dir / f"{message_id.hex()}-{position}"
        temporary = self.dir / f".{final.name}.{secrets.token_hex(4)}.restoring"
        try:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            self.staged.append((temporary, final))
            with os.fdopen(fd, "wb") as out:
                while piece := data.read(256 * 1024):
                    out.write(piece)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise write_error(exc, final) from None
        self.db.execute(
            "UPDATE attachments SET local_state = 'local', local_path = ? "
            "WHERE message_id = ? AND position = ?",
            (str(final), message_id, position),
        )
        self.added["attachments"] += 1

    def settings(self, values: dict[str, Any]) -> None:
        if self.apply_settings is not None:
            self.apply_settings(values)

    def recount_unread(self) -> None:
        """Unread counts of the conversations touched, from their (possibly moved) read position."""
        self.db.executemany(
            "UPDATE conversations SET unread_count = (SELECT count(*) FROM messages m "
            "WHERE m.conversation_id = conversations.conversation_id AND m.outgoing = 0 "
            "AND m.deleted = 0 AND (m.sort_at, m.message_id) > "
            "(conversations.last_read_sort_at, conversations.last_read_message_id)) "
            "WHERE conversation_id = ?",
            [(c,) for c in self.conversation_ids],
        )

    def publish_files(self) -> None:
        for temporary, final in self.staged:
            try:
                os.replace(temporary, final)
            except OSError as exc:
                raise BackupWriteFailed(
                    f"A restored attachment could not be put in place: {exc.strerror}."
                ) from None
            self.published.append(final)

    def discard_files(self) -> None:
        for path in [t for t, _ in self.staged] + self.published:
            with contextlib.suppress(OSError):
                path.unlink()
        self.staged.clear()
        self.published.clear()


def _list(record: dict[str, Any], key: str, what: str) -> list[dict[str, Any]]:
    value = record.get(key, _EMPTY)
    if value == _EMPTY:  # the common case, checked without walking anything
        return _EMPTY
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BackupDamaged(f"a record in {what} is malformed")
    return value


def restore_backup(
    db: Database,
    source: BinaryIO,
    identities: Sequence[Identity],
    *,
    own_identity: bytes,
    attachments_dir: Path,
    control: Control,
    file_size: int = 0,
    apply_settings: SettingsSink | None = None,
) -> RestoreSummary:
    """Merge the backup in ``source`` into ``db``: all of it, or (on any error) nothing."""
    target = HistoryImport(db, own_identity, attachments_dir, apply_settings)
    try:
        with db.transaction():
            info = read_backup(source, identities, target, control, file_size)
            target.flush()
            target.recount_unread()
            target.publish_files()  # before the commit: a crash now leaves files, not rows
    except BaseException:
        target.discard_files()
        raise
    skipped = target.seen_messages - target.added["messages"]
    return RestoreSummary(info, Counts(**target.added), skipped)
