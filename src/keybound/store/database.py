"""The history database: one SQLCipher file per profile, opened with a raw key.

Settings, and why (the benchmark `bench/store.py` measures their cost):

- **Raw key** (``PRAGMA key = "x'<64 hex>'"``): the key is HKDF output with
  full entropy, so SQLCipher's PBKDF2 pass would add only delay.  The hex text
  exists for one statement and never reaches an exception message.
- **cipher_memory_security = OFF** (the default; ``memory_security=True``
  turns it on): with it, SQLCipher wipes every block of SQLite memory it frees
  (decrypted pages, statement values, FTS buffers) and mlocks it against
  swapping, at two system calls per SQLite allocation: FTS5 allocates per
  term, so inserts and searches ran 10-12x slower than plain SQLite (see the
  benchmark).  The plaintext of every message also lives in Python strings and
  Qt widgets that no one can wipe, so it bought little; SQLCipher itself turned
  it off by default in 4.5.  Instead the app process is kept out of core dumps
  (``keybound.hardening``) and the threat model asks for encrypted swap.
  SQLCipher's own key buffers are wiped and locked either way.  The setting is
  process-wide and cannot be switched off again once on.
- **WAL**: readers see a snapshot and never block the single writer.
- **synchronous = FULL**: the WAL is fsynced at every commit.  NORMAL would
  already keep every commit across a *process* kill (the WAL sits in the OS page
  cache), but a power cut could roll back the last commits, and the engine
  acknowledges a message to the relay (which then deletes it) right after the
  commit: a lost commit would be a lost message.  The cost is one fsync per
  transaction, not per message; the engine batches what it receives.
- **temp_store = MEMORY**: sorts and temporary tables never spill to an
  unencrypted temporary file.
- **secure_delete = ON** (and FTS5 ``secure-delete`` in the schema): deleted
  text is overwritten, not left in free pages or old index segments.
- **cache_size**: 32 MiB for the writer, 16 MiB per reader.  SQLCipher decrypts
  and checks the HMAC of every page it loads, so a cache miss costs more than in
  plain SQLite; 32 MiB holds the hot b-tree interior pages of a million-message
  history.  mmap stays off: SQLCipher cannot map encrypted pages.

One connection must not be used by two threads at the same time: the writer
belongs to the engine's thread; other threads take a :meth:`Database.reader`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn, TypeVar

import sqlcipher3.dbapi2 as sqlcipher

from keybound.errors import (
    HistoryDiskFull,
    HistoryError,
    HistoryStorageError,
    HistoryUnreadable,
)

from . import migrate

HISTORY_FILE = "history.db"
KEY_SIZE = 32
BUSY_TIMEOUT_S = 5.0
WRITER_CACHE_KIB = 32 * 1024
READER_CACHE_KIB = 16 * 1024
WAL_SIZE_LIMIT = 64 * 1024 * 1024
# Rows per statement of insert_many (each statement's SQL text is cached by sqlite3).
INSERT_ROWS = 2048  # a power of two (see insert_many)

# Primary result codes (the low byte of an extended code), from sqlite3.h.
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN = 10, 11, 13, 14
_SQLITE_NOTADB = 26

Row = tuple[Any, ...]
_T = TypeVar("_T")


def _as_is(value: _T) -> _T:
    return value


# sqlite3 binds int, float, str and bytearray directly but sends every other
# parameter (bytes and None among them: every ID and every empty column) through
# its adaptation protocol, whose failed look-ups cost about 1.7 µs per value on
# this build: more than the insert itself. A registered adapter is found at once.
# It returns the value unchanged, so what is stored is exactly what it was.
sqlcipher.register_adapter(bytes, _as_is)
sqlcipher.register_adapter(type(None), _as_is)


def reraise(exc: BaseException) -> NoReturn:
    """Raise the error a person should see for ``exc`` (``exc`` itself if it is a bug)."""
    err = translate(exc)
    if err is exc:
        raise exc
    raise err from exc


def translate(exc: BaseException) -> BaseException:
    """The error a person should see for a database failure; ``exc`` itself for bugs."""
    if isinstance(exc, HistoryError) or not isinstance(exc, sqlcipher.DatabaseError):
        return exc
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code == _SQLITE_FULL:
        return HistoryDiskFull()
    if code in (_SQLITE_NOTADB, _SQLITE_CORRUPT):
        return HistoryUnreadable()
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return HistoryStorageError(
            "The message history is busy in another process. Close other Keybound windows."
        )
    if code in (_SQLITE_IOERR, _SQLITE_CANTOPEN, _SQLITE_READONLY, _SQLITE_PERM):
        name = getattr(exc, "sqlite_errorname", "I/O error")
        return HistoryStorageError(
            f"The message history file cannot be read or written ({name}). "
            "Check the disk and its permissions."
        )
    return exc


class Database:
    """An open history database: the writer connection, or a read-only reader."""

    def __init__(self, conn: Any, path: Path, key: bytes | None, readonly: bool) -> None:
        self._conn = conn
        self._key = key
        self.path = path
        self.readonly = readonly
        self._depth = 0
        self._serial = 0  # outer transactions begun
        self._before_commit: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r}, readonly={self.readonly})"

    @classmethod
    def open(
        cls, path: Path, key: bytes, *, create: bool = True, memory_security: bool = False
    ) -> Database:
        """Open (or create) the history at ``path`` and bring its schema up to date.

        Raises :class:`HistoryUnreadable` for a wrong key or a damaged file (and
        writes nothing), :class:`HistoryTooNew` for a file from a newer Keybound.
        """
        if len(key) != KEY_SIZE:
            raise ValueError("the history key is 32 bytes")
        if not create and not path.exists():
            raise HistoryUnreadable("The message history file is missing.")
        if not create and path.stat().st_size == 0:
            # SQLite would take an empty file for a new database and fill it with an
            # empty schema: the history would seem to be gone, silently.
            raise HistoryUnreadable(
                f"The message history file {path} is empty (0 bytes), so it holds no "
                "history. Nothing was changed. Restore it from a backup, or move it away "
                "to start with an empty history."
            )
        conn = _connect(path, key, readonly=False, memory_security=memory_security)
        db = cls(conn, path, key, readonly=False)
        try:
            db._configure(WRITER_CACHE_KIB)
            migrate.migrate(db)
        except BaseException as exc:
            db.close()
            reraise(exc)
        return db

    @classmethod
    def open_unencrypted(cls, path: Path) -> Database:
        """The same schema and settings without SQLCipher's codec.

        For the benchmark's baseline only: history never lives in such a file.
        """
        conn = _connect(path, None, readonly=False, memory_security=False)
        db = cls(conn, path, None, readonly=False)
        db._configure(WRITER_CACHE_KIB)
        migrate.migrate(db)
        return db

    def reader(self) -> Database:
        """A new read-only connection to the same file; it never blocks the writer (WAL)."""
        # No memory-security pragma here: it is process-wide, set (or not) by the writer.
        conn = _connect(self.path, self._key, readonly=True, memory_security=False)
        db = Database(conn, self.path, self._key, readonly=True)
        try:
            db._configure(READER_CACHE_KIB)
        except BaseException as exc:
            db.close()
            reraise(exc)
        return db

    def _configure(self, cache_kib: int) -> None:
        pragmas = [
            f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}",
            f"PRAGMA cache_size = -{cache_kib}",
            "PRAGMA temp_store = MEMORY",
            "PRAGMA foreign_keys = ON",
            "PRAGMA secure_delete = ON",
        ]
        if self.readonly:
            pragmas.append("PRAGMA query_only = ON")
        else:
            pragmas += [
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = FULL",
                f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}",
            ]
        for pragma in pragmas:
            self._conn.execute(pragma).fetchall()

    # --- statements ------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        try:
            return int(self._conn.execute(sql, params).rowcount)
        except sqlcipher.DatabaseError as exc:
            reraise(exc)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run one statement per row; the number of rows they changed together."""
        try:
            return int(self._conn.executemany(sql, rows).rowcount)
        except sqlcipher.DatabaseError as exc:
            reraise(exc)

    def insert_many(
        self, head: str, width: int, rows: Sequence[Sequence[Any]], tail: str = ""
    ) -> int:
        """``head`` (``INSERT ... (columns)``) with ``VALUES`` of up to ``INSERT_ROWS`` rows
        per statement, then ``tail`` (e.g. an ``ON CONFLICT`` clause); the number of rows
        inserted.

        Why not :meth:`executemany`: on a table with triggers or constraints every
        statement opens a statement savepoint, and FTS5 flushes its pending index
        data at each one, so one statement per row writes one index segment per
        message (and merges them). One statement per many rows flushes once.
        """
        changed, start, marks = 0, 0, "(" + ", ".join("?" * width) + ")"
        try:
            while start < len(rows):
                # Statements of INSERT_ROWS rows, then of powers of two for the rest: a
                # few distinct statements, so the connection's statement cache (whose
                # statements are large) holds few, and memory stays flat.
                count = INSERT_ROWS
                while count > len(rows) - start:
                    count //= 2
                part = rows[start : start + count]
                start += count
                sql = f"{head} VALUES {', '.join([marks] * count)}{tail}"
                flat = [value for row in part for value in row]
                changed += int(self._conn.execute(sql, flat).rowcount)
        except sqlcipher.DatabaseError as exc:
            reraise(exc)
        return changed

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            # No row factory is set: the driver's rows are tuples already.
            rows: list[Row] = self._conn.execute(sql, params).fetchall()
            return rows
        except sqlcipher.DatabaseError as exc:
            reraise(exc)

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @property
    def serial(self) -> int:
        """Which outer transaction is open, or was the last one (a count of them)."""
        return self._serial

    def before_commit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` inside the open transaction just before it commits; a rollback
        forgets it.  For writes that are cheaper done once per transaction."""
        if not self._depth:
            raise RuntimeError("before_commit outside a transaction")
        self._before_commit.append(fn)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: commits on exit, rolls back on any exception.

        Nested use joins the outer transaction through a savepoint, so a
        repository call inside ``with db.transaction():`` commits with the rest.
        """
        depth = self._depth
        self.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT s{depth}")
        self._depth += 1
        if depth == 0:
            self._serial += 1
            self._before_commit.clear()
        try:
            yield
            while depth == 0 and self._before_commit:
                self._before_commit.pop(0)()
        except BaseException as exc:
            self._depth = depth
            if depth == 0:
                self._before_commit.clear()
            self._undo(depth)
            reraise(exc)
        self._depth = depth
        try:
            self.execute("COMMIT" if depth == 0 else f"RELEASE s{depth}")
        except BaseException:
            self._undo(depth)
            raise

    @contextmanager
    def joined(self) -> Iterator[None]:
        """A transaction of its own, or simply part of the caller's open one.

        Unlike a nested :meth:`transaction` this takes no savepoint: FTS5
        flushes its pending index data at every savepoint, which costs a
        segment write per message when the engine commits a batch.  A failure
        inside rolls back with the caller's transaction as the exception
        passes through it.
        """
        if self._depth:
            yield
            return
        with self.transaction():
            yield

    def _undo(self, depth: int) -> None:
        # SQLite may already have rolled the whole transaction back (disk full).
        if not self._conn.in_transaction:
            return
        if depth == 0:
            self._conn.execute("ROLLBACK")
        else:
            self._conn.execute(f"ROLLBACK TO s{depth}")
            self._conn.execute(f"RELEASE s{depth}")

    # --- maintenance -----------------------------------------------------

    def checkpoint(self) -> bool:
        """Copy the WAL into the database and truncate it; False if a reader held it back.

        Run after deleting text so that old page images leave the WAL too.
        """
        if self.readonly or self._depth:
            return False
        busy, _, _ = self.query("PRAGMA wal_checkpoint(TRUNCATE)")[0]
        return bool(busy == 0)

    def integrity_problems(self) -> list[str]:
        """Empty when SQLite's structural check and SQLCipher's page HMACs all pass."""
        problems = [str(r[0]) for r in self.query("PRAGMA integrity_check") if r[0] != "ok"]
        if self._key is not None:
            problems += [str(r[0]) for r in self.query("PRAGMA cipher_integrity_check")]
        return problems

    @property
    def schema_version(self) -> int:
        return int(self.query("PRAGMA user_version")[0][0])

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _connect(path: Path, key: bytes | None, *, readonly: bool, memory_security: bool) -> Any:
    """A connection whose key is set and proven; nothing is written before the proof."""
    uri = f"{path.absolute().as_uri()}?mode={'ro' if readonly else 'rwc'}"
    try:
        conn = sqlcipher.connect(
            uri, uri=True, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S
        )
    except sqlcipher.DatabaseError as exc:
        reraise(exc)
    try:
        if key is not None:
            # SQLCipher would print decryption failures to stderr; the error we raise says it.
            conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
            if memory_security:  # process-wide, and cannot be turned off again
                conn.execute("PRAGMA cipher_memory_security = ON").fetchall()
            _apply_key(conn, key)
        # The first read decrypts page 1: a wrong key or a damaged file fails here.
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()
    except sqlcipher.DatabaseError as exc:
        conn.close()
        raise translate(exc) from None
    return conn


def _apply_key(conn: Any, key: bytes) -> None:
    # PRAGMA takes no bound parameters.  `from None` below drops the original
    # exception (and its frame's locals) so the hex text cannot leak through it.
    failed = False
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"").fetchall()
    except sqlcipher.DatabaseError:
        failed = True
    if failed:
        raise HistoryUnreadable("The message history could not be unlocked.") from None
