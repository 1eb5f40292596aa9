"""The app shell against the real engine: a real relay process, real SQLCipher profiles,
in-process virtual cards, real windows offscreen.

One relay and two people per module (alice's profile is opened by a window in
each test, bob answers from a plain Messenger).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QWidget,
)

from keybound.client import events as ev
from keybound.client import settings as cfg
from keybound.client.daemon import DaemonClient
from keybound.client.values import MessageStatus
from keybound.demo.relay import EmbeddedRelay
from keybound.gui.app import Shell
from keybound.gui.mainwindow import MainWindow
from keybound.gui.theme import Theme
from keybound.gui.widgets.pin_dialog import PinDialog
from keybound.token.worker import TokenWorker
from tests.client.harness import PIN, Someone, befriend, create
from tests.gui.conftest import Runner, until
from tests.gui.people import Backstage
from tests.gui.texts import texts_of

SECRET_TEXT = "the lighthouse key is under the blue stone"


@dataclass
class World:
    relay: EmbeddedRelay
    alice: Someone  # closed: each test's window opens alice's profile
    bob: Someone  # running on the backstage loop
    a_conv: bytes
    b_conv: bytes
    backstage: Backstage

    async def bob_says(self, text: str) -> None:
        await self.backstage.call(self.bob.m.send_text(self.b_conv, text))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("shell")
    relay = EmbeddedRelay(tmp / "relay").start()
    worker = TokenWorker()
    backstage = Backstage()

    async def setup() -> World:
        alice = await create(tmp, "alice", relay.url, worker)
        bob = await create(tmp, "bob", relay.url, worker)
        a_conv, b_conv = await befriend(alice, bob)
        await bob.m.send_text(b_conv, SECRET_TEXT)
        await alice.m.wait_online(20)
        for _ in range(200):
            if await alice.m.history(a_conv):
                break
            await asyncio.sleep(0.05)
        await alice.close()  # the window takes alice's profile in each test
        return World(relay, alice, bob, a_conv, b_conv, backstage)

    w = backstage.run(setup())
    yield w
    backstage.run(w.bob.close())
    backstage.close()
    worker.stop()
    relay.kill()


async def open_window(world: World) -> Shell:
    shell = await Shell.start(world.alice.profile, world.alice.options)
    assert shell is not None
    shell.window.notifier.only_when_inactive = False
    return shell


async def pin_dialog(window: MainWindow, timeout: float = 10) -> PinDialog:
    await until(lambda: window.prompter.dialog is not None, timeout)
    dialog = window.prompter.dialog
    assert dialog is not None
    return dialog


async def enter_pin(window: MainWindow, pin: str) -> PinDialog:
    """Type ``pin`` into the PIN dialog (its field has the focus) and press Enter."""
    dialog = await pin_dialog(window)
    assert dialog.focusWidget() is dialog.field
    QTest.keyClicks(dialog.field, pin)
    QTest.keyClick(dialog.field, Qt.Key.Key_Return)
    await until(lambda: window.prompter.dialog is not dialog)
    return dialog


async def unlock(window: MainWindow) -> None:
    await enter_pin(window, PIN)
    await until(lambda: window.chat is not None and window.stack.currentWidget() is window.chat)


def visible_texts() -> list[str]:
    """Every text any live widget holds or paints (labels, fields, titles, item views)."""
    return texts_of(QApplication.allWidgets())


def assert_nothing_of_the_history(window: MainWindow) -> None:
    texts = " ".join(visible_texts())
    assert SECRET_TEXT not in texts
    assert "bob" not in texts.lower()
    assert not any(w.objectName() in ("chat_pane", "timeline") for w in QApplication.allWidgets())
    assert window.windowTitle() == "Keybound"
    assert window.tray.badge == ""
    assert "unread" not in window.tray.tooltip


def test_wrong_then_right_pin_with_tries_left_and_a_locked_tree_walk(
    world: World, arun: Runner
) -> None:
    async def flow() -> None:
        shell = await open_window(world)
        window = shell.window
        try:
            assert window.stack.currentWidget() is window.lock_screen
            first = await pin_dialog(window)  # asked at once: the key is plugged in
            assert_nothing_of_the_history(window)
            assert first.retries.text() in ("", "3 tries left.")
            await enter_pin(window, "000000")
            await until(lambda: "Wrong PIN" in window.lock_screen.message.text())
            again = await pin_dialog(window)  # asked again by itself
            assert again.retries.text() == "2 tries left."
            await unlock(window)
            await until(lambda: SECRET_TEXT in " ".join(visible_texts()))
            assert window.lock_screen.message.text() == ""
        finally:
            await shell.close()

    arun(flow(), 60)


def test_token_pulled_out_locks_within_a_second_and_plugging_in_asks_again(
    world: World, arun: Runner
) -> None:
    async def flow() -> None:
        shell = await open_window(world)
        window = shell.window
        try:
            await unlock(window)
            chat = window.chat
            assert chat is not None
            pulled = time.monotonic()
            world.alice.tokens.pull()
            await until(lambda: window.stack.currentWidget() is window.lock_screen, 2)
            assert time.monotonic() - pulled < 1.0
            await until(lambda: not shiboken6.isValid(chat), 2)  # deleted, not just hidden
            assert_nothing_of_the_history(window)
            assert "Plug in" in window.lock_screen.presence.text()
            world.alice.tokens.insert()
            await pin_dialog(window)  # plugged in: the PIN is asked at once
            assert "plugged in" in window.lock_screen.presence.text()
            await unlock(window)
        finally:
            world.alice.tokens.insert()
            await shell.close()

    arun(flow(), 60)


def test_ctrl_l_locks_and_notifications_show_the_sender_only(world: World, arun: Runner) -> None:
    async def flow() -> None:
        shell = await open_window(world)
        window = shell.window
        notes: list[tuple[str, str]] = []
        window.notifier.shown.connect(lambda title, body: notes.append((title, body)))
        try:
            await unlock(window)
            await world.bob_says("are you there")
            await until(lambda: len(notes) == 1)
            assert notes == [("Keybound", "New message from bob")]

            window.activateWindow()
            QTest.qWaitForWindowActive(window, 1000)
            QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
            await until(lambda: window.stack.currentWidget() is window.lock_screen, 2)
            await until(lambda: world.alice.tokens is not None and shell.messenger is not None)
            assert shell.messenger is not None
            await until(lambda: shell.messenger is not None and shell.messenger.locked)
            assert_nothing_of_the_history(window)
            await world.bob_says("still there?")
            await asyncio.sleep(0.5)  # a notification would be on its way by now
            assert len(notes) == 1  # nothing while locked
        finally:
            await shell.close()

    arun(flow(), 60)


def test_notification_text_only_when_allowed(world: World, arun: Runner) -> None:
    async def flow() -> None:
        shell = await open_window(world)
        window = shell.window
        notes: list[tuple[str, str]] = []
        window.notifier.shown.connect(lambda title, body: notes.append((title, body)))
        try:
            await unlock(window)
            assert shell.messenger is not None
            await shell.messenger.set_setting(cfg.NOTIFICATIONS, "text")
            await world.bob_says("dinner at eight")
            await until(lambda: ("bob", "dinner at eight") in notes)
            assert all(title == "bob" for title, _body in notes)

            # a background failure is told quietly, in the bar, not in a dialog
            window.bridge.engine_event.emit(ev.EngineError("Publishing your keys failed.", "keys"))
            assert window.error_bar.isVisible()
            assert window.error_bar.text == "Publishing your keys failed."
            assert QApplication.activeModalWidget() is None
            await shell.messenger.set_setting(cfg.NOTIFICATIONS, "sender")
        finally:
            await shell.close()

    arun(flow(), 60)


def test_second_start_raises_the_running_window(world: World, arun: Runner) -> None:
    async def flow() -> None:
        shell = await open_window(world)
        raised: list[bool] = []
        shell.window.raised.connect(lambda: raised.append(True))
        try:
            second = await Shell.start(world.alice.profile, world.alice.options)
            assert second is None
            await until(lambda: raised == [True])
            assert shell.window.isVisible()
            client = await DaemonClient.connect(world.alice.profile)  # `keybound status`
            try:
                status = await client.call("status")
            finally:
                await client.close()
            assert status["locked"] is True and "name" not in status

            # the real command line: `keybound --profile P` while the window runs
            cli = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "keybound.cli", "--profile", str(world.alice.profile),
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await asyncio.wait_for(cli.communicate(), 60)
            assert cli.returncode == 0, err.decode()
            assert "already running" in out.decode()
            await until(lambda: raised == [True, True])
        finally:
            await shell.close()

    arun(flow(), 60)


def test_every_focusable_widget_has_an_accessible_name(world: World, arun: Runner) -> None:
    async def flow() -> None:
        shell = await open_window(world)
        window = shell.window
        try:
            dialog = await pin_dialog(window)
            _assert_named([window, dialog])
            window.lock_screen.show_recovery()
            _assert_named([window])
            window.lock_screen.show_key_page()
            await enter_pin(window, PIN)
            await until(lambda: window.chat is not None)
            _assert_named([window])
        finally:
            await shell.close()

    arun(flow(), 60)


def _assert_named(roots: list[QWidget]) -> None:
    unnamed = []
    for root in roots:
        for w in [root, *root.findChildren(QWidget)]:
            focusable = bool(w.focusPolicy() & Qt.FocusPolicy.TabFocus)
            if focusable and not w.accessibleName() and w.isVisibleTo(root):
                unnamed.append(f"{type(w).__name__} {w.objectName()!r}")
    assert unnamed == []


def test_relay_killed_and_restarted_shows_the_offline_bar_then_sends(
    world: World, arun: Runner
) -> None:
    async def flow() -> None:
        shell = await open_window(world)
        window = shell.window
        try:
            await unlock(window)
            assert shell.messenger is not None
            await shell.messenger.wait_online(20)
            world.relay.kill()
            await until(lambda: window.offline_bar.isVisible(), 15)
            assert "Offline" in window.offline_bar.text
            mid = await shell.messenger.send_text(world.a_conv, "queued while offline")
            world.relay.start()
            await until(lambda: not window.offline_bar.isVisible(), 30)
            status = await shell.messenger.wait_status(mid, MessageStatus.SENT, 20)
            assert status in (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ)
            assert not window.offline_bar.isVisible()
        finally:
            if not world.relay.alive():
                world.relay.start()
            await shell.close()

    arun(flow(), 90)


def test_a_damaged_history_gets_a_clear_screen(world: World, arun: Runner, tmp_path: Path) -> None:
    async def flow() -> None:
        carol = await create(tmp_path, "carol", world.relay.url, world.alice.options.token_worker)
        await carol.close()
        history = carol.profile / "history.db"
        history.write_bytes(b"\0" * history.stat().st_size)
        for extra in ("history.db-wal", "history.db-shm"):
            (carol.profile / extra).unlink(missing_ok=True)
        shell = await Shell.start(carol.profile, carol.options)
        assert shell is not None
        window = shell.window
        try:
            await enter_pin(window, PIN)
            await until(lambda: window.stack.currentWidget() is window.problem_screen)
            assert window.problem_screen.text.text()
            assert "bug" not in window.problem_screen.text.text()
        finally:
            await shell.close()

    arun(flow(), 60)


def test_idle_time_locks_and_input_counts_as_activity(world: World, arun: Runner) -> None:
    async def flow() -> None:
        shell = await open_window(world)
        window = shell.window
        try:
            await unlock(window)
            assert shell.messenger is not None
            await shell.messenger.set_setting(cfg.IDLE_LOCK_SECONDS, 2)
            await shell.messenger.lock()  # settings are read at unlock
            await unlock(window)
            for _ in range(6):  # 3 s of typing keeps it open
                QTest.keyClick(window, Qt.Key.Key_Shift)
                await asyncio.sleep(0.5)
            assert window.chat is not None
            await until(lambda: window.chat is None, 6)  # then idle: locked
            assert_nothing_of_the_history(window)
            await unlock(window)
            await shell.messenger.set_setting(cfg.IDLE_LOCK_SECONDS, 0)
        finally:
            await shell.close()

    arun(flow(), 60)


def test_zoom_keys_and_the_window_geometry_are_remembered(world: World, arun: Runner) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    theme = Theme(app)
    base = app.font().pointSizeF()

    async def flow() -> None:
        shell = await Shell.start(world.alice.profile, world.alice.options, theme)
        assert shell is not None
        window = shell.window
        try:
            window.activateWindow()
            QTest.qWaitForWindowActive(window, 1000)
            QTest.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
            assert app.font().pointSizeF() > base
            window.setGeometry(40, 50, 700, 500)
            window.close()  # saves the geometry and zoom
        finally:
            await shell.close()
        again = await Shell.start(world.alice.profile, world.alice.options, theme)
        assert again is not None
        try:
            assert again.window.size().width() == 700 and again.window.size().height() == 500
            assert theme.zoom > 1.0
            again.window.activateWindow()
            QTest.qWaitForWindowActive(again.window, 1000)
            QTest.keyClick(again.window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
            assert theme.zoom == 1.0 and app.font().pointSizeF() == base
        finally:
            again.window.close()
            await again.close()

    arun(flow(), 60)
