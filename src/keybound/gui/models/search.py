"""Search results: the hits of one full-text query (at most a page), best first."""

from __future__ import annotations

import html

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from keybound.client.values import SearchHit
from keybound.gui.models import roles

Index = QModelIndex | QPersistentModelIndex


def snippet_html(hit: SearchHit) -> str:
    """The snippet with the matched words in bold (everything else escaped)."""
    return "".join(
        f"<b>{html.escape(p.text)}</b>" if p.match else html.escape(p.text) for p in hit.snippet
    )


class SearchModel(QAbstractListModel):
    """Rows of ``(SearchHit, conversation title)``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hits: list[tuple[SearchHit, str]] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit, title = self._hits[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{title}: {''.join(p.text for p in hit.snippet)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return title
        if role == roles.ROW:
            return hit
        if role == roles.ID:
            return hit.message.message_id
        return None

    def set_hits(self, hits: list[tuple[SearchHit, str]]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self.endResetModel()

    def hit(self, row: int) -> SearchHit | None:
        return self._hits[row][0] if 0 <= row < len(self._hits) else None
