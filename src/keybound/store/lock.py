"""One Keybound process per profile.

An exclusive ``flock`` on ``<profile>/keybound.lock``.  The kernel drops it
when the holder's file descriptor closes, including when the process is
killed, so a crash never leaves a stale lock behind (a pid file alone would).
The file also records the holder's pid, for the error message only; it is
never deleted (unlinking a lock file races with the next opener's flock).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from keybound.errors import ProfileError, ProfileInUse

LOCK_FILE = "keybound.lock"


class ProfileLock:
    """Held from :meth:`acquire` until :meth:`release` (or process exit)."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, profile: Path) -> ProfileLock:
        """Take the profile, or raise :class:`ProfileInUse` naming the holder's pid."""
        path = profile / LOCK_FILE
        try:
            # No O_TRUNC: until we hold the lock, the pid in it belongs to the holder.
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise ProfileError(
                f"Cannot use the profile directory {profile}: {exc.strerror}."
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise ProfileInUse(pid) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return cls(fd, path)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> ProfileLock:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
        return int(text) if text.isdigit() else None
    except (OSError, UnicodeDecodeError):
        return None
