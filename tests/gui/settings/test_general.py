"""The General, Privacy & notifications and Relay pages against the real engine and relay.

Each control is changed as a person would (choosing in its combo box, ticking
its box), then checked where it lands (the vault or window.ini), in force
(the app's theme, the running engine), and shown again by a dialog opened
afresh, after the vault was locked and unlocked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QMainWindow

from keybound.client import events as ev
from keybound.client import settings as cfg
from keybound.client.env import Environment
from keybound.client.values import LockReason
from keybound.gui.bridge import Bridge
from keybound.gui.mainwindow import MainWindow
from keybound.gui.notify import Notifier
from keybound.gui.preferences import Preferences, app_locale, saved_language
from keybound.gui.settings import SettingsDialog
from keybound.gui.settings.general import GeneralPage, PrivacyPage, duration
from keybound.gui.settings.relay import RelayPage, grouped_fingerprint
from keybound.gui.theme import Scheme, Theme, ThemeMode
from keybound.gui.tray import Tray
from keybound.gui.views.chat import ChatPane
from tests.client.harness import Someone, create
from tests.gui.chat_people import ChatRelay, Pair, people
from tests.gui.conftest import Runner, until
from tests.helpers.relay_process import RelayProcess


class Clock:
    """Wall-clock milliseconds that a test moves forward by hand (the engine's env)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000_000

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def theme() -> Iterator[Theme]:
    """The app's Theme, put back to the system's look afterwards."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    made = Theme(app)
    yield made
    made.set_mode(ThemeMode.SYSTEM)
    made.set_font_size(0)
    made.set_zoom(1.0)


def choose(combo: QComboBox, value: object) -> None:
    """What a person does: pick the item that stands for ``value``."""
    index = combo.findData(value)
    assert index >= 0, f"{combo.objectName()} has no {value!r}"
    combo.setCurrentIndex(index)


def open_dialog(pane: ChatPane) -> SettingsDialog:
    pane.menu.settings_action.trigger()
    dialogs = [d for d in pane.findChildren(SettingsDialog) if d.isVisible()]
    assert dialogs
    return dialogs[-1]


async def written(page: GeneralPage | PrivacyPage, action: Callable[[], object], key: str) -> None:
    """Do ``action`` and wait until the engine stored ``key``."""
    saved: list[str] = []
    page.vault.saved.connect(saved.append)
    action()
    await until(lambda: key in saved)


def test_durations_read_as_people_say_them() -> None:
    assert duration(60) == "1 minute"
    assert duration(300) == "5 minutes"
    assert duration(3600) == "1 hour"
    assert duration(2419200) == "4 weeks"
    assert duration(90) == "90 seconds"


def test_the_saved_language_is_installed_unless_keybound_lang_says_otherwise(
    tmp_path: Path,
) -> None:
    assert saved_language(tmp_path) is None and app_locale(tmp_path, {}) is None  # the system's
    Preferences(tmp_path).set_language("de")
    assert saved_language(tmp_path) == "de"
    chosen = app_locale(tmp_path, {})
    assert chosen is not None and chosen.name().startswith("de")
    assert app_locale(tmp_path, {"KEYBOUND_LANG": "en"}) is None  # the override wins
    Preferences(tmp_path).set_language("en")  # English on a German desktop
    english = app_locale(tmp_path, {})
    assert english is not None and english.name().startswith("en")
    Preferences(tmp_path).set_language(None)
    assert saved_language(tmp_path) is None
    with pytest.raises(ValueError, match="no translation"):
        Preferences(tmp_path).set_language("tlh")


def test_grouped_fingerprint_is_two_lines_of_sixteen() -> None:
    text = ":".join(f"{i:02X}" for i in range(32))
    lines = grouped_fingerprint(text).splitlines()
    assert len(lines) == 2 and all(len(line.split(":")) == 16 for line in lines)
    assert ":".join(lines) == text


def test_general_page_applies_at_once_and_the_lock_screen_uses_it(
    chat_relay: ChatRelay, arun: Runner, theme: Theme
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)

    async def flow() -> None:
        async with people(chat_relay, "general") as p:
            await check(p)

    async def check(p: Pair) -> None:
        pane = ChatPane(p.a_bridge)
        pane.show()
        page = open_dialog(pane).show_page("general")
        assert isinstance(page, GeneralPage)
        await until(lambda: page.choose_button.isEnabled())  # the vault's value is read
        profile = p.alice.m.profile.root

        choose(page.theme_choice, ThemeMode.DARK.value)
        assert theme.mode is ThemeMode.DARK and theme.scheme is Scheme.DARK
        window_color = app.palette().color(QPalette.ColorRole.Window)
        assert window_color.lightness() < 80  # the app is dark now, not after a restart
        choose(page.font_choice, 12.0)
        choose(page.zoom_choice, 1.25)
        assert app.font().pointSizeF() == pytest.approx(12.0 * 1.25)
        choose(page.language_choice, "de")
        assert saved_language(profile) == "de"
        assert "next time Keybound starts" in page.language_note.text()

        folder = p.tmp / "downloads"
        await written(page, lambda: page.set_download_folder(str(folder)), cfg.DOWNLOAD_FOLDER)
        assert await p.alice.m.setting(cfg.DOWNLOAD_FOLDER) == str(folder)
        assert page.folder.text() == str(folder)
        prefs = Preferences(profile)
        assert (prefs.theme_mode, prefs.font_size, prefs.zoom) == (ThemeMode.DARK, 12.0, 1.25)

        # Ctrl+= elsewhere while the page is open: the page follows
        theme.zoom_in()
        assert page.zoom_choice.currentData() == theme.zoom == 1.5

        # reopened after a relock: every control shows what was chosen
        await p.alice.m.lock()
        await p.alice.m.unlock()
        again = open_dialog(pane).show_page("general")
        assert isinstance(again, GeneralPage)
        await until(lambda: again.choose_button.isEnabled())
        assert again.theme_choice.currentData() == "dark"
        assert again.font_choice.currentData() == 12.0
        assert again.language_choice.currentData() == "de"
        assert again.folder.text() == str(folder)
        await written(again, lambda: again.system_button.click(), cfg.DOWNLOAD_FOLDER)
        assert await p.alice.m.setting(cfg.DOWNLOAD_FOLDER) == ""
        assert "(the system's)" in again.folder.text()

        # before unlock: a new start's lock screen takes the saved theme, font and zoom
        theme.set_mode(ThemeMode.SYSTEM)
        theme.set_font_size(0)
        theme.set_zoom(1.0)
        window = MainWindow(Bridge(), profile, theme=theme)
        try:
            assert window.stack.currentWidget() is window.lock_screen
            assert theme.mode is ThemeMode.DARK
            # the zoom as saved (the Theme's zoom_in above was not the window's Ctrl+=)
            assert theme.font_size == 12.0 and theme.zoom == 1.25
        finally:
            window.close()
            window.deleteLater()
        choose(again.language_choice, "")
        assert saved_language(profile) is None
        pane.deleteLater()

    arun(flow(), 90)


def test_privacy_page_controls_persist_across_a_relock(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "privacy") as p:
            await check(p)

    async def check(p: Pair) -> None:
        pane = ChatPane(p.a_bridge)
        pane.show()
        page = open_dialog(pane).show_page("privacy")
        assert isinstance(page, PrivacyPage)
        await until(lambda: page.notify_choice.isEnabled())
        assert page.notify_choice.currentData() == "sender"  # the defaults, as stored
        assert page.removal_check.isChecked() and page.receipts_check.isChecked()

        chosen: dict[str, bool | int | str] = {
            cfg.NOTIFICATIONS: "off",
            cfg.IDLE_LOCK_SECONDS: 300,
            cfg.DEFAULT_TIMER: 86400,
            cfg.LOCK_ON_TOKEN_REMOVAL: False,
            cfg.READ_RECEIPTS: False,
            cfg.TYPING_INDICATORS: False,
        }
        for key, value in chosen.items():
            control = page.controls[key]
            if isinstance(control, QComboBox):
                await written(page, lambda c=control, v=value: choose(c, v), key)
            else:
                assert isinstance(control, QCheckBox)
                await written(page, lambda c=control, v=value: c.setChecked(bool(v)), key)
        for key, value in chosen.items():
            assert await p.alice.m.setting(key) == value, key
        assert await p.alice.m.notification_mode() is cfg.NotifyMode.OFF

        # the default timer: a group started now takes it
        group = await p.alice.m.create_group("hikers", [p.bob.m.identity_id])
        rows = {s.conversation.conversation_id: s for s in await p.alice.m.conversations()}
        assert rows[group].conversation.disappearing_seconds == 86400
        assert rows[p.a_conv].conversation.disappearing_seconds is None

        # a value the engine refuses: the sentence, and the stored value shown again
        page.vault.write(cfg.NOTIFICATIONS, "loud")
        await until(lambda: page.error.isVisible())
        assert "Notifications must be" in page.error.text()
        assert page.notify_choice.currentData() == "off"

        await p.alice.m.lock()
        await p.alice.m.unlock()
        again = open_dialog(pane).show_page("privacy")
        assert isinstance(again, PrivacyPage)
        await until(lambda: again.notify_choice.isEnabled())
        assert again.notify_choice.currentData() == "off"
        assert again.idle_choice.currentData() == 300
        assert again.timer_choice.currentData() == 86400
        assert not again.removal_check.isChecked()
        assert not again.receipts_check.isChecked()
        assert not again.typing_check.isChecked()
        pane.deleteLater()

    arun(flow(), 90)


def test_auto_lock_chosen_in_the_page_locks_on_the_engine_clock(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    clock = Clock()

    async def flow() -> None:
        tmp = chat_relay.tmp / "idle"
        tmp.mkdir()
        alice = await create(
            tmp, "alice", chat_relay.relay.url, chat_relay.worker,
            env=Environment(now_ms=clock), idle_check_s=0.02,
        )  # fmt: skip
        bridge = Bridge()
        bridge.attach(alice.m)
        try:
            await check(alice, bridge)
        finally:
            await bridge.shutdown()
            await alice.close()

    async def check(alice: Someone, bridge: Bridge) -> None:
        page = PrivacyPage(bridge)
        await until(lambda: page.idle_choice.isEnabled())
        assert page.idle_choice.currentData() == 0  # never, by default
        await written(page, lambda: choose(page.idle_choice, 60), cfg.IDLE_LOCK_SECONDS)
        clock.now += 59_000
        await asyncio.sleep(0.2)  # ten checks of the idle watch
        assert not alice.m.locked
        clock.now += 2_000
        # in the running session, no relock needed
        await until(lambda: alice.m.locked and bool(alice.events_of(ev.Locked)))
        assert alice.events_of(ev.Locked)[-1].reason is LockReason.IDLE
        page.deleteLater()

    arun(flow(), 60)


def test_the_notifier_shows_what_the_mode_allows(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "notify") as p:
            await check(p)

    async def check(p: Pair) -> None:
        window = QMainWindow()
        notifier = Notifier(p.a_bridge, Tray(window), window)
        notifier.only_when_inactive = False
        notes: list[tuple[str, str]] = []
        notifier.shown.connect(lambda title, body: notes.append((title, body)))
        arrived: list[str | None] = []
        p.a_bridge.engine_event.connect(
            lambda e: arrived.append(e.message.body) if isinstance(e, ev.MessageReceived) else None
        )

        await p.bob.m.send_text(p.b_conv, "dinner at eight")  # the default: sender only
        await until(lambda: len(notes) == 1, 20)
        assert notes == [("Keybound", "New message from bob")]
        assert "dinner" not in " ".join(notes[0])

        await p.alice.m.set_setting(cfg.NOTIFICATIONS, "text")
        await p.bob.m.send_text(p.b_conv, "bring a torch")
        await until(lambda: len(notes) == 2, 20)
        assert notes[1] == ("bob", "bring a torch")

        await p.alice.m.set_setting(cfg.NOTIFICATIONS, "off")
        await p.bob.m.send_text(p.b_conv, "the code is 1234")
        await until(lambda: "the code is 1234" in arrived, 20)
        await asyncio.sleep(0.3)  # a notification would have been composed by now
        await p.alice.m.set_setting(cfg.NOTIFICATIONS, "sender")
        await p.bob.m.send_text(p.b_conv, "see you")
        await until(lambda: len(notes) == 3, 20)
        assert notes[2] == ("Keybound", "New message from bob")
        assert not any("1234" in title + body for title, body in notes)
        window.deleteLater()

    arun(flow(), 90)


def test_downloads_go_to_the_chosen_folder(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "downloads") as p:
            await check(p)

    async def check(p: Pair) -> None:
        folder = p.tmp / "my downloads"
        page = GeneralPage(p.a_bridge)
        await until(lambda: page.choose_button.isEnabled())
        await written(page, lambda: page.set_download_folder(str(folder)), cfg.DOWNLOAD_FOLDER)
        source = p.tmp / "plans.txt"
        source.write_text("north ridge, then the lake")
        await p.bob.m.send_file(p.b_conv, source)
        pane = ChatPane(p.a_bridge)
        pane.show()
        await until(lambda: pane.conversations.row_of(p.a_conv) >= 0)
        pane.open_conversation(p.a_conv)
        await until(lambda: any(e.attachments for e in pane.timeline.entries), 20)
        entry = next(e for e in pane.timeline.entries if e.attachments)
        pane.message_actions.download_to_folder(entry)
        await until(lambda: (folder / "plans.txt").exists(), 20)
        assert (folder / "plans.txt").read_text() == "north ridge, then the lake"
        pane.message_actions.download_to_folder(entry)  # again: a free name, nothing overwritten
        await until(lambda: (folder / "plans (2).txt").exists(), 20)
        pane.deleteLater()
        page.deleteLater()

    arun(flow(), 90)


def test_relay_page_shows_the_fingerprint_and_follows_the_connection(
    chat_relay: ChatRelay, arun: Runner, tmp_path: Path
) -> None:
    relay = RelayProcess(tmp_path / "relay", tls=True).start()

    async def flow() -> None:
        alice = await create(tmp_path, "alice", relay.url, chat_relay.worker, tls_pin=True)
        bridge = Bridge()
        bridge.attach(alice.m)
        try:
            await check(bridge)
        finally:
            await bridge.shutdown()
            await alice.close()

    async def check(bridge: Bridge) -> None:
        page = RelayPage(bridge)
        assert relay.fingerprint is not None
        shown = grouped_fingerprint(relay.fingerprint)
        await until(lambda: page.fingerprint.text() == shown)
        assert page.address.text() == relay.url
        assert "pinned" in page.trust.text()
        assert page.state.text() == "Connected"
        relay.stop()
        await until(lambda: page.state.property("linkState") == "connecting", 20)
        assert page.state.text().startswith(("Connecting", "Not connected"))
        relay.start()
        await until(lambda: page.state.text() == "Connected", 40)
        assert page.fingerprint.text() == shown
        page.deleteLater()

    try:
        arun(flow(), 90)
    finally:
        relay.kill()


def test_relay_page_says_a_loopback_relay_is_unencrypted(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "relay-ws") as p:
            page = RelayPage(p.a_bridge)
            await until(lambda: page.info is not None)
            assert page.address.text() == chat_relay.relay.url
            assert "not encrypted" in page.fingerprint.text()
            assert page.state.text() == "Connected"
            page.deleteLater()

    arun(flow(), 60)
