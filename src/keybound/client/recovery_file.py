"""Saving the recovery code to a file the person chose: whole or not at all, owner-only.

The code opens the history without a token, so the file is created with mode
0600 from its first byte (never widened afterwards), written to a temporary
name beside the target, flushed to disk and then renamed over it: a full
disk or a crash leaves either no file or the complete one, never half a code.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from keybound.errors import StoreFileError

HEADER = (
    "Keybound recovery code\n\n"
    "It opens this computer's Keybound history if the security key is lost.\n"
    "Keep it somewhere safe and private; anyone holding it and this computer\n"
    "can read the history.\n\n"
)


def save_recovery_code(path: Path, code: str) -> None:
    """Write ``code`` to ``path`` atomically with mode 0600 (``StoreFileError`` if not)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    data = (HEADER + "    " + code + "\n").encode("ascii")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StoreFileError(
            f"The recovery code could not be saved to {path}: {exc.strerror or exc}."
        ) from None
