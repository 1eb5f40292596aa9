"""A quiet bar across the top of the window: offline, a background error.

Failures that need no decision (the relay is away, a background task failed)
are told in a bar, never in a dialog that steals the keyboard.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget


class Banner(QFrame):
    """One line of text with an optional close button; hidden until :meth:`show_text`."""

    def __init__(
        self, name: str, tone: str = "info", closable: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(name)
        self.setFrameShape(QFrame.Shape.NoFrame)
        color = {"info": "#8a6d00", "error": "#b3261e"}.get(tone, "#555")
        background = {"info": "#fff4c2", "error": "#fde4e1"}.get(tone, "#eee")
        self.setStyleSheet(
            f"#{name} {{ background: {background}; }} #{name} QLabel {{ color: {color}; }}"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        self.close_button: QToolButton | None = None
        if closable:
            button = QToolButton(self)
            button.setText("\u00d7")  # a multiplication sign: the usual close mark
            button.setAccessibleName(self.tr("Dismiss"))
            button.setToolTip(self.tr("Dismiss"))
            button.setAutoRaise(True)
            button.clicked.connect(self.hide)
            layout.addWidget(button)
            self.close_button = button
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.timeout.connect(self.hide)
        self.hide()

    def show_text(self, text: str, hide_after_ms: int = 0) -> None:
        self.label.setText(text)
        self.label.setAccessibleName(text)
        self.show()
        if hide_after_ms:
            self._hide_timer.start(hide_after_ms)
        else:
            self._hide_timer.stop()

    @property
    def text(self) -> str:
        return self.label.text()
