"""The profile directory: which files live there, and nothing else in clear.

``keyslots.kbv`` (the master key, wrapped per token and recovery code),
``history.db`` with its ``-wal``/``-shm`` (SQLCipher), ``tokens.json`` (public
facts about FIDO2 credentials), ``keybound.lock`` (one process per profile)
and ``daemon.sock`` (the local control socket).  The relay URL, its TLS pin,
display names and contacts all live inside the encrypted database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from keybound.errors import ProfileError
from keybound.store.atomic import backup_path
from keybound.store.database import HISTORY_FILE
from keybound.store.lock import LOCK_FILE
from keybound.store.vault import KEYSLOT_FILENAME
from keybound.token.registry import FILE_NAME as TOKENS_FILE

DAEMON_SOCKET = "daemon.sock"


@dataclass(frozen=True)
class Profile:
    root: Path

    @property
    def keyslots(self) -> Path:
        return self.root / KEYSLOT_FILENAME

    @property
    def history(self) -> Path:
        return self.root / HISTORY_FILE

    @property
    def tokens(self) -> Path:
        return self.root / TOKENS_FILE

    @property
    def lock_file(self) -> Path:
        return self.root / LOCK_FILE

    @property
    def daemon_socket(self) -> Path:
        return self.root / DAEMON_SOCKET

    def exists(self) -> bool:
        """True once an account was created here (the keyslot file is its first file).

        A keyslot file whose rewrite was cut short may survive only as its ``.bak``:
        that is still an account (unlocking restores the file from it), so ``init``
        and every other command agree about it."""
        return self.keyslots.exists() or backup_path(self.keyslots).exists()

    def ensure(self) -> None:
        """Create the directory, readable by its owner only (0700)."""
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self.root.stat().st_mode & 0o077:
                os.chmod(self.root, 0o700)
        except OSError as exc:
            raise ProfileError(
                f"Cannot use the profile directory {self.root}: {exc.strerror}."
            ) from None
