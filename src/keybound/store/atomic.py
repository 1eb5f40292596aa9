"""Replace a small file so that a crash leaves either the old or the new version, never half.

``write_atomic`` writes a temporary file in the same directory (mode 0600),
fsyncs it, renames it over the real name and fsyncs the directory: the rename
is the commit point, so a reader never sees a partial file under the real
name. The previous version is first copied (the same way) to ``<name>.bak``
and stays there until the caller has read the new file back and called
``PendingWrite.commit``; ``rollback`` puts it back. Stale temporary files of
an earlier crash are removed by the next write.

``read_with_fallback`` uses the backup only when the primary is missing or
fails to parse with an error listed in ``fallback_on``: a valid primary always
wins, and the result says when the backup was used, so it is never silent.

Every ``OSError`` becomes a :class:`StoreFileError` with a sentence a person
understands (disk full is named as such); the file under the real name is
then untouched. Meant for small files (keyslots), read and copied whole.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from ..errors import StoreFileError

T = TypeVar("T")

_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def _error(exc: OSError, path: Path, doing: str) -> StoreFileError:
    if exc.errno in _NO_SPACE:
        return StoreFileError(
            f"There is not enough disk space to save {path.name} in {path.parent}. "
            "Free some space and try again; nothing was changed."
        )
    reason = exc.strerror or type(exc).__name__
    return StoreFileError(f"Could not {doing} {path}: {reason}. Nothing was changed.")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot fsync a directory
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _error(exc, path, "save") from None


@dataclass(frozen=True)
class PendingWrite:
    """A new version in place whose predecessor is still kept as ``<name>.bak``."""

    path: Path
    had_previous: bool

    def commit(self) -> None:
        """The new version was verified: drop the backup."""
        remove_backup(self.path)

    def rollback(self) -> None:
        """The new version is bad: bring the previous one back (or remove a first version)."""
        if self.had_previous:
            restore_backup(self.path)
            return
        try:
            self.path.unlink(missing_ok=True)
            _fsync_dir(self.path.parent)
        except OSError as exc:
            raise _error(exc, self.path, "remove") from None


def restore_backup(path: Path) -> None:
    """Put ``<name>.bak`` back under the real name (atomically, by rename)."""
    try:
        os.replace(backup_path(path), path)
        _fsync_dir(path.parent)
    except OSError as exc:
        raise _error(exc, path, "restore") from None


def remove_backup(path: Path) -> None:
    try:
        backup_path(path).unlink(missing_ok=True)
        _fsync_dir(path.parent)
    except OSError as exc:
        raise _error(exc, backup_path(path), "remove") from None


def write_atomic(path: Path, data: bytes) -> PendingWrite:
    """Put ``data`` under ``path`` atomically, keeping the previous version as a backup."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()
    previous = read_file(path)
    if previous is not None:
        _replace(backup_path(path), previous)
    try:
        _replace(path, data)
    except StoreFileError:
        with contextlib.suppress(StoreFileError):
            remove_backup(path)  # a copy of the untouched primary: no use
        raise
    return PendingWrite(path, previous is not None)


@dataclass(frozen=True)
class Loaded(Generic[T]):
    value: T
    from_backup: bool


def read_file(path: Path) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _error(exc, path, "read") from None


def read_with_fallback(
    path: Path,
    parse: Callable[[bytes], T],
    fallback_on: tuple[type[Exception], ...],
    missing: Callable[[], Exception],
) -> Loaded[T]:
    """Parse the primary; use ``<name>.bak`` only if the primary is missing or fails with
    ``fallback_on``. If neither works, the primary's error (or ``missing()``) is raised."""
    data = read_file(path)
    primary_error: Exception = missing()
    if data is not None:
        try:
            return Loaded(parse(data), from_backup=False)
        except fallback_on as exc:
            primary_error = exc
    backup = read_file(backup_path(path))
    if backup is not None:
        with contextlib.suppress(*fallback_on):
            return Loaded(parse(backup), from_backup=True)
    raise primary_error
