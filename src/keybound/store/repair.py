"""Finding damage in the history file and copying what can still be read into a new one.

SQLCipher checks a MAC on every page it reads, so one flipped byte makes that
page unreadable; if it is page 1 (the file header and the table directory)
SQLite cannot even list the tables, and everything seems lost.  But only that
one page is damaged.  This module reads the file page by page itself with
the same key and the same, documented page format (SQLCipher 4: AES-256-CBC
per page, HMAC-SHA512 over ciphertext, IV and page number; the MAC key is
PBKDF2-HMAC-SHA512 of the raw key with the file's salt XOR 0x3a, 2 rounds),
using ``cryptography`` for AES and the standard library for the MAC:

- :func:`scan` says which pages fail their MAC and what they belonged to
  (the table directory, the messages, their search index, ...);
- :func:`salvage` builds the decrypted image **in memory only** (never in a
  file), replaces each damaged leaf page by an empty one of its kind (so the
  rows on it, and only those, are lost), repairs the file header from what
  the format fixes, and copies every row SQLite can still read into a fresh,
  encrypted history written beside the old one.  Rows come only from pages
  whose MAC verified, so nothing garbled is copied.  The caller then moves
  the damaged file aside and the new one into place (:func:`replace_history`).
"""

# Table and column names in SQL text come from COPY_ORDER and our own schema, never input.
# ruff: noqa: S608

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from keybound.errors import HistoryUnreadable, OperationCancelled

from . import migrate
from .database import Database

log = logging.getLogger(__name__)

PAGE = 4096
_IV, _MAC = 16, 64
_RESERVE = _IV + _MAC
_SALT = 16
_HEADER = b"SQLite format 3\x00"
_LEAVES = (0x0D, 0x0A)  # table leaf, index leaf
# rows are copied parents first, so references resolve in the new file
COPY_ORDER = (
    "settings", "identities", "devices", "conversations", "conversation_members", "messages",
    "reactions", "receipts", "attachments", "outbox", "compose_queue", "crypto_state",
    "processed_messages",
)  # fmt: skip
PARTS = {
    "sqlite_schema": "the table directory",
    "messages": "messages",
    "messages_fts": "the search index",
    "crypto_state": "encryption sessions",
    "identities": "contacts",
    "conversations": "conversations",
}

Progress = Callable[[int, int], None]

# A conversation whose last message was on a damaged page keeps, after the copy, the
# columns of that lost message (schema 4 keeps a copy of it in the row), and one from
# an older file has no copy at all: the newest message that survived takes its place,
# as when a message is deleted.
_MESSAGE_COLUMNS = (
    "message_id, sender_identity, sender_device, outgoing, sent_at, body, content_type, "
    "received_at, edited_at, reply_to, status, failure_reason, expires_at, deleted"
)
_NEWEST = (
    "FROM messages WHERE conversation_id = conversations.conversation_id "
    "ORDER BY sort_at DESC, message_id DESC LIMIT 1"
)
_RELINK_LAST = (
    "UPDATE conversations SET (last_"
    + ", last_".join(_MESSAGE_COLUMNS.split(", "))
    + f") = (SELECT {_MESSAGE_COLUMNS} {_NEWEST}), "
    f"last_sort_at = coalesce((SELECT sort_at {_NEWEST}), created_at) "
    # last_status NULL: a file of schema 3 or older had no copy to bring
    "WHERE last_message_id IS NOT NULL AND (last_status IS NULL OR NOT EXISTS "
    "(SELECT 1 FROM messages WHERE messages.message_id = conversations.last_message_id))"
)


@dataclass(frozen=True)
class Damage:
    """Pages of the file whose MAC fails, and the parts of the history they held."""

    pages: int
    bad_pages: tuple[int, ...]
    parts: tuple[str, ...]  # for people: "the table directory", "messages", ...

    @property
    def damaged(self) -> bool:
        return bool(self.bad_pages)

    @property
    def wrong_key(self) -> bool:
        """Every page fails: not damage but another key (or not a history at all)."""
        return self.pages > 0 and len(self.bad_pages) == self.pages

    def describe(self) -> str:
        where = ", ".join(self.parts) or "unused space"
        pages = ", ".join(str(p) for p in self.bad_pages[:5])
        more = f" and {len(self.bad_pages) - 5} more" if len(self.bad_pages) > 5 else ""
        return f"page {pages}{more} of {self.pages}, holding {where}"


