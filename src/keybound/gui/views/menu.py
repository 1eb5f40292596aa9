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
        self.invite_action = self.add(self.tr("Invite someone…"), self.open_invite)
        self.add_contact_action = self.add(self.tr("Add contact…"), self.open_add_contact)
        self.new_group_action = self.add(self.tr("New group…"), self.open_new_group)
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

    def open_new_group(self) -> QWidget:
        from keybound.gui.groups.new_group import open_new_group

        return open_new_group(self.bridge, self.pane)

    def open_settings(self, page: str | None = None) -> QWidget:
        from keybound.gui.settings import SettingsDialog

        dialog = SettingsDialog(self.bridge, self.pane)
        if page is not None:
            dialog.show_page(page)
        dialog.show()
        return dialog

    def open_invite(self) -> QWidget:
        from keybound.gui.contacts.invite import InviteDialog

        dialog = InviteDialog(self.bridge, self.pane)
        dialog.show()
        return dialog

    def open_add_contact(self, link: str = "") -> QWidget:
        from keybound.gui.contacts.add import open_add_dialog

        return open_add_dialog(self.bridge, self.pane, link)


def menu_button(menu: MainMenu, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setObjectName("mainMenuButton")
    button.setText("☰")
    label = translate("MainMenu", "Menu")
    button.setAccessibleName(label)
    button.setToolTip(label)
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    return button
