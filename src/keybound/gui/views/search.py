"""Ctrl+F: full-text search of the history; choosing a hit opens it in its conversation.

The query runs as the person types (after a short pause, one query in flight);
each hit shows its conversation and a snippet with the matched words in bold.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from keybound.client.values import SearchHit
from keybound.gui import text
from keybound.gui.bridge import Bridge
from keybound.gui.models import roles
from keybound.gui.models.search import SearchModel, snippet_html

Index = QModelIndex | QPersistentModelIndex
TYPING_PAUSE_MS = 150


class HitDelegate(QStyledItemDelegate):
    """Two lines: the conversation's name, the snippet with its matches in bold."""

    def _document(self, option: QStyleOptionViewItem, index: Index) -> QTextDocument:
        hit: SearchHit = index.data(roles.ROW)
        title = str(index.data(Qt.ItemDataRole.ToolTipRole) or "")
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        color = option.palette.color(role).name()
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setHtml(
            f"<div style='color:{color}'><div style='font-weight:600'>"
            f"{html.escape(text.name(title))}</div><div>{snippet_html(hit)}</div></div>"
        )
        doc.setTextWidth(max(100, option.rect.width() - 8))
        return doc

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(option.rect.width(), int(self._document(option, index).size().height()) + 8)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.color(QPalette.ColorRole.Highlight))
        painter.translate(option.rect.topLeft() + QPoint(4, 4))
        self._document(option, index).drawContents(painter)
        painter.restore()


class SearchPanel(QWidget):
    """The search field and its hits; :attr:`chosen` carries (conversation, message)."""

    chosen = Signal(bytes, bytes)
    closed = Signal()

    def __init__(
        self, bridge: Bridge, titles: Callable[[bytes], str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("search")
        self._bridge = bridge
        self._titles = titles  # conversation ID -> its title
        self.field = QLineEdit(self)
        self.field.setObjectName("searchField")
        self.field.setAccessibleName(self.tr("Search messages"))
        self.field.setPlaceholderText(self.tr("Search messages"))
        self.field.setClearButtonEnabled(True)
        self.model = SearchModel(self)
        self.results = QListView(self)
        self.results.setObjectName("searchResults")
        self.results.setAccessibleName(self.tr("Search results"))
        self.results.setModel(self.model)
        self.results.setItemDelegate(HitDelegate(self.results))
        self.results.setWordWrap(True)
        self.status = QLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(TYPING_PAUSE_MS)
        self._pause.timeout.connect(self.run_query)
        self.field.textChanged.connect(lambda _t: self._pause.start())
        self.field.returnPressed.connect(self._enter)
        self.field.installEventFilter(self)
        self.results.activated.connect(self._activated)
        self.results.clicked.connect(self._activated)
        self._running = False
        self._again = False

    def start(self) -> None:
        self.field.setFocus()
        self.field.selectAll()

    def run_query(self) -> None:
        if self._running:
            self._again = True
            return
        query = self.field.text().strip()
        if not query:
            self.model.set_hits([])
            self.status.setText("")
            return
        self._running = True
        titles = self._titles

        def done(hits: list[SearchHit]) -> None:
            self._running = False
            named = [(h, titles(h.message.conversation_id)) for h in hits]
            self.model.set_hits(named)
            self.status.setText(
                self.tr("No messages found.") if not hits else self.tr("%n found", "", len(hits))
            )
            if self._again:
                self._again = False
                self.run_query()

        def failed(_error: BaseException) -> None:
            self._running = False

        self._bridge.run(self._bridge.messenger.search(query, 50), done=done, failed=failed)

    def _enter(self) -> None:
        if self._pause.isActive():
            self._pause.stop()
            self.run_query()
            return
        index = self.results.currentIndex()
        self._activated(index if index.isValid() else self.model.index(0, 0))

    def _activated(self, index: QModelIndex) -> None:
        hit = self.model.hit(index.row())
        if hit is not None:
            self.chosen.emit(hit.message.conversation_id, hit.message.message_id)

    def eventFilter(self, watched: object, event: object) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Down and self.model.rowCount():
                self.results.setFocus()
                self.results.setCurrentIndex(self.model.index(0, 0))
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.closed.emit()
                return True
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.closed.emit()
            return
        super().keyPressEvent(event)
