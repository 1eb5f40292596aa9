"""Write the history as a tar stream of JSON Lines and files (format 1, see ``layout``).

Reads through a read-only connection inside one read transaction, so the
backup is a consistent snapshot while the engine goes on writing (WAL).
Messages are read in keyset pages and written in parts of bounded size,
attachments are copied in chunks: memory stays constant whatever the size
of the history. Never written: Olm/Megolm state, device keys, the outbox,
keyslots or the master key; they are not even read.
"""

# SQL text is built only from the constant column lists of layout.py, never from
# data (every value is a bound parameter).
# ruff: noqa: S608

from __future__ import annotations

import hashlib
import os
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from keybound.errors import BackupWriteFailed
from keybound.store.database import Database

from . import layout as L
from .values import FORMAT_VERSION, BackupInfo, Control, Counts, Phase, Progress

PAGE = 2000
COPY_BLOCK = 1024 * 1024


class Sink(Protocol):
    def write(self, data: bytes | bytearray | memoryview) -> int: ...


@dataclass
class _Tally:
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("contacts", "conversations", "messages", "reactions", "receipts", "attachments"), 0
        )
    )
    messages_total: int = 0
    bytes_total: int = 0
    bytes_done: int = 0


class _TarOut:
    """The tar stream ``tarfile`` writes in ``w|`` mode (pax headers, 512-byte blocks,
    two zero blocks and padding to a 10 KiB record at the end), written straight
    into the sink: member data goes through in large pieces, never copied into
    tarfile's 10 KiB stream buffer first."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.offset = 0

    def header(self, info: tarfile.TarInfo) -> None:
        self._write(info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape"))

    def data(self, data: bytes | bytearray | memoryview) -> None:
        self._write(data)

    def end_member(self, size: int) -> None:
        remainder = size % tarfile.BLOCKSIZE
        if remainder:
            self._write(tarfile.NUL * (tarfile.BLOCKSIZE - remainder))

    def close(self) -> None:
        self._write(tarfile.NUL * (2 * tarfile.BLOCKSIZE))
        remainder = self.offset % tarfile.RECORDSIZE
        if remainder:
            self._write(tarfile.NUL * (tarfile.RECORDSIZE - remainder))

    def _write(self, data: bytes | bytearray | memoryview) -> None:
        self.sink.write(data)
        self.offset += len(data)


class _Writer:
    def __init__(self, tar: _TarOut, tally: _Tally, control: Control, now: int) -> None:
        self.tar, self.tally, self.control, self.now = tar, tally, control, now

    def info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, self.now // 1000, 0o600
        return info

    def member(self, name: str, data: bytes | bytearray) -> None:
        self.control.check()
        self.tar.header(self.info(name, len(data)))
        self.tar.data(data)
        self.tar.end_member(len(data))
        self.tally.members[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def file(self, name: str, path: Path, size: int) -> bool:
        """Copy an attachment file; False (and nothing written) if it is gone or changed size."""
        try:
            source = path.open("rb", buffering=0)
        except FileNotFoundError:
            return False
        with source:
            if os.fstat(source.fileno()).st_size != size:  # the size of what is read
                return False
            self.tar.header(self.info(name, size))
            digest = hashlib.sha256()
            block = bytearray(COPY_BLOCK)
            view = memoryview(block)
            left = size
            while left:
                self.control.check()
                got = source.readinto(view[: min(left, COPY_BLOCK)])
                if not got:
                    raise OSError(f"{path} became shorter while it was copied")
                piece = view[:got]
                digest.update(piece)  # hashlib lets go of the GIL for large pieces
                self.tar.data(piece)
                left -= got
                self.tally.bytes_done += got
            self.tar.end_member(size)
        self.tally.members[name] = {"size": size, "sha256": digest.hexdigest()}
        return True


def _lines(records: Iterator[dict[str, Any]]) -> bytes:
    return b"".join(L.dumps(r) + b"\n" for r in records)


def write_backup(
    db: Database,
    sink: Sink,
    own_identity: bytes,
    *,
    settings: Mapping[str, Any],
    include_attachments: bool,
    control: Control,
    now: int,
) -> BackupInfo:
    """Write the whole backup into ``sink``; returns what it holds (size 0: unknown here)."""
    tally = _Tally()
    db.execute("BEGIN")  # one snapshot for every query below
    try:
        tally.messages_total = int(db.query("SELECT count(*) FROM messages")[0][0])
        if include_attachments:
            local = "SELECT coalesce(sum(size), 0) FROM attachments WHERE local_state = 'local'"
            tally.bytes_total = int(db.query(local)[0][0])
        tar = _TarOut(sink)
        _write_all(db, tar, tally, control, now, own_identity, settings, include_attachments)
        tar.close()
    except tarfile.TarError as exc:
        raise BackupWriteFailed(f"The backup could not be written: {exc}.") from None
    finally:
        db.execute("ROLLBACK")
    return BackupInfo(FORMAT_VERSION, own_identity, now, Counts(**tally.counts), 0)


def _write_all(
    db: Database,
    tar: _TarOut,
    tally: _Tally,
    control: Control,
    now: int,
    own_identity: bytes,
    settings: Mapping[str, Any],
    include_attachments: bool,
) -> None:
    w = _Writer(tar, tally, control, now)
    header = {"format": FORMAT_VERSION, "identity_id": own_identity.hex(), "created_at": now}
    w.member(L.HEADER, L.dumps(header))
    _contacts(db, w)
    conversation_ids = _conversations(db, w)
    for conversation_id in conversation_ids:
        files: list[tuple[str, Path, int]] = []
        _messages(db, w, conversation_id, include_attachments, files)
        for name, path, size in files:  # a conversation's files follow its messages
            if w.file(name, path, size):
                tally.counts["attachments"] += 1
            _report(control, tally, Phase.WRITING)
    w.member(L.SETTINGS, L.dumps(dict(settings)))
    manifest = {**header, "counts": tally.counts, "members": tally.members}
    w.member(L.MANIFEST, L.dumps(manifest))


def _report(control: Control, tally: _Tally, phase: Phase) -> None:
    control.report(
        Progress(
            phase,
            tally.counts["messages"],
            tally.messages_total,
            tally.bytes_done,
            tally.bytes_total,
        )
    )


def _contacts(db: Database, w: _Writer) -> None:
    rows = db.query(
        f"SELECT {', '.join(L.CONTACT_COLUMNS)} FROM identities WHERE is_self = 0 "
        "ORDER BY identity_id"
    )
    w.member(L.CONTACTS, _lines(L.to_json(L.CONTACT_COLUMNS, r) for r in rows))
    w.tally.counts["contacts"] = len(rows)


def _conversations(db: Database, w: _Writer) -> list[bytes]:
    rows = db.query(
        f"SELECT {', '.join(L.CONVERSATION_COLUMNS)} FROM conversations ORDER BY conversation_id"
    )
    records = []
    for row in rows:
        record = L.to_json(L.CONVERSATION_COLUMNS, row)
        members = db.query(
            f"SELECT {', '.join(L.MEMBER_COLUMNS)} FROM conversation_members "
            "WHERE conversation_id = ? ORDER BY identity_id",
            (row[0],),
        )
        record["members"] = [L.to_json(L.MEMBER_COLUMNS, m) for m in members]
        records.append(record)
    w.member(L.CONVERSATIONS, _lines(iter(records)))
    w.tally.counts["conversations"] = len(rows)
    return [bytes(r[0]) for r in rows]


def _by_message(
    db: Database, table: str, columns: tuple[str, ...], ids: list[bytes], order: str
) -> dict[bytes, list[dict[str, Any]]]:
    found: dict[bytes, list[dict[str, Any]]] = {}
    marks = ", ".join("?" * len(ids))
    rows = db.query(
        f"SELECT message_id, {', '.join(columns)} FROM {table} WHERE message_id IN ({marks}) "
        f"ORDER BY message_id, {order}",
        ids,
    )
    for row in rows:
        found.setdefault(bytes(row[0]), []).append(L.to_json(columns, row[1:]))
    return found


def _json_sql(columns: tuple[str, ...], table: str = "") -> str:
    """``json_object`` of a row's ``columns``, built by SQLite rather than in Python (the hot
    path of a large backup). Keys and encodings as ``layout.to_json``; no base64 columns."""
    parts = []
    for name in columns:
        column = f"{table}{name}"
        if name in L.HEX_FIELDS:
            value = f"CASE WHEN {column} IS NULL THEN NULL ELSE lower(hex({column})) END"
        elif name in L.BOOL_FIELDS:
            value = f"json(CASE WHEN {column} THEN 'true' ELSE 'false' END)"
        else:
            value = column
        parts.append(f"'{name}', {value}")
    return f"json_object({', '.join(parts)})"


def _array_sql(table: str, columns: tuple[str, ...], order: str) -> str:
    """A message's rows of ``table`` as a JSON array (``[]`` for none), in ``order``."""
    return (
        f"(SELECT json_group_array(json({_json_sql(columns, 'x.')}) ORDER BY x.{order}) "
        f"FROM {table} AS x WHERE x.message_id = m.message_id)"
    )


