"""The main menu (the ☰ button above the conversation list): what is not a conversation.

Every dialog it opens is a child of the chat pane, so locking closes it.
Adding an entry is one ``add`` line in :meth:`MainMenu.__init__` and a slot.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from keybound.gui.bridge import Bridge
from keybound.gui.i18n import translate


class MainMenu(QMenu):
    def __init__(self, bridge: Bridge, pane: QWidget) -> None:
        super().__init__(pane)
        self.setObjectName("mainMenu")
        self.bridge = bridge
        self.pane = pane
        self.settings_action = self.add(self.tr("Settings…"), self.open_settings, "Ctrl+,")

    def add(self, title: str, slot: Callable[[], object], keys: str = "") -> QAction:
        """An entry; its shortcut (if any) works anywhere in the pane."""
        action = QAction(title, self)
        if keys:
            action.setShortcut(QKeySequence(keys))
            self.pane.addAction(action)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def open_settings(self, page: str | None = None) -> QWidget:
        from keybound.gui.settings import SettingsDialog

        dialog = SettingsDialog(self.bridge, self.pane)
        if page is not None:
            dialog.show_page(page)
        dialog.show()
        return dialog


def menu_button(menu: MainMenu, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setObjectName("mainMenuButton")
    button.setText("☰")
    title = translate("MainMenu", "Menu")  # lupdate takes `button.tr` for a class "button"
    button.setAccessibleName(title)
    button.setToolTip(title)
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    return button
