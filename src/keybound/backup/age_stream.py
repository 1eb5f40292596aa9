"""The age v1 payload: STREAM with ChaCha20-Poly1305 in 64 KiB chunks, in constant memory.

The payload key is HKDF-SHA256(file key, salt = a random 16-byte nonce,
info = "payload"). Chunk ``i`` is sealed with the nonce ``i`` (11 bytes, big
endian) followed by 1 for the last chunk and 0 for every other. The last chunk
may be full, and it is empty only when the whole payload is empty.

``PayloadWriter`` and ``PayloadReader`` hold at most two chunks, whatever
the size of the file.
"""

from __future__ import annotations

import os
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keybound.errors import BackupDamaged, BackupHeaderInvalid, BackupTruncated

CHUNK = 64 * 1024
TAG = 16
NONCE_SIZE = 16
_MAX_COUNTER = 1 << 88
# A flipped byte and a cut inside a chunk look the same to the authenticator.
_FAILS = "part of it is damaged or missing (it fails authentication)"


def payload_key(file_key: bytes, nonce: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=nonce, info=b"payload").derive(file_key)


def _chunk_nonce(counter: int, last: bool) -> bytes:
    if counter >= _MAX_COUNTER:
        raise BackupDamaged("it has more chunks than the format allows")
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class PayloadWriter:
    """Encrypts what is written to it into ``sink``; :meth:`close` seals the last chunk."""

    def __init__(self, sink: BinaryIO, file_key: bytes, nonce: bytes | None = None) -> None:
        self._sink = sink
        nonce = os.urandom(NONCE_SIZE) if nonce is None else nonce
        self._aead = ChaCha20Poly1305(payload_key(file_key, nonce))
        self._counter = 0
        self._buffer = bytearray()
        self._closed = False
        sink.write(nonce)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Seal every complete chunk of ``data`` beyond the one held back; buffer the rest.

        One full chunk is always held back: only close() knows whether it is
        the last. Whole chunks are sealed straight from ``data`` (a large write
        is not copied into the buffer first); nothing of ``data`` is kept by
        reference after the call.
        """
        view = memoryview(data).cast("B")
        size, pos = len(view), 0
        if self._buffer:
            pos = min(CHUNK - len(self._buffer), size)
            self._buffer += view[:pos]
            if pos == size:
                return size
            self._seal(self._buffer, last=False)  # full, and more follows
            self._buffer.clear()
        while size - pos > CHUNK:
            self._seal(view[pos : pos + CHUNK], last=False)
            pos += CHUNK
        self._buffer += view[pos:]
        return size

    def _seal(self, chunk: bytes | bytearray | memoryview, last: bool) -> None:
        nonce = _chunk_nonce(self._counter, last)
        self._sink.write(self._aead.encrypt(nonce, chunk, None))
        self._counter += 1

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()


class PayloadReader:
    """A read-only stream of the decrypted payload; every chunk is authenticated before use.

    Raises :class:`BackupTruncated` if the file ends before its last chunk,
    :class:`BackupDamaged` for a chunk that fails authentication or for data
    after the last chunk.
    """

    def __init__(self, source: BinaryIO, file_key: bytes) -> None:
        self._source = source
        nonce = _read_exactly(source, NONCE_SIZE)
        if len(nonce) != NONCE_SIZE:
            raise BackupHeaderInvalid("the payload nonce is missing")
        self._aead = ChaCha20Poly1305(payload_key(file_key, nonce))
        self._counter = 0
        self._pending = _read_exactly(source, CHUNK + TAG)  # the next sealed chunk
        self._plain = b""
        self._offset = 0
        self._done = False

    def _next_chunk(self) -> None:
        sealed = self._pending
        if len(sealed) < TAG:
            raise BackupTruncated()
        full = len(sealed) == CHUNK + TAG
        self._pending = _read_exactly(self._source, CHUNK + TAG) if full else b""
        last = not self._pending
        try:
            plain = self._aead.decrypt(_chunk_nonce(self._counter, last), sealed, None)
        except InvalidTag:
            if last:
                # Either the final chunk is damaged, or the file was cut at a chunk
                # boundary and this is a middle chunk: try it as one to say which.
                try:
                    self._aead.decrypt(_chunk_nonce(self._counter, False), sealed, None)
                except InvalidTag:
                    raise BackupDamaged(_FAILS) from None
                raise BackupTruncated() from None
            raise BackupDamaged(_FAILS) from None
        if last and not plain and self._counter > 0:
            raise BackupDamaged("its last chunk is empty")
        self._counter += 1
        self._plain, self._offset, self._done = plain, 0, last

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left for -1); b"" only at the authenticated end."""
        plain, offset = self._plain, self._offset
        if 0 < size <= len(plain) - offset:
            # Within the current chunk (a whole one, for a reader asking in chunks): a
            # slice, which for a whole chunk is the chunk itself, not a copy.
            self._offset = offset + size
            return plain[offset : offset + size]
        out = bytearray()
        while size < 0 or len(out) < size:
            if self._offset >= len(self._plain):
                if self._done:
                    break
                self._next_chunk()
                continue
            want = len(self._plain) - self._offset if size < 0 else size - len(out)
            piece = self._plain[self._offset : self._offset + want]
            self._offset += len(piece)
            out += piece
        return bytes(out)

    def readable(self) -> bool:
        return True

    def finish(self) -> None:
        """Read to the end, so a damaged or cut tail is noticed even if no one asked for it."""
        while self.read(CHUNK):
            pass


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    parts = bytearray()
    while len(parts) < size:
        piece = source.read(size - len(parts))
        if not piece:
            break
        parts += piece
    return bytes(parts)
