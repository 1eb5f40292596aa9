"""Writes backup-v1.age: a format-1 backup kept to prove later versions still restore it.

Run once from the repository root:
PYTHONPATH=. .venv/bin/python tests/data/backup/make_backup_v1.py
The passphrase is test data (see README.md beside this file).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.backup.history import ME, fill, new_history

from keybound.backup import operations as ops
from keybound.backup.age_recipients import ScryptRecipient
from keybound.backup.values import Control

PASSPHRASE = "keybound sample backup passphrase v1"


def main() -> None:
    out = Path(__file__).with_name("backup-v1.age")
    with tempfile.TemporaryDirectory() as tmp:
        repo = new_history(Path(tmp) / "history.db")
        fill(repo, Path(tmp) / "files", messages=30, attachment_size=2000)
        reader = repo.db.reader()
        ops.create(
            reader, out, [ScryptRecipient(PASSPHRASE)], own_identity=ME,
            settings={"read_receipts": False}, include_attachments=True, control=Control(),
            now=1_764_547_200_000,
        )  # fmt: skip
        reader.close()
        repo.db.close()


if __name__ == "__main__":
    main()
