"""The new-group dialog (main menu "New group…"): a name, members from your contacts.

Creating runs ``Messenger.create_group`` through the bridge; once the group
exists the chat pane shows it, and the dialog closes.  A failure (a member
who is no contact any more, a blank name) stays in the dialog as a sentence,
with what was typed and ticked kept.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keybound.client.chatview import ConversationRow
from keybound.client.values import ContactInfo
from keybound.gui.bridge import Bridge, describe
from keybound.gui.groups.picker import ContactPicker

MAX_NAME = 100


class NewGroupDialog(QDialog):
    """Name the group, tick members, create: :attr:`created` carries the new group's ID."""

    created = Signal(bytes)

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newGroupDialog")
        self.setWindowTitle(self.tr("New group"))
        self.bridge = bridge
        self.name = QLineEdit(self)
        self.name.setObjectName("groupName")
        self.name.setMaxLength(MAX_NAME)
        self.name.setPlaceholderText(self.tr("What the group is called"))
        self.name.setAccessibleName(self.tr("Group name"))
        self.picker = ContactPicker(self)
        self.count = QLabel(self)
        self.count.setObjectName("memberCount")
        self.error = QLabel(self)
        self.error.setObjectName("groupError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        buttons = QDialogButtonBox(self)
        self.create_button = QPushButton(self.tr("Create group"), self)
        self.create_button.setObjectName("createGroup")
        self.create_button.setDefault(True)
        buttons.addButton(self.create_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(self.tr("Members"), self))
        layout.addWidget(self.picker, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(420, 480)
        self._busy = False
        self.name.textChanged.connect(self._update)
        self.picker.changed.connect(self._update)
        self.create_button.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self._update()
        self.bridge.run(self.bridge.messenger.contacts(), done=self._contacts, failed=self._failed)

    def _contacts(self, contacts: list[ContactInfo]) -> None:
        self.picker.set_contacts(contacts)

    def _update(self) -> None:
        n = len(self.picker.chosen())
        if n == 0:
            self.count.setText(self.tr("Choose at least one member."))
        elif n == 1:
            self.count.setText(self.tr("1 member, and you"))
        else:
            self.count.setText(self.tr("%1 members, and you").replace("%1", str(n)))
        ready = bool(self.name.text().strip()) and n > 0 and not self._busy
        self.create_button.setEnabled(ready)

    def submit(self) -> None:
        name, members = self.name.text().strip(), self.picker.chosen()
        if not name or not members or self._busy:
            return
        self._busy = True
        self.error.hide()
        self._update()
        self.bridge.run(
            self.bridge.messenger.create_group(name, members),
            done=self._created,
            failed=self._failed,
        )

    def _created(self, group_id: bytes) -> None:
        self._busy = False
        self.created.emit(group_id)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        self.error.setText(describe(error))
        self.error.show()
        self._update()


def open_new_group(bridge: Bridge, pane: QWidget) -> NewGroupDialog:
    """The dialog as a child of ``pane`` (so locking closes it); the group opens there."""
    from keybound.gui.views.chat import ChatPane

    dialog = NewGroupDialog(bridge, pane)
    if isinstance(pane, ChatPane):
        dialog.created.connect(lambda gid: show_conversation(pane, gid))
    dialog.show()
    return dialog


def show_conversation(pane: QWidget, conversation_id: bytes) -> None:
    """Put the conversation's row in the list, then open it (its header needs the row)."""
    from keybound.gui.views.chat import ChatPane

    if not isinstance(pane, ChatPane):
        return
    chat = pane

    def done(row: ConversationRow | None) -> None:
        if row is not None:
            chat.conversations.place(conversation_id, row)
        chat.open_conversation(conversation_id)
        chat.focus_composer()

    chat.bridge.run(chat.bridge.messenger.conversation_row(conversation_id), done=done)
