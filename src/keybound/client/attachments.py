"""Stream encryption of attachments: files of any size, in constant memory.

Each attachment gets its own random 32-byte key and is encrypted with
libsodium's ``crypto_secretstream_xchacha20poly1305`` (via PyNaCl's
bindings): a vetted construction that authenticates every chunk *and* their
order, and marks the last one with the ``FINAL`` tag, so a reordered,
dropped, duplicated or cut-off chunk is detected, not just a flipped bit.
The key, the ciphertext's SHA-256 and the plaintext size travel inside the
end-to-end encrypted attachment message; the relay stores only ciphertext.

Format (version 1)::

    "KBA" 0x01 | secretstream header (24 bytes) | record ... | final record

Each record is a 64 KiB plaintext chunk sealed into 64 KiB + 17 bytes, with
the 4-byte prefix as additional data; the final record holds the remaining
0 to 64 KiB - 1 bytes and carries the ``FINAL`` tag (a file whose size is a
multiple of 64 KiB ends with an empty final record).  So every record but
the last has the same length, and the ciphertext size follows from the
plaintext size (:func:`ciphertext_size`), which lets the recipient refuse
oversized downloads early.

Sending: :func:`encrypt_file` writes the ciphertext to a file (it is safe on
disk, and an upload interrupted by a crash can be retried from it with the
same key and digest), then :func:`file_chunks` feeds it to
``RelayLink.upload_blob``.  :class:`EncryptedStream` is the same
encryption as an async iterator, for uploads that learn the digest at the
end.  Receiving: :class:`AttachmentWriter` is the ``sink`` for
``RelayLink.download_blob``: it hashes and decrypts as the data arrives into
a temporary file beside the destination, and renames it into place only
after the digest, the final tag and the size all check out.  On any failure
the temporary file is deleted: a half-written attachment never appears.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import nacl.bindings as sodium
import nacl.exceptions
import nacl.utils

from keybound.errors import (
    AttachmentDigestMismatch,
    AttachmentError,
    AttachmentTampered,
    AttachmentTruncated,
)

MAGIC = b"KBA\x01"
KEY_SIZE = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES
CHUNK_SIZE = 64 * 1024
_HEADER = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_RECORD = CHUNK_SIZE + _ABYTES
_PREFIX = len(MAGIC) + _HEADER
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
_IO_BATCH = 16  # chunks per trip to the worker thread (1 MiB)


def new_key() -> bytes:
    return nacl.utils.random(KEY_SIZE)


def ciphertext_size(plain_size: int) -> int:
    """Exact ciphertext length for a plaintext of ``plain_size`` bytes."""
    return _PREFIX + plain_size + _ABYTES * (plain_size // CHUNK_SIZE + 1)


@dataclass(frozen=True)
class SealedAttachment:
    """An encrypted copy of a file, ready to upload."""

    path: Path  # the ciphertext file
    key: bytes = field(repr=False)
    digest: bytes  # SHA-256 of the ciphertext: the relay and the recipient check it
    size: int  # plaintext bytes
    ciphertext_size: int


# --- encryption ----------------------------------------------------------------------


class Sealer:
    """The sending half, one chunk at a time (no I/O).

    ``header`` comes first; then :meth:`seal` every full chunk with
    ``final=False`` and the short remainder (possibly empty) with ``final=True``.
    ``digest`` covers everything returned so far.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError("an attachment key is 32 bytes")
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(self._state, key)
        self.header = MAGIC + header
        self._hash = hashlib.sha256(self.header)
        self.size = 0
        self.ciphertext_size = len(self.header)
        self.finished = False

    def seal(self, chunk: bytes, final: bool) -> bytes:
        if self.finished:
            raise ValueError("the stream is already finished")
        if len(chunk) > CHUNK_SIZE or (not final and len(chunk) != CHUNK_SIZE):
            raise ValueError("records are full chunks, and only the final one is shorter")
        if final and len(chunk) == CHUNK_SIZE:
            raise ValueError("the final record must be shorter than a chunk")
        tag = _TAG_FINAL if final else _TAG_MESSAGE
        record = sodium.crypto_secretstream_xchacha20poly1305_push(self._state, chunk, MAGIC, tag)
        self._hash.update(record)
        self.size += len(chunk)
        self.ciphertext_size += len(record)
        self.finished = final
        return record

    @property
    def digest(self) -> bytes:
        return self._hash.digest()


