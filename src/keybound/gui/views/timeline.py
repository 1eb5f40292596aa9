"""The timeline view: a QListView over :class:`TimelineModel` with the painted delegate.

It asks the model for older (newer) pages as the person nears the top
(bottom), and keeps the row under the person's eyes where it was when rows
arrive or leave at either end; at the bottom it stays at the bottom as new
messages come.  Clicks on links, quoted replies, attachments and "retry" come
out as signals; nothing is ever fetched or opened without a click.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyleOptionViewItem, QWidget

from keybound.client.chatview import TimelineEntry
from keybound.gui.models import roles
from keybound.gui.models.timeline import TimelineModel
from keybound.gui.views.delegate import Hit, MessageDelegate

EDGE = 400  # px from an end at which the next page is read


class TimelineView(QListView):
    link_activated = Signal(str, str)  # url, the label it was shown with
    quote_activated = Signal(bytes)  # the quoted message's ID
    attachment_activated = Signal(object)  # TimelineEntry
    retry_requested = Signal(bytes)
    reaction_clicked = Signal(bytes, str)  # message ID, emoji
    seen_changed = Signal()  # what is on screen changed (for read marking)
    frame_painted = Signal()  # a frame of the timeline was painted (benchmarks, tests)

    def __init__(self, model: TimelineModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.setAccessibleName(self.tr("Messages"))
        self.timeline = model
        self.message_delegate = MessageDelegate(self)
        self.setItemDelegate(self.message_delegate)
        self.setModel(model)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setUniformItemSizes(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setMouseTracking(True)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.verticalScrollBar().setSingleStep(24)
        self._anchor: tuple[bytes, int] | None = None
        self._below = False
        self._stick = True
        self._highlight: bytes | None = None
        self._following = True  # at the newest message: stay there as the content grows
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._range_changed)
        model.rowsAboutToBeInserted.connect(self._save_anchor)
        model.rowsAboutToBeRemoved.connect(self._save_anchor)
        model.rowsInserted.connect(self._restore_anchor)
        model.rowsRemoved.connect(self._restore_anchor)
        model.dataChanged.connect(self._row_changed)
        model.loaded.connect(self._loaded)
        model.paged.connect(self._after_page)
        self._ticker = QTimer(self)  # disappearing-message timers count down
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()

    # --- keeping the place ---------------------------------------------------------

    def at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _top_row(self) -> int:
        index = self.indexAt(QPoint(self.viewport().width() // 2, 1))
        return index.row() if index.isValid() else -1

    def _save_anchor(self, _parent: object = None, first: int = 0, _last: int = 0) -> None:
        self._stick = self.at_bottom() and self.timeline.at_end
        row = self._top_row()
        entry = self.timeline.entry(row)
        # rows coming or going below the top row do not move it: no layout needed now
        self._below = entry is not None and first > row and not self._stick
        if entry is not None:
            self._anchor = (
                entry.message.message_id,
                self.visualRect(self.model().index(row, 0)).top(),
            )
        else:
            self._anchor = None

    def _restore_anchor(self, *_args: object) -> None:
        if self._below:
            self.seen_changed.emit()
            return
        self.executeDelayedItemsLayout()
        if self._stick and self.timeline.at_end:
            self.scrollToBottom()
        elif self._anchor is not None:
            mid, old_top = self._anchor
            row = self.timeline.row_of(mid)
            if row >= 0:
                new_top = self.visualRect(self.model().index(row, 0)).top()
                bar = self.verticalScrollBar()
                bar.setValue(bar.value() + new_top - old_top)
        self.seen_changed.emit()

    def _row_changed(self, top_left: QModelIndex, *_args: object) -> None:
        """A row may have changed its height: keep the bottom, or the top row, in place."""
        row = self._top_row()
        if top_left.row() > row >= 0 and not (self.at_bottom() and self.timeline.at_end):
            return
        old = self.visualRect(top_left).height()
        if old == self.message_delegate.sizeHint(self._option(top_left), top_left).height():
            return  # same height: a repaint is all it needs (no layout of the window)
        self._save_anchor()
        self._below = False
        self.scheduleDelayedItemsLayout()  # QListView would re-measure the row later
        self._restore_anchor()

    def _loaded(self, row: int) -> None:
        self.message_delegate.forget()
        self.executeDelayedItemsLayout()
        if row < 0:
            self.scrollToBottom()
        else:
            index = self.model().index(row, 0)
            self.setCurrentIndex(index)
            self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
            self._highlight = self.timeline.entry(row).message.message_id  # type: ignore[union-attr]
        self._stick = self.at_bottom()
        self.seen_changed.emit()
        QTimer.singleShot(0, self._scrolled)

    def _after_page(self) -> None:
        QTimer.singleShot(0, self._scrolled)  # maybe the next page is due already

    def _range_changed(self, _low: int, high: int) -> None:
        if self._following and self.timeline.at_end:
            self.verticalScrollBar().setValue(high)

    def _scrolled(self, *_args: object) -> None:
        bar = self.verticalScrollBar()
        self._following = self.at_bottom() and self.timeline.at_end
        if bar.value() < EDGE:
            self.timeline.load_older()
        elif bar.maximum() - bar.value() < EDGE:
            self.timeline.load_newer()
        self.seen_changed.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.frame_painted.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        stick = self.at_bottom()
        super().resizeEvent(event)
        if stick:
            QTimer.singleShot(0, self.scrollToBottom)

    def visible_rows(self) -> range:
        """The rows at least partly on screen."""
        first = self._top_row()
        last_index = self.indexAt(
            QPoint(self.viewport().width() // 2, self.viewport().height() - 2)
        )
        last = last_index.row() if last_index.isValid() else self.model().rowCount() - 1
        return range(max(0, first), last + 1) if first >= 0 else range(0)

    def jump_to(self, message_id: bytes) -> bool:
        """Show ``message_id`` if it is in the window (True), centred and selected."""
        row = self.timeline.row_of(message_id)
        if row < 0:
            return False
        index = self.model().index(row, 0)
        self.setCurrentIndex(index)
        self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def current_entry(self) -> TimelineEntry | None:
        index = self.currentIndex()
        return self.timeline.entry(index.row()) if index.isValid() else None

    def _tick(self) -> None:
        if not self.isVisible():
            return
        now = int(time.time() * 1000)
        self.message_delegate.now_ms = now
        for row in self.visible_rows():
            entry = self.timeline.entry(row)
            if entry is not None and entry.message.expires_at is not None:
                self.viewport().update()
                return

    # --- clicks --------------------------------------------------------------------

    def _option(self, index: QModelIndex) -> QStyleOptionViewItem:
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = self.visualRect(index)
        return option

    def hit_at(self, pos: QPoint) -> tuple[QModelIndex, Hit | None]:
        index = self.indexAt(pos)
        if not index.isValid():
            return index, None
        return index, self.message_delegate.hit(self._option(index), index, pos)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        _, hit = self.hit_at(event.position().toPoint())
        clickable = hit is not None and hit.kind in (
            "link",
            "quote",
            "attachment",
            "retry",
            "reaction",
        )
        self.viewport().setCursor(
            Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor
        )
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        index, hit = self.hit_at(event.position().toPoint())
        entry: TimelineEntry | None = index.data(roles.ROW) if index.isValid() else None
        if hit is None or entry is None:
            return
        self.activate(entry, hit, index)

    def activate(self, entry: TimelineEntry, hit: Hit, index: QModelIndex | None = None) -> None:
        """Do what a click on ``hit`` of ``entry`` does."""
        m = entry.message
        if hit.kind == "link":
            label = (
                self.message_delegate.link_label(self._option(index), index, hit.value)
                if index is not None
                else hit.value
            )
            self.link_activated.emit(hit.value, label)
        elif hit.kind == "quote" and m.reply_to is not None:
            self.quote_activated.emit(m.reply_to)
        elif hit.kind == "attachment":
            self.attachment_activated.emit(entry)
        elif hit.kind == "retry":
            self.retry_requested.emit(m.message_id)
        elif hit.kind == "reaction":
            self.reaction_clicked.emit(m.message_id, hit.value)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        entry = self.current_entry()
        if entry is not None and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            m = entry.message
            if entry.attachments:
                self.attachment_activated.emit(entry)
            elif m.reply_to is not None:
                self.quote_activated.emit(m.reply_to)
            return
        super().keyPressEvent(event)
