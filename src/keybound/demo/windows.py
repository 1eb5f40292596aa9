"""The demo's windows: two app shells side by side, each with a demo panel for its card.

Without a display, :func:`scripted_round` plays the round a newcomer would
(unlock both, write, receive, pull a card, plug it back) and reports each
step with how long it took.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from keybound.demo.app import Person, elapsed_ms, say
from keybound.errors import UserFacingError
from keybound.gui.app import Shell
from keybound.gui.bridge import Bridge
from keybound.gui.loop import application, install_loop
from keybound.gui.mainwindow import MainWindow
from keybound.gui.theme import Theme

HELLO = "Hello Bob, this is Alice's window."


class DemoPanel(QWidget):
    """Pull the card out, plug it in, grant a touch: what a hand would do to a real key."""

    def __init__(self, person: Person, pin: str, bridge: Bridge, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("demo_panel")
        self._card = person.card
        self._bridge = bridge
        column = QVBoxLayout(self)
        hint = QLabel(
            self.tr("Demo: this window's virtual card, %(where)s. Its PIN is %(pin)s.")
            .replace("%(where)s", person.card.where)
            .replace("%(pin)s", pin),
            self,
        )
        hint.setWordWrap(True)
        column.addWidget(hint)
        row = QHBoxLayout()
        self.pull = QPushButton(self.tr("Pull out card"), self)
        self.plug = QPushButton(self.tr("Plug in card"), self)
        self.touch = QPushButton(self.tr("Grant touch"), self)
        for button, slot in (
            (self.pull, self._pull),
            (self.plug, self._plug),
            (self.touch, self._card.touch),
        ):
            button.setAccessibleName(button.text())
            button.clicked.connect(slot)
            row.addWidget(button)
        column.addLayout(row)
        self._refresh()

    def _pull(self) -> None:
        self._bridge.run(asyncio.to_thread(self._card.remove), done=lambda _r: self._refresh())

    def _plug(self) -> None:
        self._bridge.run(asyncio.to_thread(self._card.insert), done=lambda _r: self._refresh())

    def _refresh(self) -> None:
        self.pull.setEnabled(self._card.inserted)
        self.plug.setEnabled(not self._card.inserted)


def add_panel(window: MainWindow, person: Person, pin: str) -> DemoPanel:
    dock = QDockWidget(window.tr("Demo"), window)
    dock.setObjectName("demo_dock")
    dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
    panel = DemoPanel(person, pin, window.bridge, dock)
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    return panel


async def wait_for(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise UserFacingError(f"The demo gave up waiting for {what}.")
        await asyncio.sleep(0.02)


async def answer_pin(window: MainWindow, pin: str) -> None:
    """Type the PIN into the dialog the lock screen opened by itself."""
    await wait_for(lambda: window.prompter.dialog is not None, "the PIN dialog")
    dialog = window.prompter.dialog
    assert dialog is not None
    dialog.field.setText(pin)
    dialog.accept()


async def unlocked(shell: Shell) -> None:
    await wait_for(lambda: shell.window.chat is not None, "the unlocked window")


async def scripted_round(
    shells: Sequence[Shell], people: Sequence[Person], pin: str, out: TextIO
) -> int:
    alice, bob = shells
    for shell, person in zip(shells, people, strict=True):
        started = time.monotonic()
        await answer_pin(shell.window, pin)
        await unlocked(shell)
        say(out, f"{person.name}: PIN asked at start, unlocked in {elapsed_ms(started)} ms")
    assert alice.messenger is not None and bob.messenger is not None
    sent = time.monotonic()
    await alice.messenger.send_text(people[0].conversation, HELLO)
    bob_m = bob.messenger

    async def arrived() -> bool:
        return any(m.body == HELLO for m in await bob_m.history(people[1].conversation, 10))

    deadline = time.monotonic() + 30
    while not await arrived():
        if time.monotonic() > deadline:
            raise UserFacingError("The demo message did not arrive in Bob's window.")
        await asyncio.sleep(0.05)
    say(out, f"alice wrote {HELLO!r}; it arrived in bob's window after {elapsed_ms(sent)} ms")

    pulled = time.monotonic()
    pulling = asyncio.ensure_future(asyncio.to_thread(people[0].card.remove))
    await wait_for(lambda: alice.window.chat is None, "alice's window to lock", 5)
    say(out, f"alice's card pulled out: her window locked after {elapsed_ms(pulled)} ms")
    await pulling
    plugged = time.monotonic()
    await asyncio.to_thread(people[0].card.insert)
    await answer_pin(alice.window, pin)
    await unlocked(alice)
    say(out, f"plugged back in: PIN asked at once, unlocked after {elapsed_ms(plugged)} ms")
    return 0


def run_windows(people: Sequence[Person], pin: str, scripted: bool, out: TextIO) -> int:
    app = application()
    loop = install_loop(app)
    theme = Theme(app)

    async def main() -> int:
        shells: list[Shell] = []
        try:
            screen = app.primaryScreen().availableGeometry()
            width = screen.width() // 2
            for i, person in enumerate(people):
                shell = await Shell.start(person.profile, person.options, theme)
                if shell is None:
                    raise UserFacingError("A demo profile is in use by another Keybound.")
                shells.append(shell)
                shell.window.setGeometry(screen.x() + i * width, screen.y(), width, screen.height())
                add_panel(shell.window, person, pin)
            say(out, "two windows are open, side by side: alice on the left, bob on the right")
            if scripted:
                return await scripted_round(shells, people, pin, out)
            say(out, f"unlock each window with the PIN {pin}; close both windows to end the demo")
            await asyncio.gather(*(s.closed.wait() for s in shells))
            return 0
        finally:
            for shell in shells:
                await shell.close()

    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()