def _seal_batch(sealer: Sealer, source: BinaryIO, count: int) -> bytes:
    """Read and seal up to ``count`` chunks; b"" once the final record was returned."""
    out = bytearray()
    for _ in range(count):
        if sealer.finished:
            break
        chunk = source.read(CHUNK_SIZE)
        # a full chunk is never final: the final record is the short (maybe empty) one
        out += sealer.seal(chunk, final=len(chunk) < CHUNK_SIZE)
    return bytes(out)


def seal_file(source: Path, dest: Path, key: bytes | None = None) -> SealedAttachment:
    """Encrypt ``source`` into ``dest`` (written to a temporary file, then renamed)."""
    key = key or new_key()
    sealer = Sealer(key)
    with source.open("rb") as src, _AtomicFile(dest) as out:
        out.write(sealer.header)
        while batch := _seal_batch(sealer, src, _IO_BATCH):
            out.write(batch)
    return SealedAttachment(dest, key, sealer.digest, sealer.size, sealer.ciphertext_size)


async def encrypt_file(source: Path, dest: Path, key: bytes | None = None) -> SealedAttachment:
    """:func:`seal_file` on a worker thread, so the event loop never waits on the disk."""
    return await asyncio.to_thread(seal_file, source, dest, key)


def file_chunks(path: Path, chunk_size: int = 512 * 1024) -> Callable[[], Awaitable[bytes]]:
    """An async reader over a file (b"" at the end): ``upload_blob``'s ``chunks``.

    The file is opened on the first call and closed at its end.
    """
    handle: BinaryIO | None = None
    done = False

    def read() -> bytes:
        nonlocal handle, done
        if done:
            return b""
        if handle is None:
            handle = path.open("rb")
        data = handle.read(chunk_size)
        if not data:
            handle.close()
            done = True
        return data

    async def chunks() -> bytes:
        return await asyncio.to_thread(read)

    return chunks


class EncryptedStream:
    """The ciphertext of a file as an async iterator of byte strings.

    ``digest``, ``size`` and ``ciphertext_size`` are final once iteration ended.
    Nothing but the current batch (1 MiB) is held in memory.
    """

    def __init__(self, source: Path, key: bytes | None = None) -> None:
        self.key = key or new_key()
        self.source = source
        self._sealer = Sealer(self.key)

    @property
    def digest(self) -> bytes:
        if not self._sealer.finished:
            raise ValueError("the digest is known once the stream was read to its end")
        return self._sealer.digest

    @property
    def size(self) -> int:
        return self._sealer.size

    @property
    def ciphertext_size(self) -> int:
        return self._sealer.ciphertext_size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._sealer.header
        src = await asyncio.to_thread(self.source.open, "rb")
        try:
            while batch := await asyncio.to_thread(_seal_batch, self._sealer, src, _IO_BATCH):
                yield batch
        finally:
            src.close()


# --- decryption ----------------------------------------------------------------------


