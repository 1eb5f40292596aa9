"""The conversation list: one row per conversation, most recent first, kept by events.

The list is read once when the pane opens, in two steps: the first
:data:`FIRST_PAGE` rows (what fills the window, painted at once), then the whole
list right after; until it is there the unread total comes from a SUM in the
database, so the tray and title are right from the first paint.  Afterwards each
engine event that touches a conversation re-reads that one row
(:meth:`Messenger.conversation_row`) and moves it to its place, so a busy account
never re-reads the whole list.
:class:`ConversationFilter` narrows it as the person types (the list's filter
field and the Ctrl+K switcher each have their own).
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from keybound.client import events as ev
from keybound.client.chatview import ConversationRow
from keybound.client.values import ConversationKind
from keybound.gui import text
from keybound.gui.bridge import Bridge
from keybound.gui.groups.lines import sentence
from keybound.gui.models import roles

Index = QModelIndex | QPersistentModelIndex

FIRST_PAGE = 50  # rows read before the rest: more than a window shows

_CONVERSATION_EVENTS = (
    ev.MessageStatusChanged,
    ev.MessageEdited,
    ev.MessageDeleted,
    ev.ConversationChanged,
)


def _event_conversations(event: object) -> tuple[bytes, ...]:
    if isinstance(event, ev.MessageReceived):
        return (event.message.conversation_id,)
    if isinstance(event, ev.MessagesExpired):
        return tuple(dict.fromkeys(event.conversation_ids))
    if isinstance(event, _CONVERSATION_EVENTS):
        return (event.conversation_id,)
    return ()


class ConversationListModel(QAbstractListModel):
    """Rows of :class:`ConversationRow`, sorted by last activity (newest first)."""

    unread_changed = Signal(int)  # total unread over all conversations
    loaded = Signal()  # the whole list is there (the first page was painted before)

    def __init__(self, bridge: Bridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._rows: list[ConversationRow] = []
        self._pending: set[bytes] = set()  # rows being re-read
        self._unread = -1
        self._complete = True  # False between the first page and the whole list
        self._db_unread = 0  # the database's total, while the list is not complete
        self._generation = 0  # of reload(): answers to an older one are dropped
        bridge.engine_event.connect(self._on_event)

    # --- Qt model ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.title
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._spoken(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return text.name(row.title)
        if role == roles.ROW:
            return row
        if role == roles.ID:
            return row.conversation_id
        if role == roles.UNREAD:
            return row.summary.unread_count
        if role == roles.GROUP:
            return int(
                row.summary.conversation.kind is ConversationKind.GROUP
            )  # not a bool (PySide6)
        return None

    def _spoken(self, row: ConversationRow) -> str:
        parts = [row.title]
        if row.identity_changed:
            parts.append(self.tr("security keys changed"))
        if row.summary.unread_count:
            parts.append(self.tr("%n unread", "", row.summary.unread_count))
        last = row.summary.last_message
        if row.last_notice is not None:
            parts.append(sentence(row.last_notice))
        elif last is not None and last.body:
            parts.append(text.preview(last.body))
        return ", ".join(parts)

    # --- reading -------------------------------------------------------------------

    @property
    def rows(self) -> list[ConversationRow]:
        return list(self._rows)

    @property
    def complete(self) -> bool:
        """Whether the whole list is loaded (not only its first page)."""
        return self._complete

    def total_unread(self) -> int:
        if not self._complete:
            return self._db_unread
        return sum(r.summary.unread_count for r in self._rows)

    def row_of(self, conversation_id: bytes) -> int:
        for i, row in enumerate(self._rows):
            if row.conversation_id == conversation_id:
                return i
        return -1

    def reload(self) -> None:
        """Read the list (when the pane opens): the first page, then the whole list."""
        self._generation += 1
        generation = self._generation
        messenger = self._bridge.messenger

        async def first_page() -> tuple[list[ConversationRow], int]:
            return await messenger.conversation_rows(FIRST_PAGE), await messenger.unread_total()

        def shown(result: tuple[list[ConversationRow], int]) -> None:
            if generation != self._generation:
                return
            rows, unread = result
            if len(rows) < FIRST_PAGE:  # that was all of it
                self._set_rows(rows)
                return
            self._complete, self._db_unread = False, unread
            self._reset(rows)
            self._emit_unread(unread)
            self._bridge.run(messenger.conversation_rows(), done=whole)

        def whole(rows: list[ConversationRow]) -> None:
            if generation == self._generation:
                self._set_rows(rows)

        self._bridge.run(first_page(), done=shown)

    def _set_rows(self, rows: list[ConversationRow]) -> None:
        self._complete = True
        self._reset(rows)
        self._announce_unread()
        self.loaded.emit()

    def _reset(self, rows: list[ConversationRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def refresh(self, conversation_id: bytes) -> None:
        """Re-read one row (after an event, or after marking it read)."""
        if conversation_id in self._pending or not self._bridge.attached:
            return
        self._pending.add(conversation_id)

        def done(row: ConversationRow | None) -> None:
            self._pending.discard(conversation_id)
            self.place(conversation_id, row)

        def failed(_error: BaseException) -> None:
            self._pending.discard(conversation_id)

        self._bridge.run(
            self._bridge.messenger.conversation_row(conversation_id), done=done, failed=failed
        )

    def place(self, conversation_id: bytes, row: ConversationRow | None) -> None:
        """Put ``row`` where it sorts (or remove the conversation when ``row`` is None)."""
        old = self.row_of(conversation_id)
        if row is None:
            if old >= 0:
                self.beginRemoveRows(QModelIndex(), old, old)
                del self._rows[old]
                self.endRemoveRows()
            self._announce_unread()
            return
        rest = [r for r in self._rows if r.conversation_id != conversation_id]
        key = (row.summary.last_activity, row.conversation_id)
        new = next(
            (i for i, r in enumerate(rest) if (r.summary.last_activity, r.conversation_id) < key),
            len(rest),
        )
        if old < 0:
            self.beginInsertRows(QModelIndex(), new, new)
            self._rows.insert(new, row)
            self.endInsertRows()
        elif old == new:
            self._rows[old] = row
            self.dataChanged.emit(self.index(old), self.index(old))
        else:
            # Qt's move destination is the row *before which* it lands, in old numbering.
            dest = new if new < old else new + 1
            self.beginMoveRows(QModelIndex(), old, old, QModelIndex(), dest)
            del self._rows[old]
            self._rows.insert(new, row)
            self.endMoveRows()
        self._announce_unread()

    def _announce_unread(self) -> None:
        if self._complete or not self._bridge.attached:
            self._emit_unread(self.total_unread())
            return
        # Only the first page is here: a row that changed may be one not loaded yet.
        generation = self._generation

        def done(total: int) -> None:
            if generation == self._generation and not self._complete:
                self._db_unread = total
                self._emit_unread(total)

        if self._unread != self._db_unread:
            self._emit_unread(self._db_unread)
        self._bridge.run(self._bridge.messenger.unread_total(), done=done)

    def _emit_unread(self, total: int) -> None:
        if total != self._unread:
            self._unread = total
            self.unread_changed.emit(total)

    def _on_event(self, event: object) -> None:
        if isinstance(event, ev.ContactChanged):
            for row in self._rows:
                if row.summary.conversation.peer_identity == event.contact.identity_id:
                    self.refresh(row.conversation_id)
            return
        for conversation_id in _event_conversations(event):
            self.refresh(conversation_id)


class ConversationFilter(QSortFilterProxyModel):
    """The list narrowed to names containing what was typed (any case)."""

    def __init__(self, source: ConversationListModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set_text(self, needle: str) -> None:
        self.setFilterFixedString(needle.strip())
