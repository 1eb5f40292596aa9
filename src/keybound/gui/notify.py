"""Desktop notifications for new messages: the sender only, unless the person allows the text.

What a notification shows is the engine setting ``notifications``
(``settings.NotifyMode``: off, sender only (the default: a notification is on
screen for anyone to read), or sender and text), read for each message, so a
change applies to the next one.  Nothing is shown while locked, and nothing
for messages we sent from another device.  A failed automatic backup is
notified as well (always, even while the window is active: nobody was
watching it run), with the engine's sentence.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from keybound.client import events as ev
from keybound.client import settings as cfg
from keybound.client.system import SYSTEM
from keybound.client.values import Message
from keybound.errors import UnknownContact
from keybound.gui.bridge import Bridge
from keybound.gui.tray import Tray

PREVIEW_CHARS = 160


class Notifier(QObject):
    shown = Signal(str, str)  # title, body: what went to the desktop

    def __init__(self, bridge: Bridge, tray: Tray, window: QWidget) -> None:
        super().__init__(window)
        self._bridge = bridge
        self._tray = tray
        self._window = window
        self.only_when_inactive = True  # no notification for what the person is looking at
        bridge.engine_event.connect(self._on_event)

    def _on_event(self, event: object) -> None:
        if isinstance(event, ev.BackupFailed):
            if event.automatic:
                self._show((self.tr("Automatic backup failed"), event.text))
            return
        if not isinstance(event, ev.MessageReceived) or event.message.outgoing:
            return
        if event.message.content_type == SYSTEM:  # a group change: seen in the timeline
            return
        if not self._bridge.attached or self._bridge.messenger.locked:
            return
        if self.only_when_inactive and self._window.isActiveWindow():
            return
        self._bridge.run(self._compose(event.message), done=self._show, failed=lambda _e: None)

    async def _compose(self, message: Message) -> tuple[str, str] | None:
        m = self._bridge.messenger
        mode = await m.notification_mode()
        if mode is cfg.NotifyMode.OFF:
            return None
        try:
            sender = (await m.contact(message.sender_identity)).display_name
        except UnknownContact:
            sender = self.tr("someone new")
        if mode is cfg.NotifyMode.TEXT and message.body and not message.deleted:
            body = message.body
            if len(body) > PREVIEW_CHARS:
                body = body[: PREVIEW_CHARS - 1] + "…"
            return sender, body
        return self.tr("Keybound"), self.tr("New message from %s") % sender

    def _show(self, note: tuple[str, str] | None) -> None:
        if note is None or not self._bridge.attached or self._bridge.messenger.locked:
            return  # notifications are off, or locked while we looked the name up
        title, body = note
        self._tray.notify(title, body)
        self.shown.emit(title, body)
