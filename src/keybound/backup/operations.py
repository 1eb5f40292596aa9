"""The three file-level operations the engine calls: create, verify, restore.

Each blocks (run it off the event loop) and takes a :class:`Control` for
progress and cancellation. Create writes ``NAME.part`` and renames it when
complete; cancel or failure leaves no file. Verify writes nothing. Restore
writes into one transaction of ``db`` that commits only after the whole file
authenticated and matched its manifest.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from keybound.errors import BackupError
from keybound.store.database import Database

from .age_file import AgeFileWriter
from .age_recipients import Identity, Recipient
from .reader import CountingTarget, read_backup
from .restore import SettingsSink, restore_backup
from .values import BackupInfo, Control, RestoreSummary
from .writer import write_backup


def create(
    db: Database,
    dest: Path,
    recipients: Sequence[Recipient],
    *,
    own_identity: bytes,
    settings: Mapping[str, Any],
    include_attachments: bool,
    control: Control,
    now: int,
) -> BackupInfo:
    """Write a backup of the history in ``db`` (a reader connection) to ``dest``."""
    with AgeFileWriter(dest, recipients) as out:
        info = write_backup(
            db, out, own_identity, settings=settings,
            include_attachments=include_attachments, control=control, now=now,
        )  # fmt: skip
    return replace(info, size=dest.stat().st_size)


def _open(path: Path) -> tuple[BinaryIO, int]:
    try:
        source = path.open("rb")
        return source, path.stat().st_size
    except FileNotFoundError:
        raise BackupError(f"There is no backup file {path}.") from None
    except IsADirectoryError:
        raise BackupError(f"{path} is a folder, not a backup file.") from None
    except OSError as exc:
        reason = exc.strerror or errno.errorcode.get(exc.errno or 0, "error")
        raise BackupError(f"The backup file {path} cannot be read: {reason}.") from None


def verify(path: Path, identities: Sequence[Identity], control: Control) -> BackupInfo:
    """Decrypt the whole file and check every hash in its manifest; nothing is written."""
    source, size = _open(path)
    with source:
        return read_backup(source, identities, CountingTarget(), control, size)


def restore(
    db: Database,
    path: Path,
    identities: Sequence[Identity],
    *,
    own_identity: bytes,
    attachments_dir: Path,
    control: Control,
    apply_settings: SettingsSink | None = None,
) -> RestoreSummary:
    """Merge the backup at ``path`` into ``db`` (the writer), all or nothing."""
    source, size = _open(path)
    with source:
        return restore_backup(
            db, source, identities, own_identity=own_identity,
            attachments_dir=attachments_dir, control=control, file_size=size,
            apply_settings=apply_settings,
        )  # fmt: skip
