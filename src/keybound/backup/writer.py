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
import io
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from keybound.errors import BackupWriteFailed
from keybound.store.database import Database

from . import layout as L
from .values import FORMAT_VERSION, BackupInfo, Control, Counts, Phase, Progress

PAGE = 2000


class Sink(Protocol):
    def write(self, data: bytes) -> int: ...


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


class _HashingReader:
    def __init__(self, source: BinaryIO, tally: _Tally, control: Control) -> None:
        self._source, self._tally, self._control = source, tally, control
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        self._control.check()
        data = self._source.read(size)
        self.digest.update(data)
        self._tally.bytes_done += len(data)
        return data


class _Writer:
    def __init__(self, tar: tarfile.TarFile, tally: _Tally, control: Control, now: int) -> None:
        self.tar, self.tally, self.control, self.now = tar, tally, control, now

    def info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, self.now // 1000, 0o600
        return info

    def member(self, name: str, data: bytes) -> None:
        self.control.check()
        self.tar.addfile(self.info(name, len(data)), io.BytesIO(data))
        self.tally.members[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def file(self, name: str, path: Path, size: int) -> bool:
        """Copy an attachment file; False (and nothing written) if it is gone or changed size."""
        try:
            with path.open("rb") as source:
                if path.stat().st_size != size:
                    return False
                reader = _HashingReader(source, self.tally, self.control)
                self.tar.addfile(self.info(name, size), reader)
        except FileNotFoundError:
            return False
        self.tally.members[name] = {"size": size, "sha256": reader.digest.hexdigest()}
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
        with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
            _write_all(db, tar, tally, control, now, own_identity, settings, include_attachments)
    except tarfile.TarError as exc:
        raise BackupWriteFailed(f"The backup could not be written: {exc}.") from None
    finally:
        db.execute("ROLLBACK")
    return BackupInfo(FORMAT_VERSION, own_identity, now, Counts(**tally.counts), 0)


def _write_all(
    db: Database,
    tar: tarfile.TarFile,
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


def _message_json_sql() -> str:
    """A message row as its JSON object, built by SQLite (json_object) rather than in Python:
    the hot path of a large backup. Keys and encodings as ``layout.to_json``."""
    parts = []
    for name in L.MESSAGE_COLUMNS:
        if name in L.HEX_FIELDS:
            value = f"CASE WHEN {name} IS NULL THEN NULL ELSE lower(hex({name})) END"
        elif name in L.BOOL_FIELDS:
            value = f"json(CASE WHEN {name} THEN 'true' ELSE 'false' END)"
        else:
            value = name
        parts.append(f"'{name}', {value}")
    return f"json_object({', '.join(parts)})"


_MESSAGE_JSON = _message_json_sql()
_NO_EXTRAS = b',"reactions":[],"receipts":[],"attachments":[]}\n'


def _messages(
    db: Database,
    w: _Writer,
    conversation_id: bytes,
    include_attachments: bool,
    files: list[tuple[str, Path, int]],
) -> None:
    part, buffer = 0, bytearray()
    after: tuple[int, bytes] = (-(2**62), b"")

    def flush() -> None:
        nonlocal part
        if buffer:
            part += 1
            w.member(f"{L.MESSAGES_DIR}{conversation_id.hex()}/{part:06d}.jsonl", bytes(buffer))
            buffer.clear()

    while True:
        w.control.check()
        rows = db.query(
            f"SELECT message_id, sort_at, {_MESSAGE_JSON} FROM messages "
            "WHERE conversation_id = ? AND (sort_at, message_id) > (?, ?) "
            "ORDER BY sort_at, message_id LIMIT ?",
            (conversation_id, after[0], after[1], PAGE),
        )
        if not rows:
            break
        ids = [bytes(r[0]) for r in rows]
        reactions = _by_message(db, "reactions", L.REACTION_COLUMNS, ids, "sender_identity")
        receipts = _by_message(db, "receipts", L.RECEIPT_COLUMNS, ids, "recipient_device")
        attachments = _by_message(
            db, "attachments", (*L.ATTACHMENT_COLUMNS, "local_state", "local_path"), ids,
            "position",
        )  # fmt: skip
        for row, message_id in zip(rows, ids, strict=True):
            head = str(row[2])[:-1].encode("utf-8")  # the object without its closing brace
            if (
                message_id not in reactions
                and message_id not in receipts
                and message_id not in attachments
            ):
                line = head + _NO_EXTRAS
            else:
                line = head + _extras(
                    w, message_id, reactions, receipts, attachments, include_attachments, files
                )
            if len(buffer) + len(line) > L.PART_BYTES:
                flush()
            buffer += line
        w.tally.counts["messages"] += len(rows)
        _report(w.control, w.tally, Phase.WRITING)
        after = (int(rows[-1][1]), ids[-1])
    flush()


def _extras(
    w: _Writer,
    message_id: bytes,
    reactions: dict[bytes, list[dict[str, Any]]],
    receipts: dict[bytes, list[dict[str, Any]]],
    attachments: dict[bytes, list[dict[str, Any]]],
    include_attachments: bool,
    files: list[tuple[str, Path, int]],
) -> bytes:
    """The reactions, receipts and attachments of one message, closing its JSON object."""
    mine = []
    for att in attachments.get(message_id, []):
        state, local = att.pop("local_state"), att.pop("local_path")
        att["file"] = None
        if include_attachments and state == "local" and local:
            att["file"] = f"{L.ATTACHMENTS_DIR}{message_id.hex()}-{att['position']}"
            files.append((att["file"], Path(local), int(att["size"])))
        mine.append(att)
    r = reactions.get(message_id, [])
    c = receipts.get(message_id, [])
    w.tally.counts["reactions"] += len(r)
    w.tally.counts["receipts"] += len(c)
    return (
        b',"reactions":' + L.dumps(r) + b',"receipts":' + L.dumps(c)
        + b',"attachments":' + L.dumps(mine) + b"}\n"
    )  # fmt: skip
