"""ChatPane: the whole unlocked UI (conversation list, timeline, composer, search).

The shell puts one in its main window after unlocking and deletes it on lock,
so nothing of the history outlives the unlocked session.  The pane registers
its own shortcuts (Ctrl+F search, Ctrl+K switcher) on itself, marks what is
on screen as read while its window is active, and reports the total unread
count for the tray and the window title (:attr:`ChatPane.unread_changed`).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from keybound.client import events as ev
from keybound.gui import text
from keybound.gui.bridge import Bridge
from keybound.gui.groups.header import ConversationTools
from keybound.gui.models.conversations import ConversationListModel
from keybound.gui.models.timeline import TimelineModel
from keybound.gui.views.actions import MessageActions
from keybound.gui.views.composer import Composer
from keybound.gui.views.conversations import ConversationList, QuickSwitcher
from keybound.gui.views.header_actions import HeaderActions
from keybound.gui.views.identity_banner import IdentityBanner
from keybound.gui.views.menu import MainMenu, menu_button
from keybound.gui.views.search import SearchPanel
from keybound.gui.views.timeline import TimelineView

TYPING_SHOWN_S = 6.0  # a "typing" with no "stopped" fades after this long


class ChatPane(QWidget):
    """Conversation list + timeline + composer, driven through ``bridge``."""

    unread_changed = Signal(int)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatPane")
        self.bridge = bridge
        self.conversations = ConversationListModel(bridge, self)
        self.timeline = TimelineModel(bridge, self)

        self.list = ConversationList(self.conversations, self)
        self.search = SearchPanel(bridge, self.title_of, self)
        self.left = QStackedWidget(self)
        self.left.addWidget(self.list)
        self.left.addWidget(self.search)
        self.menu = MainMenu(bridge, self)
        left = QWidget(self)
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.setSpacing(2)
        top = QHBoxLayout()
        top.setContentsMargins(4, 4, 4, 0)
        top.addWidget(menu_button(self.menu, left))
        top.addStretch(1)
        left_column.addLayout(top)
        left_column.addWidget(self.left, 1)

        self.header = QLabel(self)
        self.header.setObjectName("conversationTitle")
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        font = self.header.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.header.setFont(font)
        self.header_actions = HeaderActions(bridge, self)
        self.tools = ConversationTools(bridge, self)  # the timer, and "Group…" for groups
        self.view = TimelineView(self.timeline, self)
        self.typing_label = QLabel(self)
        self.typing_label.setObjectName("typing")
        self.typing_label.setTextFormat(Qt.TextFormat.PlainText)
        self.composer = Composer(bridge, self)
        self.composer.setEnabled(False)
        self.message_actions = MessageActions(bridge, self.view, self.composer)
        self.empty = QLabel(self.tr("Choose a conversation."), self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        self.identity_banner = IdentityBanner(bridge, self)  # and the header's Verify button
        self.header_actions.compare_emoji = self.identity_banner.open_verification
        title_row = QHBoxLayout()
        title_row.setContentsMargins(0, 2, 6, 0)  # the last button clear of the window's edge
        title_row.addWidget(self.header, 1)
        title_row.addWidget(self.identity_banner.verify_button)
        title_row.addWidget(self.header_actions)
        title_row.addWidget(self.tools)
        column.addLayout(title_row)
        column.addWidget(self.identity_banner)
        column.addWidget(self.empty, 1)
        column.addWidget(self.view, 1)
        column.addWidget(self.typing_label)
        column.addWidget(self.composer)
        self.view.hide()
        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 640])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.switcher = QuickSwitcher(self.conversations, self)

        self.conversation_id: bytes | None = None
        self._typing: dict[bytes, float] = {}
        self._marked: bytes | None = None
        self._typing_timer = QTimer(self)
        self._typing_timer.setInterval(1000)
        self._typing_timer.timeout.connect(self._show_typing)

        for keys, slot in (("Ctrl+F", self.show_search), ("Ctrl+K", self.show_switcher)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.list.chosen.connect(self.open_conversation)
        self.switcher.chosen.connect(self._switched)
        self.search.chosen.connect(self.open_conversation)
        self.search.closed.connect(self.hide_search)
        self.conversations.unread_changed.connect(self.unread_changed)
        self.conversations.loaded.connect(self._list_loaded)
        self.composer.sent.connect(self.timeline.add)
        self.composer.edit_last_requested.connect(self._edit_last)
        self.view.seen_changed.connect(self._mark_seen)
        self.view.quote_activated.connect(self._jump_to_quote)
        self.view.link_activated.connect(self.open_link)
        self.header_actions.contact_changed.connect(self._contact_changed)
        self.tools.changed.connect(lambda row: self.header.setText(text.name(row.title)))
        self.bridge.engine_event.connect(self._on_event)
        if bridge.attached:  # on the loop's next turn (the shell may build us outside it)
            QTimer.singleShot(0, self.conversations.reload)

    # --- the interface the shell uses ----------------------------------------------

    def open_conversation(self, conversation_id: bytes, message_id: bytes | None = None) -> None:
        """Show a conversation (at ``message_id`` if given: a search hit, a quoted reply)."""
        showing = conversation_id == self.conversation_id and self.timeline.conversation_id
        if showing and message_id is not None and self.view.jump_to(message_id):
            return
        if showing and message_id is None and self.timeline.at_end:
            self.view.scrollToBottom()  # chosen again: back to the newest message
            return
        same = conversation_id == self.conversation_id
        self.conversation_id = conversation_id
        self._marked = None
        row = self.conversations.row_of(conversation_id)
        entry = self.conversations.rows[row] if row >= 0 else None
        group = bool(entry and entry.summary.conversation.kind.value == "group")
        self.timeline.open(conversation_id, around=message_id, group=group)
        if not same:
            self.composer.set_conversation(conversation_id)
            self._typing.clear()
            self._show_typing()
        self.header.setText(text.name(entry.title) if entry else "")
        self.header_actions.set_conversation(
            conversation_id, entry.summary.conversation.peer_identity if entry else None
        )
        peer = entry.summary.conversation.peer_identity if entry and not group else None
        self.identity_banner.set_identity(peer, entry.title if entry else "")
        self.tools.set_conversation(conversation_id, entry.summary.conversation if entry else None)
        self.empty.hide()
        self.view.show()
        self.list.select(conversation_id)

    def show_search(self) -> None:
        self.left.setCurrentWidget(self.search)
        self.search.start()

    def hide_search(self) -> None:
        self.left.setCurrentWidget(self.list)
        self.list.field.setFocus()

    def show_switcher(self) -> None:
        self.switcher.open_switcher()

    def focus_composer(self) -> None:
        self.composer.edit.setFocus()

    # --- inside ----------------------------------------------------------------------

    def title_of(self, conversation_id: bytes) -> str:
        row = self.conversations.row_of(conversation_id)
        return self.conversations.rows[row].title if row >= 0 else ""

    def _list_loaded(self) -> None:
        if self.conversation_id is not None:
            self.header.setText(text.name(self.title_of(self.conversation_id)))
            row = self.conversations.row_of(self.conversation_id)
            if row >= 0:
                conv = self.conversations.rows[row].summary.conversation
                self.tools.set_conversation(self.conversation_id, conv)
                self.header_actions.set_conversation(self.conversation_id, conv.peer_identity)

    def _contact_changed(self, conversation_id: bytes, name: str) -> None:
        self.conversations.refresh(conversation_id)
        if conversation_id == self.conversation_id:
            self.header.setText(name)

    def _switched(self, conversation_id: bytes) -> None:
        self.open_conversation(conversation_id)
        self.focus_composer()

    def _edit_last(self) -> None:
        entry = self.timeline.last_own_text()
        if entry is not None:
            self.composer.start_edit(entry)

    def _jump_to_quote(self, message_id: bytes) -> None:
        if self.conversation_id is not None:
            self.open_conversation(self.conversation_id, message_id)

    def open_link(self, url: str, label: str) -> None:
        """Open a link the person clicked (asking first when its label is not its target)."""
        if text.link_label_misleads(label, url):
            answer = QMessageBox.question(
                self, self.tr("Open link"),
                self.tr("This link leads to:\n%1\n\nOpen it?").replace("%1", url),
            )  # fmt: skip
            if answer != QMessageBox.StandardButton.Yes:
                return
        QDesktopServices.openUrl(QUrl(url))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange:
            self._mark_seen()

    def _mark_seen(self) -> None:
        """Mark read up to the newest message on screen, while the window is active."""
        cid = self.conversation_id
        if cid is None or not self.view.isVisible() or not self.window().isActiveWindow():
            return
        if self.timeline.loading or self.timeline.conversation_id != cid:
            return
        rows = self.view.visible_rows()
        if not rows:
            return
        newest = self.timeline.entry(rows[-1])
        if newest is None:
            return
        mid = newest.message.message_id
        if mid == self._marked or not self.timeline.is_unread_after(newest):
            return  # scrolled back into what was read already: nothing to say
        unread = any(
            (e := self.timeline.entry(r)) is not None
            and not e.message.outgoing
            and self.timeline.is_unread_after(e)
            for r in rows
        )
        if not unread:
            return
        self._marked = mid
        self.timeline.mark_read_up_to(newest)
        self.bridge.run(
            self.bridge.messenger.mark_read(cid, mid),
            done=lambda _r: self.conversations.refresh(cid),
        )

    def _on_event(self, event: object) -> None:
        if isinstance(event, ev.TypingChanged) and event.conversation_id == self.conversation_id:
            if event.typing:
                self._typing[event.identity_id] = time.monotonic() + TYPING_SHOWN_S
            else:
                self._typing.pop(event.identity_id, None)
            self._show_typing()
        elif isinstance(event, ev.MessageReceived):
            m = event.message
            if m.conversation_id == self.conversation_id:
                self._typing.pop(m.sender_identity, None)
                self._show_typing()
                QTimer.singleShot(50, self._mark_seen)

    def typing_names(self) -> list[str]:
        now = time.monotonic()
        self._typing = {k: v for k, v in self._typing.items() if v > now}
        names: dict[bytes, str] = {}
        for e in self.timeline.entries:
            names[e.message.sender_identity] = e.sender_name
        fallback = self.title_of(self.conversation_id) if self.conversation_id else ""
        return [names.get(i) or fallback for i in self._typing]

    def _show_typing(self) -> None:
        who = self.typing_names()
        if not who:
            self.typing_label.setText("")
            self._typing_timer.stop()
            return
        self._typing_timer.start()
        if len(who) == 1:
            self.typing_label.setText(self.tr("%1 is typing…").replace("%1", text.name(who[0])))
        else:
            self.typing_label.setText(self.tr("%n people are typing…", "", len(who)))
