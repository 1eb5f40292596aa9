"""Whole age files: written unnamed (or as ``NAME.part``), named only when complete.

``AgeFileWriter`` is a context manager: leaving it normally seals the last
chunk, fsyncs the file, gives it its real name and fsyncs the folder; leaving
it by an exception (cancel, full disk, a bug) removes what was written, so a
person never finds half a backup. Where the file system allows it (Linux
``O_TMPFILE``), the file has no name at all until it is complete, so even a
process killed mid-write leaves nothing behind; elsewhere it is ``NAME.part``
(renamed when complete), which the next backup of that name removes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from keybound.errors import BackupNoMatchingKey, BackupWriteFailed, WrongBackupPassphrase

from .age_header import FILE_KEY_SIZE, check_mac, encode_header, read_header
from .age_recipients import SCRYPT, X25519, Identity, Recipient, check_stanzas
from .age_stream import PayloadReader, PayloadWriter

PART_SUFFIX = ".part"
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def part_path(path: Path) -> Path:
    return path.with_name(path.name + PART_SUFFIX)


def write_error(exc: OSError, path: Path) -> BackupWriteFailed:
    if exc.errno in _NO_SPACE:
        return BackupWriteFailed(
            f"There is not enough disk space for the backup in {path.parent}. "
            "Free some space and try again; no partial backup was left."
        )
    reason = exc.strerror or type(exc).__name__
    return BackupWriteFailed(f"The backup could not be written to {path}: {reason}.")


def _ordered(recipients: Sequence[Recipient]) -> list[Recipient]:
    """X25519 stanzas first: age-plugin-openpgp-card stops at the first stanza it does not know."""
    return sorted(recipients, key=lambda r: 0 if type(r).__name__ == "X25519Recipient" else 1)


class AgeFileWriter:
    """Encrypts what is written to it into the age file ``path`` (see the module docstring)."""

    def __init__(self, path: Path, recipients: Sequence[Recipient]) -> None:
        if not recipients:
            raise BackupWriteFailed("A backup needs a passphrase or at least one security key.")
        self.path = path
        self.part = part_path(path)
        self._file_key = secrets.token_bytes(FILE_KEY_SIZE)
        self._stanzas = [r.wrap(self._file_key) for r in _ordered(recipients)]
        self._raw: BinaryIO | None = None
        self._payload: PayloadWriter | None = None
        self._unnamed = False
        self.written = 0  # plaintext bytes so far

    def __enter__(self) -> AgeFileWriter:
        try:
            if self.path.exists():
                raise BackupWriteFailed(f"{self.path} exists already; nothing was written.")
            with contextlib.suppress(FileNotFoundError):
                self.part.unlink()  # left by a killed earlier run
            fd = open_unnamed(self.path.parent)
            self._unnamed = fd is not None
            if fd is None:
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
                fd = os.open(self.part, flags, 0o600)
            self._raw = os.fdopen(fd, "wb", buffering=256 * 1024)
            self._raw.write(encode_header(self._stanzas, self._file_key))
            self._payload = PayloadWriter(self._raw, self._file_key)
        except OSError as exc:
            self._discard()
            raise write_error(exc, self.path) from None
        return self

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._payload is None:
            raise BackupWriteFailed("The backup file is not open.")
        try:
            self._payload.write(data)
        except OSError as exc:
            raise write_error(exc, self.path) from None
        self.written += len(data)
        return len(data)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None:
            self._discard()
            return
        raw, payload = self._raw, self._payload
        if raw is None or payload is None:
            return
        try:
            payload.close()
            raw.flush()
            os.fsync(raw.fileno())
            if self._unnamed:
                give_name(raw.fileno(), self.path)
            raw.close()
            self._raw = None
            if not self._unnamed:
                os.replace(self.part, self.path)
            _fsync_dir(self.path.parent)
        except OSError as exc:
            self._discard()
            raise write_error(exc, self.path) from None
        except BaseException:
            self._discard()
            raise

    def _discard(self) -> None:
        if self._raw is not None:
            with contextlib.suppress(OSError):
                self._raw.close()
            self._raw = None
        if not self._unnamed:
            with contextlib.suppress(OSError):
                self.part.unlink()


def open_unnamed(directory: Path) -> int | None:
    """A new file in ``directory`` with no name yet (mode 0600), or None where unsupported."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        return None
    try:
        return os.open(directory, flag | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None  # the file system cannot; fall back to a .part name
        raise


def give_name(fd: int, path: Path) -> None:
    """Link the unnamed file ``fd`` at ``path`` (fails if ``path`` exists).

    A directory fd makes Python call linkat() with AT_SYMLINK_FOLLOW, which the
    /proc/self/fd link of an O_TMPFILE file needs (plain link() refuses it).
    """
    folder = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.link(f"/proc/self/fd/{fd}", path.name, dst_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        with contextlib.suppress(OSError):  # some file systems cannot fsync a folder
            os.fsync(fd)
    finally:
        os.close(fd)


def open_payload(source: BinaryIO, identities: Sequence[Identity]) -> PayloadReader:
    """Parse the header, open it with the first identity that can, check its MAC.

    The returned reader authenticates every chunk as it is read; nothing read
    from it may be trusted as complete until it has returned b"" (see
    :meth:`PayloadReader.finish`).
    """
    header = read_header(source)
    check_stanzas(header.stanzas)
    for identity in identities:
        file_key = identity.unwrap(header.stanzas)
        if file_key is not None:
            check_mac(header, file_key)
            return PayloadReader(source, file_key)
    kinds = {s.type for s in header.stanzas}
    if SCRYPT in kinds:
        raise WrongBackupPassphrase()
    if kinds <= {X25519, "fido2-hmac"}:
        raise BackupNoMatchingKey(
            "None of the security keys present opens this backup: it was made for other keys."
        )
    raise BackupNoMatchingKey()
