"""Where the shell meets the other two parts of the app (the seams of gui-common).

- the unlocked UI: ``keybound.gui.views.chat.ChatPane(bridge, parent)`` (gui-chat);
- the first run: ``keybound.gui.wizard.FirstRunWizard(bridge, profile, options, parent)``
  (gui-wizard).

Each is looked up by module name when the shell needs it; until that module
exists in this checkout, a placeholder with the same interface stands in:
:class:`PlaceholderChat` is a bare but working chat (so the demo works end to
end), :class:`PlaceholderWizard` says "first run" and points to ``keybound init``.
Once both parts are merged, the placeholders are never built.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any, Protocol, cast

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from keybound.client import events as ev
from keybound.client.messenger import Options
from keybound.client.values import ConversationKind, ConversationSummary, Message
from keybound.gui.bridge import Bridge

log = logging.getLogger(__name__)

CHAT_MODULE = "keybound.gui.views.chat"
WIZARD_MODULE = "keybound.gui.wizard"


class ChatLike(Protocol):
    """What the shell uses of ``ChatPane`` (see gui-common)."""

    unread_changed: Any  # Signal(int)

    def open_conversation(self, conversation_id: bytes, message_id: bytes | None = None) -> None:
        """Show that conversation (at that message), composer focused."""

    def show_search(self) -> None: ...

    def show_switcher(self) -> None: ...

    def focus_composer(self) -> None: ...


def _find(module: str, name: str) -> Any | None:
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return None  # not merged into this checkout yet
        raise


def make_chat_pane(bridge: Bridge, parent: QWidget) -> QWidget:
    """The unlocked UI: gui-chat's ChatPane, or the placeholder until it is merged."""
    pane_class = _find(CHAT_MODULE, "ChatPane")
    if pane_class is None:
        return PlaceholderChat(bridge, parent)
    return cast(QWidget, pane_class(bridge, parent))


def make_wizard(bridge: Bridge, profile: Path, options: Options | None, parent: QWidget) -> QWidget:
    """The first-run wizard: gui-wizard's FirstRunWizard, or the placeholder."""
    wizard_class = _find(WIZARD_MODULE, "FirstRunWizard")
    if wizard_class is None:
        return PlaceholderWizard(bridge, profile, options, parent)
    return cast(QWidget, wizard_class(bridge, profile, options, parent))


