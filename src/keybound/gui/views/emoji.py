"""A small emoji picker for reactions: a grid of the reactions people use most."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QToolButton, QWidget

EMOJI: tuple[tuple[str, str], ...] = (
    ("👍", "thumbs up"), ("❤️", "heart"), ("😂", "laughing"), ("😮", "surprised"),
    ("😢", "sad"), ("🙏", "thank you"), ("🎉", "party"), ("👎", "thumbs down"),
    ("🔥", "fire"), ("👀", "eyes"), ("✅", "done"), ("🤔", "thinking"),
)  # fmt: skip


class EmojiPicker(QFrame):
    """A popup of emoji buttons; :attr:`picked` carries the chosen one."""

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("emojiPicker")
        self.setAccessibleName(self.tr("Choose a reaction"))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        grid.setSpacing(2)
        grid.setContentsMargins(4, 4, 4, 4)
        self.buttons: list[QToolButton] = []
        for i, (emoji, name) in enumerate(EMOJI):
            button = QToolButton(self)
            button.setText(emoji)
            button.setAutoRaise(True)
            button.setAccessibleName(self.tr(name))
            button.setToolTip(self.tr(name))
            button.clicked.connect(lambda _=False, e=emoji: self._choose(e))
            grid.addWidget(button, i // 6, i % 6)
            self.buttons.append(button)

    def _choose(self, emoji: str) -> None:
        self.picked.emit(emoji)
        self.close()

    def popup(self, at: QPoint) -> None:
        self.move(at)
        self.show()
        self.buttons[0].setFocus()
