"""Every text a widget tree shows, painted delegates included.

Labels, fields and buttons hold their text; the conversation list and the
timeline paint theirs from their models, so a walk that reads only widgets
would see nothing of the history and prove nothing about it.  For every item
view this reads what its model gives for each row (display, accessible and
tool-tip roles).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.AccessibleTextRole,
    Qt.ItemDataRole.ToolTipRole,
)


def texts_of(widgets: Iterable[QWidget], *, visible_only: bool = False) -> list[str]:
    out: list[str] = []
    for w in widgets:
        if visible_only and not w.isVisible():
            continue
        if isinstance(w, QLabel | QAbstractButton | QLineEdit):
            out.append(w.text())
        elif isinstance(w, QPlainTextEdit | QTextEdit):
            out.append(w.toPlainText())
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            out += _model_texts(w)
        out += [w.windowTitle(), w.accessibleName(), w.toolTip()]
    return [t for t in out if t]


def tree_texts(root: QWidget, *, visible_only: bool = True) -> list[str]:
    """The texts of ``root`` and its children (visible ones only, by default)."""
    return texts_of([root, *root.findChildren(QWidget)], visible_only=visible_only)


def _model_texts(view: QAbstractItemView) -> list[str]:
    model = view.model()
    out = []
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        for role in ROLES:
            value = model.data(index, role)
            if isinstance(value, str):
                out.append(value)
    return out
