"""The conversation list (name, preview, time, unread badge, "keys changed" mark) and the
Ctrl+K quick switcher over the same model."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from keybound.client.chatview import ConversationRow
from keybound.gui import text
from keybound.gui.groups.lines import sentence
from keybound.gui.models import roles
from keybound.gui.models.conversations import ConversationFilter, ConversationListModel

Index = QModelIndex | QPersistentModelIndex


def short_time(ms: int) -> str:
    at = dt.datetime.fromtimestamp(ms / 1000)
    today = dt.date.today()
    if at.date() == today:
        return at.strftime("%H:%M")
    if (today - at.date()).days < 7:
        return at.strftime("%a")
    return at.strftime("%d.%m.%y")


class ConversationDelegate(QStyledItemDelegate):
    """Paints one conversation row (two lines)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(option.rect.width(), QFontMetrics(option.font).height() * 2 + 16)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row: ConversationRow | None = index.data(roles.ROW)
        if row is None:
            return
        rect: QRect = option.rect
        pal: QPalette = option.palette
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(rect, pal.color(QPalette.ColorRole.Highlight))
        fg = pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        dim = QColor(fg)
        dim.setAlpha(160)
        font = QFont(option.font)
        fm = QFontMetrics(font)
        line = fm.height()
        inner = rect.adjusted(10, 6, -10, -6)
        summary = row.summary
        when = short_time(summary.last_activity) if summary.last_activity else ""
        when_w = fm.horizontalAdvance(when)
        title_font = QFont(font)
        title_font.setBold(summary.unread_count > 0)
        painter.setFont(title_font)
        painter.setPen(fg)
        mark = " ⚠" if row.identity_changed else ""
        title = QFontMetrics(title_font).elidedText(
            text.name(row.title), Qt.TextElideMode.ElideRight, inner.width() - when_w - 30
        )
        painter.drawText(QRect(inner.left(), inner.top(), inner.width(), line),
                         Qt.AlignmentFlag.AlignLeft, title)  # fmt: skip
        if mark:
            tw = QFontMetrics(title_font).horizontalAdvance(title)
            painter.setPen(QColor(210, 120, 0))
            painter.drawText(QRect(inner.left() + tw, inner.top(), 30, line),
                             Qt.AlignmentFlag.AlignLeft, mark)  # fmt: skip
        painter.setFont(font)
        painter.setPen(dim)
        painter.drawText(QRect(inner.left(), inner.top(), inner.width(), line),
                         Qt.AlignmentFlag.AlignRight, when)  # fmt: skip
        last = summary.last_message
        preview = ""
        if last is not None:
            if row.last_notice is not None:  # a group change: the line, and nothing before it
                preview = sentence(row.last_notice)
            elif last.deleted:
                preview = self.tr("Message deleted")
            elif last.content_type == "attachment":
                preview = self.tr("📎 File")
            else:
                preview = text.preview(last.body or "")
            if row.last_notice is not None:
                pass
            elif last.outgoing:
                preview = self.tr("You: ") + preview
            elif row.last_sender:
                preview = text.name(row.last_sender) + ": " + preview
        badge_w = 0
        if summary.unread_count:
            label = str(summary.unread_count) if summary.unread_count < 1000 else "999+"
            badge_w = max(line + 4, fm.horizontalAdvance(label) + 12)
            badge = QRect(inner.right() - badge_w, inner.top() + line + 2, badge_w, line + 2)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.Highlight) if not selected else fg)
            painter.drawRoundedRect(badge, badge.height() / 2, badge.height() / 2)
            painter.setPen(pal.color(QPalette.ColorRole.HighlightedText) if not selected
                           else pal.color(QPalette.ColorRole.Highlight))  # fmt: skip
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)
        painter.setPen(dim)
        preview = fm.elidedText(preview, Qt.TextElideMode.ElideRight, inner.width() - badge_w - 8)
        painter.drawText(QRect(inner.left(), inner.top() + line + 3, inner.width(), line),
                         Qt.AlignmentFlag.AlignLeft, preview)  # fmt: skip
        painter.restore()


class ConversationList(QWidget):
    """A filter field above the list; :attr:`chosen` carries the conversation ID."""

    chosen = Signal(bytes)

    def __init__(self, model: ConversationListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversations")
        self.source = model
        self.proxy = ConversationFilter(model, self)
        self.field = QLineEdit(self)
        self.field.setObjectName("conversationFilter")
        self.field.setAccessibleName(self.tr("Filter conversations"))
        self.field.setPlaceholderText(self.tr("Filter conversations"))
        self.field.setClearButtonEnabled(True)
        self.view = QListView(self)
        self.view.setObjectName("conversationList")
        self.view.setAccessibleName(self.tr("Conversations"))
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(ConversationDelegate(self.view))
        self.view.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        layout.addWidget(self.view, 1)
        self.field.textChanged.connect(self.proxy.set_text)
        self.field.returnPressed.connect(self._first)
        self.view.activated.connect(self._activated)
        self.view.clicked.connect(self._activated)

    def _first(self) -> None:
        if self.proxy.rowCount():
            self._activated(self.proxy.index(0, 0))

    def _activated(self, index: QModelIndex) -> None:
        cid = index.data(roles.ID)
        if isinstance(cid, bytes):
            self.chosen.emit(cid)

    def select(self, conversation_id: bytes) -> None:
        row = self.source.row_of(conversation_id)
        if row >= 0:
            self.view.setCurrentIndex(self.proxy.mapFromSource(self.source.index(row, 0)))


class QuickSwitcher(QDialog):
    """Ctrl+K: type part of a name, Enter opens that conversation."""

    chosen = Signal(bytes)

    def __init__(self, model: ConversationListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quickSwitcher")
        self.setWindowTitle(self.tr("Go to conversation"))
        self.proxy = ConversationFilter(model, self)
        self.field = QLineEdit(self)
        self.field.setObjectName("switcherField")
        self.field.setAccessibleName(self.tr("Conversation name"))
        self.field.setPlaceholderText(self.tr("Type a name"))
        self.view = QListView(self)
        self.view.setObjectName("switcherList")
        self.view.setAccessibleName(self.tr("Matching conversations"))
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(ConversationDelegate(self.view))
        layout = QVBoxLayout(self)
        layout.addWidget(self.field)
        layout.addWidget(self.view)
        self.resize(360, 320)
        self.field.textChanged.connect(self._filter)
        self.field.installEventFilter(self)
        self.view.activated.connect(self._choose)

    def open_switcher(self) -> None:
        self.field.clear()
        self._filter("")
        self.show()
        self.raise_()
        self.field.setFocus()

    def _filter(self, needle: str) -> None:
        self.proxy.set_text(needle)
        if self.proxy.rowCount():
            self.view.setCurrentIndex(self.proxy.index(0, 0))

    def _choose(self, index: QModelIndex) -> None:
        cid = index.data(roles.ID)
        if isinstance(cid, bytes):
            self.accept()
            self.chosen.emit(cid)

    def eventFilter(self, watched: object, event: object) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._choose(self.view.currentIndex())
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.proxy.rowCount():
                step = 1 if key == Qt.Key.Key_Down else -1
                row = max(0, min(self.proxy.rowCount() - 1, self.view.currentIndex().row() + step))
                self.view.setCurrentIndex(self.proxy.index(row, 0))
                return True
        return False
