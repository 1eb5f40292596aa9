"""``keybound://`` links opened on the desktop land in the Add contact dialog.

The link may come while the window is locked (or still on its first-run
wizard): it waits here, and the dialog opens once the chat is on screen, so
nothing about the link is shown over the lock screen.  A newer link replaces
one still waiting.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from keybound.gui.mainwindow import MainWindow


class LinkOpener(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.pending = ""
        window.chat_shown.connect(self._flush)

    def open(self, link: str) -> None:
        """Show the window and ``link`` in the Add dialog (after unlocking, if locked)."""
        self.pending = link
        self.window.raise_window()
        self._flush()

    def _flush(self) -> None:
        chat = self.window.chat
        if chat is None or not self.pending:
            return
        link, self.pending = self.pending, ""
        chat.menu.open_add_contact(link)
