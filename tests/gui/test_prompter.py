"""QtPrompter: the token worker thread asks and waits, the GUI thread shows and answers."""

from __future__ import annotations

import asyncio

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from keybound.gui.prompter import QtPrompter
from keybound.token.base import PinKind, TokenKind, TokenRef, Transport
from keybound.token.prompter import PinRequest
from keybound.token.worker import TokenWorker
from tests.gui.conftest import Runner, until

KEY = TokenRef(TokenKind.FIDO2, Transport.INPROCESS, "test", "", "Test key")


def test_blocked_pin_is_explained_and_cancel_answers_none(arun: Runner) -> None:
    window = QWidget()
    window.resize(600, 400)
    window.show()
    prompter = QtPrompter(window)
    worker = TokenWorker()

    async def flow() -> None:
        blocked = asyncio.ensure_future(
            worker.run(prompter.ask_pin, PinRequest(KEY, PinKind.USER, 0, "unlock"))
        )
        await until(lambda: prompter.dialog is not None)
        dialog = prompter.dialog
        assert dialog is not None
        assert "blocked" in dialog.retries.text() and "recovery code" in dialog.retries.text()
        assert not dialog.ok_button.isEnabled()
        QTest.keyClick(dialog, Qt.Key.Key_Escape)
        assert await blocked is None

        last = asyncio.ensure_future(
            worker.run(prompter.ask_pin, PinRequest(KEY, PinKind.USER, 1, "unlock"))
        )
        await until(lambda: prompter.dialog is not None)
        dialog = prompter.dialog
        assert dialog is not None
        assert "Last try" in dialog.retries.text()
        QTest.keyClicks(dialog.field, "9876")
        QTest.keyClick(dialog.field, Qt.Key.Key_Enter)
        field = dialog.field
        assert await last == "9876"
        await until(lambda: not shiboken6.isValid(field))  # the PIN's widget is gone

    try:
        arun(flow())
    finally:
        worker.stop()
        prompter.close()
        window.close()


def test_touch_overlay_animates_and_its_cancel_is_heard(arun: Runner) -> None:
    window = QWidget()
    window.resize(600, 400)
    window.show()
    prompter = QtPrompter(window)
    cancelled: list[bool] = []
    prompter.touch_cancelled.connect(lambda: cancelled.append(True))
    worker = TokenWorker()

    async def flow() -> None:
        await worker.run(prompter.touch_needed, KEY)
        await until(lambda: prompter.overlay.isVisible())
        assert prompter.overlay.animating
        assert prompter.overlay.geometry() == window.rect()
        phase = prompter.overlay.pulse.phase
        await until(lambda: prompter.overlay.pulse.phase > phase)  # it moves
        QTest.mouseClick(prompter.overlay.cancel_button, Qt.MouseButton.LeftButton)
        assert cancelled == [True]
        assert not prompter.overlay.isVisible() and not prompter.overlay.animating

        await worker.run(prompter.touch_needed, KEY)
        await until(lambda: prompter.overlay.isVisible())
        await worker.run(prompter.touch_done, KEY)
        await until(lambda: not prompter.overlay.isVisible())
        assert not prompter.overlay.animating  # no timer while hidden: no idle CPU

    try:
        arun(flow())
    finally:
        worker.stop()
        prompter.close()
        window.close()


def test_close_releases_a_waiting_worker(arun: Runner) -> None:
    window = QWidget()
    prompter = QtPrompter(window)
    worker = TokenWorker()

    async def flow() -> None:
        asked = asyncio.ensure_future(
            worker.run(prompter.ask_pin, PinRequest(KEY, PinKind.USER, 3, "sign"))
        )
        await until(lambda: prompter.dialog is not None)
        prompter.close()  # the app quits while the dialog is open
        assert await asked is None

    try:
        arun(flow())
    finally:
        worker.stop()