_REACTIONS = _array_sql("reactions", L.REACTION_COLUMNS, "sender_identity")
_RECEIPTS = _array_sql("receipts", L.RECEIPT_COLUMNS, "recipient_device")
# Counted by their first key: a quote inside a JSON string is always escaped.
_REACTION_KEY = '{"' + L.REACTION_COLUMNS[0] + '":'
_RECEIPT_KEY = '{"' + L.RECEIPT_COLUMNS[0] + '":'
# One row per message: its whole line when it has no attachments (the usual case,
# with no Python in between), else its fields, reactions and receipts for _extras.
_MESSAGE = _json_sql(L.MESSAGE_COLUMNS)
_LINE = (
    f"{_MESSAGE[:-1]}, 'reactions', json(reactions), 'receipts', json(receipts), "
    "'attachments', json_array())"
)
_PAGE_SQL = (
    f"SELECT message_id, sort_at, has_files, CASE WHEN has_files THEN {_MESSAGE} ELSE {_LINE} END, "
    "reactions, receipts FROM ("
    f"SELECT m.*, {_REACTIONS} AS reactions, {_RECEIPTS} AS receipts, "
    "EXISTS (SELECT 1 FROM attachments AS a WHERE a.message_id = m.message_id) AS has_files "
    "FROM messages AS m WHERE m.conversation_id = ? AND (m.sort_at, m.message_id) > (?, ?) "
    "ORDER BY m.sort_at, m.message_id LIMIT ?)"
)