class Opener:
    """The receiving half (no I/O): feed ciphertext as it comes, get plaintext back.

    Failures are remembered, not raised, until :meth:`finish`: the digest is
    checked first (data that is not what the sender uploaded is reported as
    such), then authentication, then completeness and size.
    """

    def __init__(self, key: bytes, digest: bytes, size: int | None = None) -> None:
        if len(key) != KEY_SIZE or len(digest) != 32:
            raise ValueError("an attachment key and digest are 32 bytes each")
        self._key, self._digest, self._size = key, digest, size
        self._limit = ciphertext_size(size) if size is not None else None
        self._hash = hashlib.sha256()
        self._state: sodium.crypto_secretstream_xchacha20poly1305_state | None = None
        self._buffer = bytearray()
        self._received = 0
        self.plain_size = 0
        self._error: AttachmentError | None = None
        self._final = False

    def feed(self, data: bytes) -> bytes:
        """Plaintext of the records completed by ``data`` (b"" after a failure)."""
        self._received += len(data)
        if self._limit is not None and self._received > self._limit:
            raise AttachmentDigestMismatch()  # longer than the sender's file: stop at once
        self._hash.update(data)
        if self._error is not None:
            return b""
        self._buffer += data
        out = bytearray()
        try:
            if self._state is None and len(self._buffer) >= _PREFIX:
                self._start()
            # a whole record's worth is always a full record: the final one is shorter
            while self._state is not None and len(self._buffer) >= _RECORD:
                out += self._open(bytes(self._buffer[:_RECORD]), final=False)
                del self._buffer[:_RECORD]
        except AttachmentError as exc:
            self._error = exc
            self._buffer.clear()
            return b""
        return bytes(out)

    def finish(self) -> bytes:
        """The last plaintext; raises unless everything checked out."""
        if self._hash.digest() != self._digest:
            raise AttachmentDigestMismatch()
        short = self._limit is not None and self._received < self._limit
        if self._error is not None and not short:
            raise self._error
        if short or self._state is None or len(self._buffer) < _ABYTES:
            raise AttachmentTruncated()
        last = self._open(bytes(self._buffer), final=True)
        self._buffer.clear()
        if self._size is not None and self.plain_size != self._size:
            raise AttachmentTampered()
        return last

    def _start(self) -> None:
        prefix = bytes(self._buffer[:_PREFIX])
        del self._buffer[:_PREFIX]
        if prefix[: len(MAGIC)] != MAGIC:
            if prefix[:3] == MAGIC[:3]:
                raise AttachmentError(
                    "This attachment uses a newer format than this version of Keybound "
                    "reads. Update Keybound to open it."
                )
            raise AttachmentTampered()
        state = sodium.crypto_secretstream_xchacha20poly1305_state()
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(
            state, prefix[len(MAGIC) :], self._key
        )
        self._state = state

    def _open(self, record: bytes, final: bool) -> bytes:
        assert self._state is not None
        if self._final:
            raise AttachmentTampered()  # nothing may follow the final record
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(
                self._state, record, MAGIC
            )
        except nacl.exceptions.CryptoError:
            raise AttachmentTampered() from None
        if final and tag != _TAG_FINAL:
            raise AttachmentTruncated()  # the real end was cut off
        if not final and tag != _TAG_MESSAGE:
            raise AttachmentTampered()
        self._final = final
        self.plain_size += len(plain)
        if self._size is not None and self.plain_size > self._size:
            raise AttachmentTampered()
        return plain


class AttachmentWriter:
    """Decrypt a download into ``dest``, which appears only once it is complete and genuine.

    Use ``await writer.write`` as ``download_blob``'s ``sink``, then
    ``await writer.finish()``.  As an async context manager it deletes the
    temporary file if the block fails (or :meth:`finish` was never reached).
    """

    def __init__(self, dest: Path, key: bytes, digest: bytes, size: int | None = None) -> None:
        self.dest = dest
        self._opener = Opener(key, digest, size)
        fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        self._temp = Path(name)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")

    async def write(self, data: bytes) -> None:
        await asyncio.to_thread(self._write, data)

    def _write(self, data: bytes) -> None:
        if self._file is None:
            raise AttachmentError("This download was already finished or abandoned.")
        try:
            plain = self._opener.feed(data)
            if plain:
                self._file.write(plain)
        except BaseException:
            self._abort()
            raise

    async def finish(self) -> Path:
        return await asyncio.to_thread(self._finish)

    def _finish(self) -> Path:
        if self._file is None:
            raise AttachmentError("This download was already finished or abandoned.")
        try:
            self._file.write(self._opener.finish())
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            os.replace(self._temp, self.dest)
        except BaseException:
            self._abort()
            raise
        _fsync_dir(self.dest.parent)
        return self.dest

    async def abort(self) -> None:
        await asyncio.to_thread(self._abort)

    def _abort(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        with contextlib.suppress(FileNotFoundError):
            self._temp.unlink()

    async def __aenter__(self) -> AttachmentWriter:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            await self.abort()


async def decrypt_file(
    source: Path, dest: Path, key: bytes, digest: bytes, size: int | None = None
) -> Path:
    """Decrypt a local ciphertext file (e.g. a cached download) into ``dest``."""
    async with AttachmentWriter(dest, key, digest, size) as writer:
        read = file_chunks(source)
        while data := await read():
            await writer.write(data)
        return await writer.finish()


# --- files ---------------------------------------------------------------------------


class _AtomicFile:
    """Write to a temporary file beside ``dest``; rename over it only on success."""

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        self._temp = Path(name)
        self._file = os.fdopen(fd, "wb")

    def __enter__(self) -> BinaryIO:
        return self._file

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._discard()
            return
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._temp, self.dest)
        except BaseException:
            self._discard()
            raise
        _fsync_dir(self.dest.parent)

    def _discard(self) -> None:
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._temp.unlink()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
