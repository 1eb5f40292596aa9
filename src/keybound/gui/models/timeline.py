"""The timeline of one conversation: a bounded window over its history.

Like Nheko's ``EventStore`` and Signal's ``discardMessages``, the model never
holds the whole conversation.  It holds at most :attr:`TimelineModel.window`
rows, reads pages of :attr:`TimelineModel.page` messages by keyset as the
person scrolls towards either end (:meth:`load_older`, :meth:`load_newer`)
and drops the rows at the far end when the window is full.  Jumping to a
message (a search hit, a quoted reply) replaces the window with the rows
around it.  Rows are in reading order (oldest at the top); the view keeps the
row under the person's eyes where it is when rows come or go (see
``views.timeline``).

Changes come from engine events: a new message is appended only when the
window reaches the newest message; an edit, a receipt or a reaction re-reads
that one row.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from keybound.client import events as ev
from keybound.client.chatview import TimelineEntry
from keybound.client.values import MessageStatus
from keybound.errors import UnknownMessage
from keybound.gui import text
from keybound.gui.bridge import Bridge, describe
from keybound.gui.groups.lines import sentence
from keybound.gui.models import roles

Index = QModelIndex | QPersistentModelIndex

_ROW_EVENTS = (
    ev.MessageStatusChanged, ev.MessageEdited, ev.MessageDeleted, ev.ReactionChanged,
    ev.ReceiptReceived,
)  # fmt: skip


def local_day(ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(ms / 1000).date()


class TimelineModel(QAbstractListModel):
    """Rows of :class:`TimelineEntry` for one conversation, oldest first."""

    # After a (re)load: the row to show (-1: the newest, at the bottom).
    loaded = Signal(int)
    # A page arrived at the top or bottom (the view keeps its place around it).
    paged = Signal()

    def __init__(
        self,
        bridge: Bridge,
        parent: QObject | None = None,
        *,
        window: int = 200,
        page: int = 30,
    ) -> None:
        super().__init__(parent)
        self.window = window
        self.page = page
        self._bridge = bridge
        self._rows: list[TimelineEntry] = []
        self._index: dict[bytes, int] = {}
        self._versions: dict[bytes, int] = {}  # fresh numbers, never reused (layout cache keys)
        self._next_version = itertools.count(1)
        self._progress: dict[bytes, tuple[int, int]] = {}
        self.conversation_id: bytes | None = None
        self.group = False
        self.at_start = True  # the oldest message is in the window
        self.at_end = True  # the newest message is in the window
        self._loading = False
        self._generation = 0
        self._read_position: bytes | None = None
        self._read_key: tuple[int, bytes] | None = None  # (sort_at, ID) of the read position
        self._marker: bytes | None = None  # the first unread message when opened
        bridge.engine_event.connect(self._on_event)

    # --- Qt model ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        i = index.row()
        entry = self._rows[i]
        mid = entry.message.message_id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.spoken(entry)
        if role == roles.KEY:  # the delegate's one question per row while laying out
            return (mid, self._versions.get(mid, 0))
        if role == roles.ROW:
            return entry
        if role == roles.ID:
            return mid
        if role == roles.DAY_BREAK:
            return int(self._day_break(i))  # ints: PySide6 mis-counts bools in QVariants
        if role == roles.SHOW_SENDER:
            return int(self._show_sender(i))
        if role == roles.NEW_MARKER:
            return int(mid == self._marker)
        if role == roles.PROGRESS:
            return self._progress.get(mid)
        if role == roles.VERSION:
            return self._versions.get(mid, 0)
        if role == roles.GROUP:
            return int(self.group)
        return None

    def spoken(self, entry: TimelineEntry) -> str:
        """The row as a screen reader (and the copy action) reads it."""
        m = entry.message
        if entry.system is not None:
            return sentence(entry.system)
        who = self.tr("You") if m.outgoing else entry.sender_name
        if m.deleted:
            body = self.tr("This message was deleted.")
        elif entry.attachments:
            a = entry.attachments[0]
            body = (
                self.tr("File %1, %2")
                .replace("%1", a.file_name or "")
                .replace("%2", text.human_size(a.size))
            )
        else:
            body = text.plain(m.body or "")
        return f"{who}: {body}"

    def _day_break(self, i: int) -> bool:
        if i == 0:
            return True
        return local_day(self._rows[i].message.sort_at) != local_day(
            self._rows[i - 1].message.sort_at
        )

    def _show_sender(self, i: int) -> bool:
        m = self._rows[i].message
        if not self.group or m.outgoing:
            return False
        if i == 0 or self._day_break(i) or self._rows[i].message.message_id == self._marker:
            return True
        if self._rows[i - 1].system is not None:  # after a system line, name the sender again
            return True
        return self._rows[i - 1].message.sender_identity != m.sender_identity

    # --- reading -------------------------------------------------------------------

    @property
    def entries(self) -> list[TimelineEntry]:
        return list(self._rows)

    def row_of(self, message_id: bytes) -> int:
        return self._index.get(message_id, -1)

    def entry(self, row: int) -> TimelineEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def read_position(self) -> bytes | None:
        return self._read_position

    def open(
        self, conversation_id: bytes, around: bytes | None = None, group: bool = False
    ) -> None:
        """Show ``conversation_id``: its newest page, or the rows around ``around``."""
        self._generation += 1
        generation = self._generation
        self.conversation_id = conversation_id
        self.group = group
        self._clear()
        self._loading = True
        messenger = self._bridge.messenger

        async def work() -> tuple[list[TimelineEntry], bytes | None, int]:
            position = await messenger.read_position(conversation_id)
            read = await messenger.message(position) if position is not None else None
            try:
                rows = await messenger.timeline(conversation_id, self.page, around=around)
            except UnknownMessage:
                rows = await messenger.timeline(conversation_id, self.page)
            return rows, position, read.sort_at if read is not None else 0

        def done(result: tuple[list[TimelineEntry], bytes | None, int]) -> None:
            if generation != self._generation:
                return
            rows, position, read_at = result
            self._read_position = position
            self._read_key = (read_at, position) if position is not None else None
            ids = [e.message.message_id for e in rows]
            if around is not None and around in ids:
                at = ids.index(around)
                self.at_start = at < self.page // 2
                self.at_end = len(rows) - at - 1 < self.page // 2
            else:
                self.at_start = len(rows) < self.page
                self.at_end = True
            self._marker = self._first_unread(rows, position)
            self.beginResetModel()
            self._rows = rows
            self._versions = {e.message.message_id: next(self._next_version) for e in rows}
            self._reindex()
            self.endResetModel()
            self._loading = False
            self.loaded.emit(ids.index(around) if around in ids else -1)

        self._bridge.run(work(), done=done, failed=self._failed(generation))

    def _first_unread(self, rows: list[TimelineEntry], position: bytes | None) -> bytes | None:
        ids = [e.message.message_id for e in rows]
        if position in ids:
            start = ids.index(position) + 1
        elif position is None and self.at_start:
            start = 0
        else:
            return None
        for e in rows[start:]:
            if not e.message.outgoing:
                return e.message.message_id
        return None

    def _failed(self, generation: int) -> Callable[[BaseException], None]:
        def failed(error: BaseException) -> None:
            if generation == self._generation:
                self._loading = False
            self._bridge.failure.emit(describe(error))

        return failed

    def close(self) -> None:
        """Show nothing (and drop every row)."""
        self._generation += 1
        self.conversation_id = None
        self._clear()

    def _clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self._index = {}
        self._progress = {}
        self._marker = None
        self.endResetModel()
        self.at_start = self.at_end = True
        self._loading = False

    def load_older(self) -> bool:
        """Read the page before the window (False: nothing to do now)."""
        if self._loading or self.at_start or not self._rows or self.conversation_id is None:
            return False
        first = self._rows[0].message.message_id
        return self._load(self._bridge.messenger.timeline(
            self.conversation_id, self.page, before=first
        ), older=True)  # fmt: skip

    def load_newer(self) -> bool:
        """Read the page after the window (False: nothing to do now)."""
        if self._loading or self.at_end or not self._rows or self.conversation_id is None:
            return False
        last = self._rows[-1].message.message_id
        return self._load(self._bridge.messenger.timeline(
            self.conversation_id, self.page, after=last
        ), older=False)  # fmt: skip

    def _load(self, work: Coroutine[Any, Any, list[TimelineEntry]], *, older: bool) -> bool:
        self._loading = True
        generation = self._generation

        def done(rows: list[TimelineEntry]) -> None:
            if generation != self._generation:
                return
            self._loading = False
            fresh = [e for e in rows if e.message.message_id not in self._index]
            if older:  # room first, so the view lays the window out once, not twice
                self.at_start = len(rows) < self.page
                self._trim(from_top=False, coming=len(fresh))
                self._insert(0, fresh)
            else:
                self.at_end = len(rows) < self.page
                self._insert(len(self._rows), fresh)
                self._trim(from_top=True)
            self.paged.emit()

        self._bridge.run(work, done=done, failed=self._failed(generation))
        return True

    def _insert(self, at: int, rows: list[TimelineEntry]) -> None:
        if not rows:
            return
        self.beginInsertRows(QModelIndex(), at, at + len(rows) - 1)
        self._rows[at:at] = rows
        for e in rows:
            self._versions[e.message.message_id] = next(self._next_version)
        self._reindex()
        self.endInsertRows()
        self._touch(at + len(rows))  # the row after new ones may lose its day break or name

    def _trim(self, *, from_top: bool, coming: int = 0) -> None:
        """Drop rows at one end beyond the window (leaving room for ``coming`` more)."""
        extra = min(len(self._rows), len(self._rows) + coming - self.window)
        if extra <= 0:
            return
        if from_top:
            self.beginRemoveRows(QModelIndex(), 0, extra - 1)
            dropped = self._rows[:extra]
            del self._rows[:extra]
            self.at_start = False
        else:
            n = len(self._rows)
            self.beginRemoveRows(QModelIndex(), n - extra, n - 1)
            dropped = self._rows[n - extra :]
            del self._rows[n - extra :]
            self.at_end = False
        for e in dropped:
            self._versions.pop(e.message.message_id, None)
            self._progress.pop(e.message.message_id, None)
        self._reindex()
        self.endRemoveRows()
        if from_top:
            self._touch(0)

    def _reindex(self) -> None:
        self._index = {e.message.message_id: i for i, e in enumerate(self._rows)}

    def _touch(self, row: int) -> None:
        if 0 <= row < len(self._rows):
            mid = self._rows[row].message.message_id
            self._versions[mid] = next(self._next_version)
            self.dataChanged.emit(self.index(row), self.index(row))

    # --- changes -------------------------------------------------------------------

    def add(self, message_id: bytes) -> None:
        """A message of ours sent from this device (the engine reports only others')."""
        if self.conversation_id is not None:
            self._append(message_id, self._generation)

    def _append(self, message_id: bytes, generation: int) -> None:
        if not self.at_end or message_id in self._index:
            if message_id in self._index:
                self.refresh(message_id)
            return

        def done(entry: TimelineEntry | None) -> None:
            if generation != self._generation or entry is None or not self.at_end:
                return
            if entry.message.conversation_id != self.conversation_id:
                return
            if entry.message.message_id in self._index:
                self._replace(entry)
                return
            key = (entry.message.sort_at, entry.message.message_id)
            at = len(self._rows)
            while (
                at > 0
                and (self._rows[at - 1].message.sort_at, self._rows[at - 1].message.message_id)
                > key
            ):
                at -= 1
            if at == 0 and self._rows and not self.at_start:
                return  # older than the window: it is read when scrolled to
            self._insert(at, [entry])
            self._trim(from_top=True)

        self._bridge.run(self._bridge.messenger.timeline_entry(message_id), done=done)

    def refresh(self, message_id: bytes) -> None:
        """Re-read one row (its status, text, reactions or receipts changed)."""
        if message_id not in self._index:
            return
        generation = self._generation

        def done(entry: TimelineEntry | None) -> None:
            if generation == self._generation and entry is not None:
                self._replace(entry)

        self._bridge.run(self._bridge.messenger.timeline_entry(message_id), done=done)

    def _replace(self, entry: TimelineEntry) -> None:
        row = self._index.get(entry.message.message_id)
        if row is None:
            return
        self._rows[row] = entry
        self._touch(row)

    def remove(self, message_ids: tuple[bytes, ...]) -> None:
        for mid in message_ids:
            row = self._index.get(mid)
            if row is None:
                continue
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self._reindex()
            self.endRemoveRows()
            self._versions.pop(mid, None)
            self._touch(row)

    def set_progress(self, message_id: bytes, done: int, total: int) -> None:
        row = self._index.get(message_id)
        if done >= total:
            self._progress.pop(message_id, None)
        else:
            self._progress[message_id] = (done, total)
        if row is not None:
            self._touch(row)

    def mark_read_up_to(self, entry: TimelineEntry) -> None:
        """Remember how far the person has read (the marker stays where it was)."""
        self._read_position = entry.message.message_id
        self._read_key = (entry.message.sort_at, entry.message.message_id)

    def is_unread_after(self, entry: TimelineEntry) -> bool:
        """``entry`` sorts after the read position (so showing it moves the position)."""
        key = (entry.message.sort_at, entry.message.message_id)
        return self._read_key is None or key > self._read_key

    def last_own_text(self) -> TimelineEntry | None:
        """Our newest editable message in the window (for Up = edit last)."""
        for e in reversed(self._rows):
            m = e.message
            editable = m.outgoing and not m.deleted and m.content_type == "text"
            if editable and m.body is not None and m.status is not MessageStatus.FAILED:
                return e
        return None

    def _on_event(self, event: object) -> None:
        cid = self.conversation_id
        if cid is None:
            return
        if isinstance(event, ev.MessageReceived):
            if event.message.conversation_id == cid:
                self._append(event.message.message_id, self._generation)
        elif isinstance(event, _ROW_EVENTS):
            if event.conversation_id == cid:
                self.refresh(event.message_id)
                for e in self._rows:  # replies that quote it show the change too
                    if e.message.reply_to == event.message_id:
                        self.refresh(e.message.message_id)
        elif isinstance(event, ev.MessagesExpired):
            self.remove(event.message_ids)
        elif isinstance(event, ev.AttachmentProgress):
            self.set_progress(event.message_id, event.done, event.total)
