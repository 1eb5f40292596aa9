"""Profile directory: --profile, then KEYBOUND_HOME, then platformdirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from keybound.errors import ProfileError
from keybound.paths import profile_dir


def test_override_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBOUND_HOME", str(tmp_path / "env"))
    assert profile_dir(tmp_path / "cli") == (tmp_path / "cli").resolve()
    assert (tmp_path / "cli").stat().st_mode & 0o777 == 0o700


def test_environment_then_platform_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBOUND_HOME", str(tmp_path / "env"))
    assert profile_dir() == (tmp_path / "env").resolve()
    monkeypatch.delenv("KEYBOUND_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert profile_dir() == (tmp_path / "xdg" / "keybound").resolve()


def test_unusable_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ProfileError, match="Cannot use the profile directory"):
        profile_dir(blocker / "profile")
