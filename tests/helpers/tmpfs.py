"""A small real file system for disk-full tests: a tmpfs mounted for one test.

Mounting needs root (CI runs as root); elsewhere the test is reported as
unavailable, never silently skipped in CI.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import unavailable


@contextlib.contextmanager
def small_tmpfs(mount: Path, size: str) -> Iterator[Path]:
    mount.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        unavailable("mounting a small tmpfs needs root")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        unavailable(f"cannot mount a tmpfs: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(path: Path) -> int:
    """Write ``path`` until the file system is full; the bytes written."""
    written = 0
    chunk = b"\0" * 65536
    with path.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
                written += len(chunk)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    # small writes fill the last partial blocks too
    with path.open("ab", buffering=0) as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 512)
    return written
