"""Saving the recovery code: owner-only from the first byte, whole or not at all."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from keybound.client.recovery_file import save_recovery_code
from keybound.errors import StoreFileError

CODE = "ABCDE-FGHJK-MNPQR-STVWX-YZ234-56789-ABCDE"


def test_the_file_is_private_and_holds_the_code(tmp_path: Path) -> None:
    target = tmp_path / "recovery.txt"
    target.write_text("an older file")
    save_recovery_code(target, CODE)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert CODE in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["recovery.txt"]


def test_a_failure_names_the_cause_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "recovery.txt"
    with pytest.raises(StoreFileError, match="could not be saved"):
        save_recovery_code(target, CODE)
    assert not (tmp_path / "missing-dir").exists()
