"""The list of plugged-in tokens as a Qt model, fed by ``client.token_watch``.

Rows change in place as tokens come and go: a row is kept while its token
stays (so the selection stays put), removed when it leaves, appended when a
new one arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from keybound.client.token_watch import TokenChoice
from keybound.gui.i18n import translate

ChoiceRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


def describe(choice: TokenChoice) -> str:
    """One line about a token: what it is and what the wizard will do with it."""
    if choice.problem:
        state = choice.problem
    elif choice.has_keys:
        state = translate("TokenListModel", "has keys: use it as it is")
    else:
        state = translate("TokenListModel", "blank: will be set up")
    return f"{choice.label} — {state}"


class TokenListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[TokenChoice] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        choice = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return describe(choice)
        if role == Qt.ItemDataRole.ToolTipRole:
            return choice.ref.reader
        if role == ChoiceRole:
            return choice
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren
        if not self._rows[index.row()].problem:
            flags |= Qt.ItemFlag.ItemIsSelectable
        return flags

    def choice(self, row: int) -> TokenChoice | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def set_tokens(self, tokens: Sequence[TokenChoice]) -> None:
        """Update the rows to ``tokens``, keeping the rows of tokens that stay."""
        key = _key
        wanted = {key(t): t for t in tokens}
        for row in reversed(range(len(self._rows))):
            if key(self._rows[row]) not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
        for row, current in enumerate(self._rows):
            fresh = wanted[key(current)]
            if fresh != current:
                self._rows[row] = fresh
                self.dataChanged.emit(self.index(row), self.index(row))
        present = {key(t) for t in self._rows}
        new = [t for t in tokens if key(t) not in present]
        if new:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
            self._rows.extend(new)
            self.endInsertRows()


def _key(choice: TokenChoice) -> tuple[str, str, str]:
    return (choice.ref.kind.value, choice.ref.transport.value, choice.ref.reader)
