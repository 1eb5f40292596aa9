"""Starting the app: one window per profile, locked until the key says otherwise.

:meth:`Shell.start` takes the profile with :meth:`Messenger.hold` (locked, the
profile lock held), serves the daemon socket (so ``keybound status``,
``unlock``, ``lock`` and a second start reach this process) and shows the
window.  A second start with the same profile finds the lock taken, asks the
running process to raise its window over the socket, and exits.  A profile
without an account shows the first-run wizard instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QApplication

from keybound.client import window_requests
from keybound.client.daemon import DaemonServer, DaemonUnavailable
from keybound.client.messenger import Messenger, Options
from keybound.client.profile import Profile
from keybound.errors import ProfileInUse
from keybound.gui.bridge import Bridge
from keybound.gui.contacts.links import LinkOpener
from keybound.gui.i18n import install_translations
from keybound.gui.loop import application, install_loop
from keybound.gui.mainwindow import MainWindow
from keybound.gui.preferences import app_locale
from keybound.gui.theme import Theme
from keybound.hardening import harden_process

log = logging.getLogger(__name__)


class Shell:
    """One profile's window, its Messenger (once there is one) and its daemon socket."""

    def __init__(self, profile: Path, options: Options | None, theme: Theme | None) -> None:
        self.profile = profile
        self.options = options
        # The app ends when the shell says so (window closed, tray Quit, SIGTERM) and
        # has closed the engine; Qt must not stop the loop under it on the last close.
        QApplication.setQuitOnLastWindowClosed(False)
        self.bridge = Bridge()
        self.window = MainWindow(self.bridge, profile, options, theme)
        self.window.messenger_ready.connect(self._serve_later)
        self.links = LinkOpener(self.window)
        self.messenger: Messenger | None = None
        self.daemon: DaemonServer | None = None
        self.closed = asyncio.Event()
        self.window.closing.connect(self.closed.set)

    @classmethod
    async def start(
        cls, profile: Path, options: Options | None = None, theme: Theme | None = None,
        link: str = "",
    ) -> Shell | None:  # fmt: skip
        """The shown window, or None when a running Keybound raised its own instead.

        ``link``: a ``keybound://`` link to show in the Add contact dialog (once
        unlocked); a running Keybound gets it through its socket."""
        shell = cls(profile, options, theme)
        if not Profile(profile).exists():
            shell.window.show_first_run()
            shell.window.show()
            shell.links.pending = link
            return shell
        try:
            messenger = await Messenger.hold(profile, shell.window.prompter, options=options)
        except ProfileInUse as in_use:
            await shell.close()
            try:
                if link:
                    await window_requests.open_link_running(profile, link)
                else:
                    await window_requests.raise_running(profile)
            except DaemonUnavailable:
                raise in_use from None  # held by a one-shot command (no socket): say so
            return None
        await shell._serve(messenger)
        shell.window.show()
        shell.links.pending = link
        shell.window.lock_screen.activate()
        return shell

    async def _serve(self, messenger: Messenger) -> None:
        self.messenger = messenger
        if not (self.bridge.attached and self.bridge.messenger is messenger):
            self.window.attach(messenger)  # the wizard's Messenger is attached already
        messenger.watch_token_presence()  # the lock screen shows the key coming and going
        window_requests.register_window(messenger, self.window.raise_window, self.links.open)
        self.daemon = await DaemonServer(messenger, self.profile).start()

    def _serve_later(self, messenger: Messenger) -> None:
        self.bridge.run(self._serve(messenger))

    async def close(self) -> None:
        self.window.prompter.close()
        if self.daemon is not None:
            await self.daemon.close()
            self.daemon = None
        await self.bridge.shutdown()
        if self.messenger is not None:
            window_requests.unregister_window(self.messenger)
            await self.messenger.close()
            self.messenger = None
        self.window.hide()
        self.window.deleteLater()


def run(
    profile: Path, options: Options | None = None, argv: Sequence[str] | None = None,
    link: str = "",
) -> int:  # fmt: skip
    """``keybound`` / ``keybound gui [LINK]``: run the app until its window closes."""
    harden_process()  # no core dumps of the app's memory (also done by keybound.cli)
    app = application(argv)
    # before any widget: widgets translate their texts when built
    install_translations(app, app_locale(profile))
    loop = install_loop(app)
    theme = Theme(app)
    # SIGINT/SIGTERM end the app through the same clean path as closing the window, from
    # before the first window shows (the wizard, the lock screen, while the profile opens).
    quitting = asyncio.Event()
    shells: list[Shell] = []

    def quit_now() -> None:
        quitting.set()
        for shell in shells:
            shell.closed.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, quit_now)

    async def main() -> int:
        shell = await Shell.start(profile, options, theme, link)
        if shell is None:
            shown = "the link was opened in its window" if link else "its window was raised"
            print(f"Keybound is already running with this profile; {shown}.")
            return 0
        shells.append(shell)
        if quitting.is_set():  # the signal came while the profile was opening
            shell.closed.set()
        try:
            await shell.closed.wait()
        finally:
            await shell.close()
        return 0

    try:
        return loop.run_until_complete(main())
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
        loop.close()
