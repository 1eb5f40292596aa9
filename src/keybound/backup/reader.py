"""Read a backup: decrypt the age stream, walk the tar, check every member against the manifest.

The walk hands records to a :class:`Target` (the restore writes them into an
open transaction; verify only counts them). Nothing read may be kept until
:func:`read_backup` returns: only then has the whole file authenticated (the
last age chunk, no trailing data) and has every member's SHA-256 matched
the manifest. A damaged file raises :class:`BackupDamaged` (or one of its
kinds), a file of a newer format :class:`BackupTooNew`.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import tarfile
from collections.abc import Iterator, Sequence
from typing import IO, Any, BinaryIO, Protocol

from keybound.errors import BackupDamaged, BackupTooNew

from . import layout as L
from .age_file import open_payload
from .age_recipients import Identity
from .age_stream import CHUNK
from .values import FORMAT_VERSION, BackupInfo, Control, Counts, Phase, Progress

BATCH = 2000
READ_BLOCK = 1024 * 1024


class Target(Protocol):
    """Where the records of a backup go, member by member, in file order."""

    def begin(self, identity_id: bytes, created_at: int) -> None: ...
    def contacts(self, records: list[dict[str, Any]]) -> None: ...
    def conversations(self, records: list[dict[str, Any]]) -> None: ...
    def messages(self, records: list[dict[str, Any]]) -> None: ...
    def attachment(self, message_id: bytes, position: int, data: IO[bytes], size: int) -> None: ...
    def settings(self, values: dict[str, Any]) -> None: ...


class CountingTarget:
    """Takes every record and keeps nothing: what ``backup verify`` uses."""

    def begin(self, identity_id: bytes, created_at: int) -> None:
        pass

    def contacts(self, records: list[dict[str, Any]]) -> None:
        pass

    def conversations(self, records: list[dict[str, Any]]) -> None:
        pass

    def messages(self, records: list[dict[str, Any]]) -> None:
        pass

    def attachment(self, message_id: bytes, position: int, data: IO[bytes], size: int) -> None:
        while data.read(256 * 1024):
            pass

    def settings(self, values: dict[str, Any]) -> None:
        pass


class _Hashing:
    """A member's reader that hashes what passes through it."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def readline(self) -> bytes:
        data = self._source.readline()
        self.digest.update(data)
        self.size += len(data)
        return data


