"""The header's conversation tools: the disappearing-message timer (every conversation)
and "Group…" (groups), beside the title.

The chat pane places this row and tells it which conversation is open; it
keeps itself current from engine events (someone else changes the timer).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from keybound.client import events as ev
from keybound.client.chatview import ConversationRow
from keybound.client.values import Conversation, ConversationKind
from keybound.gui.bridge import Bridge
from keybound.gui.groups.timer import TimerButton


class ConversationTools(QWidget):
    changed = Signal(object)  # the open conversation's ConversationRow, re-read after a change

    def __init__(self, bridge: Bridge, pane: QWidget) -> None:
        super().__init__(pane)
        self.setObjectName("conversationTools")
        self.bridge = bridge
        self.pane = pane
        self.conversation_id: bytes | None = None
        self.page: QWidget | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.timer = TimerButton(bridge, self)
        self.group_button = QPushButton(self.tr("Group…"), self)
        self.group_button.setObjectName("groupPageButton")
        self.group_button.setAccessibleName(self.tr("Open the group page"))
        self.group_button.clicked.connect(lambda _checked=False: self.open_group_page())
        row.addWidget(self.timer)
        row.addWidget(self.group_button)
        bridge.engine_event.connect(self._on_event)
        self.set_conversation(None, None)

    def set_conversation(self, conversation_id: bytes | None, conv: Conversation | None) -> None:
        self.conversation_id = conversation_id
        self.setVisible(conversation_id is not None)
        self.timer.set_conversation(conversation_id, conv.disappearing_seconds if conv else None)
        self.group_button.setVisible(conv is not None and conv.kind is ConversationKind.GROUP)

    def open_group_page(self) -> QWidget | None:
        if self.conversation_id is None or not self.group_button.isVisible():
            return None
        from keybound.gui.groups.group_page import open_group_page

        self.page = open_group_page(self.bridge, self.conversation_id, self.pane)
        return self.page

    def _on_event(self, event: object) -> None:
        cid = self.conversation_id
        if not isinstance(event, ev.ConversationChanged) or cid is None:
            return
        if event.conversation_id != cid:
            return

        def done(row: ConversationRow | None) -> None:
            if row is not None and cid == self.conversation_id:
                self.set_conversation(cid, row.summary.conversation)
                self.changed.emit(row)  # a new name shows in the title at once

        self.bridge.run(self.bridge.messenger.conversation_row(cid), done=done)