class PlaceholderWizard(QWidget):
    """Stands in for gui-wizard's FirstRunWizard (same constructor and signals)."""

    account_ready = Signal(object)  # the unlocked Messenger
    cancelled = Signal()

    def __init__(
        self,
        bridge: Bridge,
        profile: Path,
        options: Options | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("first_run_placeholder")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel(self.tr("First run"), self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        text = QLabel(
            self.tr(
                "This profile has no account yet. The setup wizard comes here; until then, "
                "set up in a terminal with:  keybound --profile %s init --relay URL --name NAME"
            )
            % profile,
            self,
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addStretch(2)


class PlaceholderChat(QWidget):
    """Stands in for gui-chat's ChatPane: conversations, the latest messages, a line to send.

    Deliberately plain (no bounded model, no painting): it exists so that the
    shell, the demo and the lock tests run before gui-chat is merged.
    """

    unread_changed = Signal(int)
    LATEST = 50

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chat_pane")
        self._bridge = bridge
        self._current: bytes | None = None
        self._names: dict[bytes, str] = {}
        layout = QHBoxLayout(self)
        self.conversations = QListWidget(self)
        self.conversations.setObjectName("conversation_list")
        self.conversations.setAccessibleName(self.tr("Conversations"))
        self.conversations.setMaximumWidth(260)
        self.conversations.currentItemChanged.connect(self._chosen)
        layout.addWidget(self.conversations)
        right = QVBoxLayout()
        self.timeline = QPlainTextEdit(self)
        self.timeline.setObjectName("timeline")
        self.timeline.setAccessibleName(self.tr("Messages"))
        self.timeline.setReadOnly(True)
        right.addWidget(self.timeline, 1)
        self.composer = QLineEdit(self)
        self.composer.setObjectName("composer")
        self.composer.setAccessibleName(self.tr("Write a message"))
        self.composer.setPlaceholderText(self.tr("Write a message, Enter sends"))
        self.composer.returnPressed.connect(self._send)
        right.addWidget(self.composer)
        layout.addLayout(right, 1)
        bridge.engine_event.connect(self._on_event)
        self._reload_list()

    # --- the ChatPane interface -------------------------------------------------------

    def open_conversation(self, conversation_id: bytes, message_id: bytes | None = None) -> None:
        for row in range(self.conversations.count()):
            item = self.conversations.item(row)
            if item.data(256) == conversation_id:
                self.conversations.setCurrentItem(item)
        self._current = conversation_id
        self._reload_messages()
        self.focus_composer()

    def show_search(self) -> None:
        self.composer.setFocus()

    def show_switcher(self) -> None:
        self.conversations.setFocus()

    def focus_composer(self) -> None:
        self.composer.setFocus()

    # --- internals ---------------------------------------------------------------------

    def _on_event(self, event: object) -> None:
        if isinstance(event, ev.MessageReceived | ev.MessageStatusChanged | ev.MessageEdited):
            self._reload_list()
            if getattr(event, "conversation_id", None) == self._current or (
                isinstance(event, ev.MessageReceived)
                and event.message.conversation_id == self._current
            ):
                self._reload_messages()
        elif isinstance(event, ev.ContactAdded | ev.ConversationChanged | ev.ContactChanged):
            self._reload_list()

    def _reload_list(self) -> None:
        if not self._bridge.attached or self._bridge.messenger.locked:
            return
        m = self._bridge.messenger

        async def load() -> tuple[list[ConversationSummary], dict[bytes, str]]:
            names = {c.identity_id: c.display_name for c in await m.contacts()}
            return await m.conversations(), names

        self._bridge.run(load(), done=self._show_list)

    def _show_list(self, loaded: tuple[list[ConversationSummary], dict[bytes, str]]) -> None:
        summaries, self._names = loaded
        blocker = QSignalBlocker(self.conversations)
        self.conversations.clear()
        for s in summaries:
            conv = s.conversation
            name = conv.name
            if conv.kind is ConversationKind.DIRECT and conv.peer_identity is not None:
                name = self._names.get(conv.peer_identity, name)
            label = f"{name}  ({s.unread_count})" if s.unread_count else name
            item = QListWidgetItem(label)
            item.setData(256, conv.conversation_id)
            self.conversations.addItem(item)
            if conv.conversation_id == self._current:
                self.conversations.setCurrentItem(item)
        blocker.unblock()
        if self._current is None and summaries:
            self.open_conversation(summaries[0].conversation.conversation_id)
        self.unread_changed.emit(sum(s.unread_count for s in summaries))

    def _chosen(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is not None:
            self._current = cast(bytes, item.data(256))
            self._reload_messages()

    def _reload_messages(self) -> None:
        current = self._current
        if current is None or not self._bridge.attached or self._bridge.messenger.locked:
            return
        m = self._bridge.messenger

        async def load() -> list[Message]:
            messages = await m.history(current, self.LATEST)
            if messages and self.window().isActiveWindow():
                await m.mark_read(current)
            return messages

        self._bridge.run(load(), done=self._show_messages)

    def _show_messages(self, messages: list[Message]) -> None:
        lines = []
        own = self._bridge.messenger.identity_id if self._bridge.attached else b""
        for msg in messages:
            who = (
                self.tr("me")
                if msg.sender_identity == own
                else self._names.get(msg.sender_identity, msg.sender_identity.hex()[:8])
            )
            body = self.tr("(deleted)") if msg.deleted else (msg.body or "")
            lines.append(f"{who}: {body}")
        self.timeline.setPlainText("\n".join(lines))
        bar = self.timeline.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _send(self) -> None:
        text = self.composer.text().strip()
        if not text or self._current is None or not self._bridge.attached:
            return
        self.composer.clear()
        self._bridge.run(
            self._bridge.messenger.send_text(self._current, text),
            done=lambda _mid: self._reload_messages(),
        )
