"""The buttons beside a conversation's title: what concerns the person you write to.

For a direct conversation: "Contact…" opens their contact page (name, keys,
devices, block, safety number).  Other ways to verify (the emoji comparison)
add their button here with :meth:`HeaderActions.add`, so the chat pane itself
only places this row and tells it which conversation is open.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from keybound.client.values import ContactInfo
from keybound.gui import text
from keybound.gui.bridge import Bridge


class HeaderActions(QWidget):
    contact_changed = Signal(bytes, str)  # conversation ID, the contact's name as now

    def __init__(self, bridge: Bridge, pane: QWidget) -> None:
        super().__init__(pane)
        self.setObjectName("headerActions")
        self.bridge = bridge
        self.pane = pane
        self.conversation_id: bytes | None = None
        self.peer: bytes | None = None  # the other person of a direct conversation
        self.compare_emoji: Callable[[], object] | None = None  # the emoji comparison, if any
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.contact_button = self.add(
            self.tr("Contact…"), self.tr("Open the contact page"), self.open_contact
        )
        self.set_conversation(None, None)

    def add(self, title: str, accessible: str, slot: Callable[[], object]) -> QPushButton:
        """A button shown for direct conversations (``slot`` reads :attr:`peer`)."""
        button = QPushButton(title, self)
        button.setAccessibleName(accessible)
        button.clicked.connect(lambda _checked=False: slot())
        self.row.addWidget(button)
        return button

    def set_conversation(self, conversation_id: bytes | None, peer: bytes | None) -> None:
        self.conversation_id, self.peer = conversation_id, peer
        self.setVisible(peer is not None)

    def open_contact(self) -> QWidget | None:
        if self.peer is None:
            return None
        from keybound.gui.contacts.contact_page import ContactPage

        page = ContactPage(self.bridge, self.peer, self.pane, self.compare_emoji)
        page.changed.connect(self._contact_changed)
        page.show()
        return page

    def _contact_changed(self, info: ContactInfo) -> None:
        """A rename (or block, verification) shows in the title and the list at once."""
        if self.conversation_id is not None:
            self.contact_changed.emit(self.conversation_id, text.name(info.display_name))
