"""A small emoji picker for reactions: a grid of the reactions people use most."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QToolButton, QWidget

from keybound.gui.i18n import QT_TRANSLATE_NOOP

# (emoji, its name): the name is what a screen reader says and the tool tip shows,
# translated where the button is made.
EMOJI: tuple[tuple[str, str], ...] = (
    ("👍", QT_TRANSLATE_NOOP("EmojiPicker", "thumbs up")),
    ("❤️", QT_TRANSLATE_NOOP("EmojiPicker", "heart")),
    ("😂", QT_TRANSLATE_NOOP("EmojiPicker", "laughing")),
    ("😮", QT_TRANSLATE_NOOP("EmojiPicker", "surprised")),
    ("😢", QT_TRANSLATE_NOOP("EmojiPicker", "sad")),
    ("🙏", QT_TRANSLATE_NOOP("EmojiPicker", "thank you")),
    ("🎉", QT_TRANSLATE_NOOP("EmojiPicker", "party")),
    ("👎", QT_TRANSLATE_NOOP("EmojiPicker", "thumbs down")),
    ("🔥", QT_TRANSLATE_NOOP("EmojiPicker", "fire")),
    ("👀", QT_TRANSLATE_NOOP("EmojiPicker", "eyes")),
    ("✅", QT_TRANSLATE_NOOP("EmojiPicker", "done")),
    ("🤔", QT_TRANSLATE_NOOP("EmojiPicker", "thinking")),
)


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
