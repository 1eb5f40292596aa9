"""The disappearing-message timer of one conversation: off, 5 minutes, 1 hour, 1 day, 1 week.

:class:`TimerButton` sits in the conversation header (direct conversations
and groups alike); :class:`TimerChoice` is the same choice as a combo box on
the group page.  Both set the timer through ``Messenger.set_disappearing``,
which tells the other side and writes the system line.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QComboBox, QMenu, QToolButton, QWidget

from keybound.gui.bridge import Bridge
from keybound.gui.groups.lines import timer_label

CHOICES: tuple[int, ...] = (0, 300, 3600, 86400, 604800)  # seconds; 0: off


def choices_with(current: int) -> list[int]:
    """The presets, plus ``current`` if someone set another length elsewhere."""
    return sorted({*CHOICES, current}) if current > 0 else list(CHOICES)


class TimerButton(QToolButton):
    """⏱ in the header, with a menu of timer lengths; shows the length when one is set."""

    changed = Signal(int)  # the new timer, once the engine has it

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timerButton")
        self.bridge = bridge
        self.conversation_id: bytes | None = None
        self.seconds = 0
        self.menu_ = QMenu(self)
        self.menu_.setObjectName("timerMenu")
        self.setMenu(self.menu_)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setAccessibleName(self.tr("Disappearing messages"))
        self.menu_.aboutToShow.connect(self._fill)
        self._show()

    def set_conversation(self, conversation_id: bytes | None, seconds: int | None) -> None:
        self.conversation_id = conversation_id
        self.seconds = seconds or 0
        self._show()

    def _fill(self) -> None:
        self.menu_.clear()
        group = QActionGroup(self.menu_)
        title = QAction(self.tr("Messages disappear after…"), self.menu_)
        title.setEnabled(False)
        self.menu_.addAction(title)
        for seconds in choices_with(self.seconds):
            action = QAction(timer_label(seconds), self.menu_)
            action.setCheckable(True)
            action.setChecked(seconds == self.seconds)
            action.setData(seconds)
            action.triggered.connect(lambda _=False, s=seconds: self.choose(s))
            group.addAction(action)
            self.menu_.addAction(action)

    def actions_shown(self) -> list[QAction]:
        """The timer entries of the menu (filled as it opens)."""
        self._fill()
        return [a for a in self.menu_.actions() if a.isCheckable()]

    def choose(self, seconds: int) -> None:
        cid = self.conversation_id
        if cid is None or seconds == self.seconds:
            return

        def done(_: None) -> None:
            if cid == self.conversation_id:
                self.seconds = seconds
                self._show()
            self.changed.emit(seconds)

        self.bridge.run(self.bridge.messenger.set_disappearing(cid, seconds or None), done=done)

    def _show(self) -> None:
        if self.seconds:
            label = timer_label(self.seconds)
            self.setText("\u23f1 " + label)
            self.setToolTip(self.tr("Messages disappear after %1").replace("%1", label))
        else:
            self.setText("\u23f1")
            self.setToolTip(self.tr("Disappearing messages: off"))


class TimerChoice(QComboBox):
    """The same choice as a combo box (the group page); :attr:`chosen` when picked."""

    chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timerChoice")
        self.setAccessibleName(self.tr("Disappearing messages"))
        self.show_seconds(0)
        self.activated.connect(lambda i: self.chosen.emit(int(self.itemData(i))))

    def show_seconds(self, seconds: int | None) -> None:
        self.blockSignals(True)
        self.clear()
        for s in choices_with(seconds or 0):
            self.addItem(timer_label(s), s)
        self.setCurrentIndex(max(0, self.findData(seconds or 0)))
        self.blockSignals(False)

    def seconds(self) -> int:
        return int(self.currentData() or 0)