class _Walk:
    def __init__(self, target: Target, control: Control, source: BinaryIO, size: int) -> None:
        self.target, self.control, self.source, self.file_size = target, control, source, size
        self.seen: dict[str, dict[str, Any]] = {}
        self.counts = dict.fromkeys(
            ("contacts", "conversations", "messages", "reactions", "receipts", "attachments"), 0
        )
        self.header: dict[str, Any] | None = None
        self.manifest: dict[str, Any] | None = None

    def report(self) -> None:
        done = self.source.tell() if self.source.seekable() else 0
        self.control.report(
            Progress(Phase.READING, self.counts["messages"], 0, done, self.file_size)
        )

    def member(self, name: str, data: _Hashing, size: int) -> None:
        if name in self.seen:
            raise BackupDamaged("it holds a file twice")
        if self.manifest is not None:
            raise BackupDamaged("it has data after its manifest")
        if self.header is None and name != L.HEADER:
            raise BackupDamaged("it does not start with a Keybound backup header")
        if name == L.HEADER:
            self.header = _json_object(data.read(), name)
            self._begin(self.header)
        elif name == L.CONTACTS:
            records = _jsonl(data, name)
            self.target.contacts(records)
            self.counts["contacts"] += len(records)
        elif name == L.CONVERSATIONS:
            records = _jsonl(data, name)
            self.target.conversations(records)
            self.counts["conversations"] += len(records)
        elif L.MESSAGE_PART.fullmatch(name):
            self._messages(data, name)
        elif match := L.ATTACHMENT_FILE.fullmatch(name):
            self.target.attachment(bytes.fromhex(match[1]), int(match[2]), data, size)  # type: ignore[arg-type]
            self.counts["attachments"] += 1
        elif name == L.SETTINGS:
            self.target.settings(_json_object(data.read(), name))
        elif name == L.MANIFEST:
            self.manifest = _json_object(data.read(), name)
            return
        else:
            raise BackupDamaged(f"it holds an unexpected file ({name[:80]!r})")
        self.seen[name] = {"size": data.size, "sha256": data.digest.hexdigest()}

    def _begin(self, header: dict[str, Any]) -> None:
        version = header.get("format")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise BackupDamaged("its header names no format version")
        if version > FORMAT_VERSION:
            raise BackupTooNew(version, FORMAT_VERSION)
        try:
            identity = bytes.fromhex(header["identity_id"])
            created = int(header["created_at"])
        except (KeyError, TypeError, ValueError):
            raise BackupDamaged("its header is malformed") from None
        self.target.begin(identity, created)

    def _messages(self, data: _Hashing, name: str) -> None:
        """The records of one message part, read in blocks (one hash update, one
        cancel check per block) and split into lines as ``readline`` would."""
        batch: list[dict[str, Any]] = []
        tail = b""
        while True:
            self.control.check()
            block = data.read(READ_BLOCK)
            if not block:
                break
            lines = (tail + block).split(b"\n") if tail else block.split(b"\n")
            tail = lines.pop()  # the start of a line the next block ends
            for line in lines:
                self._record(line, name, batch)
        if tail:
            self._record(tail, name, batch)
        self._flush(batch)

    def _record(self, line: bytes, name: str, batch: list[dict[str, Any]]) -> None:
        record = L.loads_record(line, name)
        if not isinstance(record, dict):
            raise BackupDamaged(f"a record in {name} is malformed")
        batch.append(record)
        reactions, receipts = record.get("reactions"), record.get("receipts")
        if reactions:
            self.counts["reactions"] += len(reactions)
        if receipts:
            self.counts["receipts"] += len(receipts)
        if len(batch) >= BATCH:
            self._flush(batch)

    def _flush(self, batch: list[dict[str, Any]]) -> None:
        if batch:
            self.target.messages(batch)
            self.counts["messages"] += len(batch)
            batch.clear()
            self.report()

    def finish(self) -> BackupInfo:
        manifest, header = self.manifest, self.header
        if manifest is None or header is None:
            raise BackupDamaged("its manifest is missing")
        if manifest.get("members") != self.seen:
            raise BackupDamaged("its contents do not match its manifest")
        if manifest.get("counts") != self.counts:
            raise BackupDamaged("its record counts do not match its manifest")
        for key in ("format", "identity_id", "created_at"):
            if manifest.get(key) != header.get(key):
                raise BackupDamaged("its manifest and header disagree")
        return BackupInfo(
            int(header["format"]),
            bytes.fromhex(header["identity_id"]),
            int(header["created_at"]),
            Counts(**self.counts),
            self.file_size,
        )


def _json_object(data: bytes, name: str) -> dict[str, Any]:
    value = L.loads(data, name)
    if not isinstance(value, dict):
        raise BackupDamaged(f"{name} is malformed")
    return value


def _jsonl(data: _Hashing, name: str) -> list[dict[str, Any]]:
    records = []
    while line := data.readline():
        record = L.loads(line, name)
        if not isinstance(record, dict):
            raise BackupDamaged(f"a record in {name} is malformed")
        records.append(record)
    return records


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a backup is walked.

    A walk allocates a few dicts per message and holds a batch of them, so the
    collector ran every few hundred records, scanning the batch each time: a
    tenth of a restore. The records hold no cycles (reference counting frees
    them); the collector is switched back on (if it was on) when the walk ends,
    and collects whatever the rest of the process left meanwhile.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def read_backup(
    source: BinaryIO,
    identities: Sequence[Identity],
    target: Target,
    control: Control,
    file_size: int = 0,
) -> BackupInfo:
    """Decrypt and walk the whole backup in ``source`` into ``target`` (see the module)."""
    payload = open_payload(source, identities)
    walk = _Walk(target, control, source, file_size)
    try:
        # Reads of whole age chunks: the payload hands them over without a copy.
        with (
            _collector_paused(),
            tarfile.open(fileobj=payload, mode="r|", bufsize=CHUNK) as tar,  # type: ignore[call-overload]
        ):
            for member in tar:
                control.check()
                if not member.isreg():
                    raise BackupDamaged("it holds something other than plain files")
                extracted = tar.extractfile(member)
                if extracted is None:
                    raise BackupDamaged("it holds something other than plain files")
                walk.member(member.name, _Hashing(extracted), member.size)
                walk.report()
    except tarfile.TarError:
        raise BackupDamaged("its archive is malformed") from None
    payload.finish()
    return walk.finish()