def _messages(
    db: Database,
    w: _Writer,
    conversation_id: bytes,
    include_attachments: bool,
    files: list[tuple[str, Path, int]],
) -> None:
    part, buffer = 0, bytearray()
    after: tuple[int, bytes] = (-(2**62), b"")
    counts = w.tally.counts

    def flush() -> None:
        nonlocal part
        if buffer:
            part += 1
            w.member(f"{L.MESSAGES_DIR}{conversation_id.hex()}/{part:06d}.jsonl", buffer)
            buffer.clear()

    while True:
        w.control.check()
        rows = db.query(_PAGE_SQL, (conversation_id, after[0], after[1], PAGE))
        if not rows:
            break
        with_files = [bytes(r[0]) for r in rows if r[2]]
        attachments: dict[bytes, list[dict[str, Any]]] = {}
        if with_files:
            columns = (*L.ATTACHMENT_COLUMNS, "local_state", "local_path")
            attachments = _by_message(db, "attachments", columns, with_files, "position")
        for message_id, _, has_files, text, reactions, receipts in rows:
            if reactions != "[]":
                counts["reactions"] += reactions.count(_REACTION_KEY)
            if receipts != "[]":
                counts["receipts"] += receipts.count(_RECEIPT_KEY)
            if has_files:
                line = text[:-1] + _extras(
                    bytes(message_id), reactions, receipts, attachments, include_attachments,
                    files,
                )  # fmt: skip
            else:
                line = text + "\n"
            data = line.encode("utf-8")
            if len(buffer) + len(data) > L.PART_BYTES:
                flush()
            buffer += data
        counts["messages"] += len(rows)
        _report(w.control, w.tally, Phase.WRITING)
        after = (int(rows[-1][1]), bytes(rows[-1][0]))
    flush()


def _extras(
    message_id: bytes,
    reactions: str,
    receipts: str,
    attachments: dict[bytes, list[dict[str, Any]]],
    include_attachments: bool,
    files: list[tuple[str, Path, int]],
) -> str:
    """The reactions, receipts and attachments of one message, closing its JSON object."""
    mine = []
    for att in attachments.get(message_id, []):
        state, local = att.pop("local_state"), att.pop("local_path")
        att["file"] = None
        if include_attachments and state == "local" and local:
            att["file"] = f"{L.ATTACHMENTS_DIR}{message_id.hex()}-{att['position']}"
            files.append((att["file"], Path(local), int(att["size"])))
        mine.append(att)
    return (
        f',"reactions":{reactions},"receipts":{receipts},"attachments":'
        + L.dumps(mine).decode("utf-8") + "}\n"
    )  # fmt: skip
