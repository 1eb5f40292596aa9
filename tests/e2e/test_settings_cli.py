"""`keybound settings show|set`: the app's settings from the command line, checked before a
PIN is asked, kept in the encrypted history (a real profile, card on pcscd, relay process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .people import make_person

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def test_settings_are_shown_changed_and_checked(
    relay_factory,  # type: ignore[no-untyped-def]
    virtual_card: CardFactory,
    tmp_path: Path,
) -> None:
    relay: RelayProcess = relay_factory()
    alice = make_person("alice", tmp_path, virtual_card, slot=3)
    alice.init(relay.url)

    shown = alice.run("settings", "show", "--json").lines()[0]
    assert shown["notifications"] == "sender"
    assert shown["idle_lock_seconds"] == 0 and shown["lock_on_token_removal"] is True

    assert alice.run("settings", "set", "notifications", "text").out.strip() == (
        "notifications = text"
    )
    alice.run("settings", "set", "idle_lock_seconds", "300")
    alice.run("settings", "set", "read_receipts", "off")
    alice.run("settings", "set", "default_disappearing_seconds", "86400")
    alice.run("settings", "set", "download_folder", "saved")  # made absolute

    # out of range or of the wrong kind: one sentence, before any PIN is asked
    bad = alice.run("settings", "set", "notifications", "loud", pins=None, expect=1)
    assert "Notifications must be off, sender only, or sender and text." in bad.err
    bad = alice.run("settings", "set", "read_receipts", "maybe", pins=None, expect=1)
    assert "read_receipts is on or off" in bad.err
    bad = alice.run("settings", "set", "idle_lock_seconds", "-1", pins=None, expect=1)
    assert "between off and seven days" in bad.err
    assert "Traceback" not in bad.err

    shown = alice.run("settings", "show", "--json").lines()[0]
    assert shown["notifications"] == "text"
    assert shown["idle_lock_seconds"] == 300
    assert shown["read_receipts"] is False
    assert shown["default_disappearing_seconds"] == 86400
    assert Path(shown["download_folder"]).is_absolute()
    assert Path(shown["download_folder"]).name == "saved"
    text = alice.run("settings", "show").out
    assert any(line.split() == ["read_receipts", "off"] for line in text.splitlines())