@dataclass(frozen=True)
class RepairReport:
    damage: Damage
    copied: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    messages_lost: int = 0  # known from the messages' own index; at least this many
    damaged_copy: Path | None = None  # where the old file was kept


def _mac_key(key: bytes, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", key, bytes(b ^ 0x3A for b in salt), 2, 32)


def _pages(data: bytes) -> int:
    return len(data) // PAGE


def _page_ok(data: bytes, number: int, mac_key: bytes) -> bool:
    return _mac_ok(data[(number - 1) * PAGE : number * PAGE], number, mac_key)


def _mac_ok(page: bytes, number: int, mac_key: bytes) -> bool:
    start = _SALT if number == 1 else 0
    mac = hmac.new(mac_key, page[start : PAGE - _MAC] + number.to_bytes(4, "little"), "sha512")
    return hmac.compare_digest(mac.digest(), page[PAGE - _MAC :])


def _decrypt(data: bytes, number: int, key: bytes) -> bytes:
    page = data[(number - 1) * PAGE : number * PAGE]
    start = _SALT if number == 1 else 0
    iv = page[PAGE - _RESERVE : PAGE - _MAC]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(page[start : PAGE - _RESERVE]) + decryptor.finalize()
    head = _HEADER if number == 1 else b""
    return head + plain + bytes(_RESERVE)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise HistoryUnreadable(
            f"The message history file cannot be read ({exc.strerror})."
        ) from None


def _with_wal(data: bytes, path: Path, key: bytes) -> bytes:
    """``data`` with the committed pages of the WAL beside it laid over (a crash leaves
    commits there).  A frame counts only if its page MAC verifies and a commit follows."""
    wal = Path(f"{path}-wal")
    try:
        raw = wal.read_bytes()
    except OSError:
        return data
    if len(raw) < 32 or len(data) < PAGE:
        return data
    mac_key = _mac_key(key, data[:_SALT])
    salts = raw[16:24]
    pages = bytearray(data)
    pending: list[tuple[int, bytes]] = []
    at = 32
    while at + 24 + PAGE <= len(raw):
        number = int.from_bytes(raw[at : at + 4], "big")
        commit = int.from_bytes(raw[at + 4 : at + 8], "big")
        frame = raw[at + 24 : at + 24 + PAGE]
        at += 24 + PAGE
        if raw[at - PAGE - 16 : at - PAGE - 8] != salts or number < 1:
            break  # a frame of an older WAL generation: the log ends here
        if not _mac_ok(frame, number, mac_key):
            break
        pending.append((number, frame))
        if commit:
            for n, page in pending:
                if len(pages) < n * PAGE:
                    pages += bytes(n * PAGE - len(pages))
                pages[(n - 1) * PAGE : n * PAGE] = page
            pending.clear()
            del pages[commit * PAGE :]
    return bytes(pages)


def bad_pages(data: bytes, key: bytes) -> list[int]:
    if len(data) < PAGE or len(data) % PAGE:
        raise HistoryUnreadable("The message history file is cut short: it is not whole pages.")
    mac_key = _mac_key(key, data[:_SALT])
    return [n for n in range(1, _pages(data) + 1) if not _page_ok(data, n, mac_key)]


def scan(path: Path, key: bytes) -> Damage:
    """Which pages of ``path`` fail their MAC under ``key``, and what they held."""
    data = _with_wal(_read(path), path, key)
    bad = bad_pages(data, key)
    if not bad or len(bad) == _pages(data):
        return Damage(_pages(data), tuple(bad), ())
    image = _image(data, key, bad)
    return Damage(_pages(data), tuple(bad), tuple(_owners(image, bad)))


def _image(data: bytes, key: bytes, bad: list[int]) -> bytes:
    """The decrypted file in memory; damaged leaves emptied, the header repaired."""
    out = bytearray()
    bad_set = set(bad)
    for n in range(1, _pages(data) + 1):
        page = bytearray(_decrypt(data, n, key))
        if n == 1:
            page[18:20] = b"\x01\x01"  # read as a rollback-journal file: memory has no WAL
        if n in bad_set:
            at = 100 if n == 1 else 0
            kind = page[at]
            if n == 1:
                _fix_header(page, _pages(data))
            if kind in _LEAVES and n != 1:
                page[:] = _empty_leaf(kind)
        out += page
    return bytes(out)


def _fix_header(page: bytearray, pages: int) -> None:
    """Page 1's header fields that the format and our settings fix (the rest is ours)."""
    page[16:18] = PAGE.to_bytes(2, "big")
    page[18:20] = b"\x01\x01"
    page[20] = _RESERVE
    page[21:24] = b"\x40\x20\x20"
    page[28:32] = pages.to_bytes(4, "big")
    page[32:40] = bytes(8)  # no free list: free pages are simply unused
    page[44:48] = (4).to_bytes(4, "big")
    page[52:56] = bytes(4)  # no auto-vacuum
    page[56:60] = (1).to_bytes(4, "big")  # UTF-8
    version = int.from_bytes(page[60:64], "big")
    if not 1 <= version <= migrate.latest_version():
        page[60:64] = migrate.latest_version().to_bytes(4, "big")
    page[64:72] = bytes(8)
    page[72:92] = bytes(20)
    page[92:96] = page[24:28]


def _empty_leaf(kind: int) -> bytes:
    page = bytearray(PAGE)
    page[0] = kind
    page[5:7] = (PAGE - _RESERVE).to_bytes(2, "big")  # cell content starts at the end
    return bytes(page)


def _connect(image: bytes) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.deserialize(image)
    conn.execute("PRAGMA query_only = ON")
    return conn


def _owners(image: bytes, bad: list[int]) -> list[str]:
    """Names for the parts the bad pages held (as far as the tree can still be walked)."""
    parts: list[str] = []
    if 1 in bad:
        parts.append(PARTS["sqlite_schema"])
    try:
        conn = _connect(image)
    except sqlite3.DatabaseError:
        return parts or ["the table directory"]
    try:
        wanted = set(bad) - {1}
        for (name,) in _safe_rows(conn, "SELECT name FROM sqlite_schema WHERE rootpage > 0"):
            query = "SELECT pageno FROM dbstat WHERE name = ?"
            pages = {int(str(r[0])) for r in _safe_rows(conn, query, (name,))}
            if pages & wanted:
                table = _table_of(conn, str(name))
                part = PARTS.get(table, table)
                if part not in parts:
                    parts.append(part)
                wanted -= pages
    finally:
        conn.close()
    return parts


def _table_of(conn: sqlite3.Connection, name: str) -> str:
    rows = _safe_rows(conn, "SELECT tbl_name FROM sqlite_schema WHERE name = ?", (name,))
    table = str(rows[0][0]) if rows else name
    return "messages_fts" if table.startswith("messages_fts") else table


def _safe_rows(
    conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()
) -> list[tuple[object, ...]]:
    """The rows SQLite can read before it meets damage."""
    out: list[tuple[object, ...]] = []
    try:
        for row in conn.execute(sql, params):
            out.append(tuple(row))
    except sqlite3.DatabaseError:
        pass
    return out


def _rows(
    conn: sqlite3.Connection, table: str, columns: list[str], rowid: bool
) -> Iterator[tuple[object, ...]]:
    """Every readable row of ``table``; past damage in an inner page, the scan goes on."""
    cols = ", ".join(columns)
    if not rowid:
        yield from _safe_rows(conn, f"SELECT {cols} FROM {table}")
        return
    last = -(1 << 62)
    while True:
        got = False
        try:
            cursor = conn.execute(
                f"SELECT rowid, {cols} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 512",
                (last,),
            )
            for row in cursor:
                got = True
                last = int(row[0])
                yield tuple(row[1:])
        except sqlite3.DatabaseError:
            resume = _skip(conn, table, last)
            if resume is None:
                return
            last = resume
            continue
        if not got:
            return


def _skip(conn: sqlite3.Connection, table: str, last: int) -> int | None:
    """A rowid past the damaged stretch after ``last`` from which reading works, or None."""
    step = 1
    for _ in range(62):
        try:
            row = conn.execute(
                f"SELECT rowid FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 1", (last + step,)
            ).fetchone()
        except sqlite3.DatabaseError:
            step *= 2
            continue
        return None if row is None else last + step
    return None


def salvage(
    path: Path,
    key: bytes,
    out: Path,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
    memory_security: bool = True,
) -> RepairReport:
    """Copy every readable row of ``path`` into a new history at ``out`` (same key)."""
    data = _with_wal(_read(path), path, key)
    bad = bad_pages(data, key)
    if len(bad) == _pages(data):
        raise HistoryUnreadable(
            "The message history cannot be opened with this key at all; it is not damage "
            "that a repair could work around."
        )
    image = _image(data, key, bad)
    damage = Damage(_pages(data), tuple(bad), tuple(_owners(image, bad)))
    try:
        old = _connect(image)
    except sqlite3.DatabaseError:
        raise HistoryUnreadable(
            "The message history is damaged beyond what a repair can read."
        ) from None
    copied: dict[str, int] = {}
    try:
        new = Database.open(out, key, memory_security=memory_security)
        try:
            new.execute("PRAGMA foreign_keys = OFF")  # a row whose parent was lost is kept
            with new.transaction():
                for i, table in enumerate(COPY_ORDER):
                    if cancelled():
                        raise OperationCancelled()
                    copied[table] = _copy(old, new, table)
                    if progress is not None:
                        progress(i + 1, len(COPY_ORDER))
                new.execute(_RELINK_LAST)
            new.execute("PRAGMA foreign_keys = ON")
        finally:
            new.close()
        lost = _lost_messages(old)
    except BaseException:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{out}{suffix}").unlink(missing_ok=True)
        raise
    finally:
        old.close()
    return RepairReport(damage, copied, lost)


def _columns(conn: sqlite3.Connection | Database, table: str) -> list[str]:
    if isinstance(conn, Database):
        rows = conn.query(f"PRAGMA table_info({table})")
    else:
        rows = _safe_rows(conn, f"PRAGMA table_info({table})")
    return [str(r[1]) for r in rows]


def _copy(old: sqlite3.Connection, new: Database, table: str) -> int:
    wanted = _columns(new, table)
    have = set(_columns(old, table))
    columns = [c for c in wanted if c in have]
    if not columns:
        return 0
    without_rowid = bool(
        _safe_rows(
            old,
            "SELECT 1 FROM sqlite_schema WHERE name = ? AND sql LIKE '%WITHOUT ROWID%'",
            (table,),
        )
    )
    insert = (
        f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    batch: list[tuple[object, ...]] = []
    count = 0
    for row in _rows(old, table, columns, rowid=not without_rowid):
        batch.append(row)
        if len(batch) >= 500:
            new.executemany(insert, batch)
            count += len(batch)
            batch.clear()
    if batch:
        new.executemany(insert, batch)
        count += len(batch)
    return count


def _lost_messages(old: sqlite3.Connection) -> int:
    """Messages the index still names but whose rows were on a damaged page."""
    indexed = {
        r[0] for r in _safe_rows(old, "SELECT message_id FROM messages INDEXED BY messages_page")
    }
    stored = {r[0] for r in _rows(old, "messages", ["message_id"], rowid=True)}
    return len(indexed - stored)


def replace_history(history: Path, repaired: Path) -> Path:
    """Keep the damaged file (and its WAL) beside, move the repaired one into place."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    kept = history.with_name(f"{history.name}.damaged-{stamp}")
    os.replace(history, kept)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{history}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{kept}{suffix}"))
    os.replace(repaired, history)
    fd = os.open(history.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return kept
