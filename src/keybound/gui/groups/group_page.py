"""The group page (the header's "Group…" button): name, members, timer, leave.

Everyone may rename and leave; admins add and remove members.  Each member
is listed with their role and how far their security keys are verified
(verified, not verified, keys changed — or not a contact at all, for someone
another member added), because a group is only as private as its least
checked member.  Leaving and removing ask first.  Engine events keep the page
current while it is open (someone else renames, adds, or removes us).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keybound.client import events as ev
from keybound.client.chatview import ConversationRow, MemberRow
from keybound.client.values import ContactInfo, Role
from keybound.gui import text
from keybound.gui.bridge import Bridge, describe
from keybound.gui.groups.new_group import MAX_NAME
from keybound.gui.groups.picker import ContactPicker, verification_text
from keybound.gui.groups.timer import TimerChoice

ID_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class GroupState:
    row: ConversationRow | None  # None: the group is gone from the list
    members: list[MemberRow]


class AddMembersDialog(QDialog):
    """Tick contacts who are not in the group yet."""

    def __init__(self, contacts: list[ContactInfo], members: list[bytes], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("addMembersDialog")
        self.setWindowTitle(self.tr("Add members"))
        self.picker = ContactPicker(self)
        self.picker.set_contacts(contacts, exclude=members)
        buttons = QDialogButtonBox(self)
        self.add_button = QPushButton(self.tr("Add"), self)
        self.add_button.setObjectName("addChosen")
        buttons.addButton(self.add_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picker, 1)
        layout.addWidget(buttons)
        self.resize(380, 420)
        self.picker.changed.connect(lambda: self.add_button.setEnabled(bool(self.picker.chosen())))
        self.add_button.setEnabled(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)


class GroupPage(QDialog):
    def __init__(
        self, bridge: Bridge, conversation_id: bytes, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("groupPage")
        self.setWindowTitle(self.tr("Group"))
        self.bridge = bridge
        self.conversation_id = conversation_id
        self.state: GroupState | None = None
        self.adder: AddMembersDialog | None = None
        # asked before leaving or removing (title, question): tests answer it themselves
        self.confirm: Callable[[str, str], bool] = self._ask

        self.name = QLineEdit(self)
        self.name.setObjectName("groupPageName")
        self.name.setMaxLength(MAX_NAME)
        self.name.setAccessibleName(self.tr("Group name"))
        self.rename_button = QPushButton(self.tr("Rename"), self)
        self.rename_button.setObjectName("renameGroup")
        self.rename_button.setEnabled(False)
        name_row = QHBoxLayout()
        name_row.addWidget(self.name, 1)
        name_row.addWidget(self.rename_button)

        self.members = QTreeWidget(self)
        self.members.setObjectName("memberList")
        self.members.setAccessibleName(self.tr("Members"))
        self.members.setColumnCount(3)
        self.members.setHeaderLabels([self.tr("Member"), self.tr("Role"), self.tr("Security keys")])
        self.members.setRootIsDecorated(False)
        self.members.setColumnWidth(0, 170)
        self.add_button = QPushButton(self.tr("Add members…"), self)
        self.add_button.setObjectName("addMembers")
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.remove_button.setObjectName("removeMember")
        self.remove_button.setEnabled(False)
        member_buttons = QHBoxLayout()
        member_buttons.addWidget(self.add_button)
        member_buttons.addWidget(self.remove_button)
        member_buttons.addStretch(1)

        self.timer = TimerChoice(self)
        self.leave_button = QPushButton(self.tr("Leave group…"), self)
        self.leave_button.setObjectName("leaveGroup")
        self.status = QLabel(self)
        self.status.setObjectName("groupStatus")
        self.status.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setObjectName("groupPageError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.hide()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)

        form = QFormLayout()
        form.addRow(self.tr("Name"), name_row)
        form.addRow(self.tr("Disappearing messages"), self.timer)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(self.tr("Members"), self))
        layout.addWidget(self.members, 1)
        layout.addLayout(member_buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        bottom = QHBoxLayout()
        bottom.addWidget(self.leave_button)
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout.addLayout(bottom)
        self.resize(480, 520)

        self.name.textChanged.connect(self._update_buttons)
        self.name.returnPressed.connect(self.rename)
        self.rename_button.clicked.connect(self.rename)
        self.members.itemSelectionChanged.connect(self._update_buttons)
        self.add_button.clicked.connect(self.open_add)
        self.remove_button.clicked.connect(self.remove_selected)
        self.leave_button.clicked.connect(self.leave)
        self.timer.chosen.connect(self.set_timer)
        close.rejected.connect(self.reject)
        bridge.engine_event.connect(self._on_event)
        self.reload()

    # --- reading --------------------------------------------------------------------

    @property
    def is_admin(self) -> bool:
        return self.state is not None and any(
            m.is_self and m.role is Role.ADMIN for m in self.state.members
        )

    @property
    def is_member(self) -> bool:
        return self.state is not None and any(m.is_self for m in self.state.members)

    def reload(self) -> None:
        m, cid = self.bridge.messenger, self.conversation_id

        async def work() -> GroupState:
            return GroupState(await m.conversation_row(cid), await m.member_rows(cid))

        self.bridge.run(work(), done=self._show, failed=self._failed)

    def _show(self, state: GroupState) -> None:
        self.state = state
        conv = state.row.summary.conversation if state.row is not None else None
        if conv is not None and not self.name.isModified():
            self.name.setText(conv.name)
            self.name.setModified(False)
        if conv is not None:
            self.setWindowTitle(text.name(conv.name) or self.tr("Group"))
            self.timer.show_seconds(conv.disappearing_seconds)
        selected = self.selected_member()
        self.members.clear()
        for member in state.members:
            item = self._item(member)
            self.members.addTopLevelItem(item)
            if member.identity_id == selected:
                self.members.setCurrentItem(item)
        if not self.is_member:
            self.status.setText(self.tr("You are no longer a member of this group."))
        elif self.is_admin:
            self.status.setText(self.tr("You are an admin: you can add and remove members."))
        else:
            self.status.setText(self.tr("Only the group's admins can add or remove members."))
        self._update_buttons()

    def _item(self, member: MemberRow) -> QTreeWidgetItem:
        name = self.tr("You") if member.is_self else text.name(member.name)
        role = self.tr("admin") if member.role is Role.ADMIN else self.tr("member")
        if member.is_self:
            keys = ""
        elif not member.is_contact:
            keys = self.tr("not a contact")
        else:
            keys = verification_text(member.verification)
        item = QTreeWidgetItem([name, role, keys])
        item.setData(0, ID_ROLE, member.identity_id)
        item.setData(
            0, Qt.ItemDataRole.AccessibleTextRole, ", ".join(p for p in (name, role, keys) if p)
        )
        return item

    def _items(self) -> list[QTreeWidgetItem]:
        found = (self.members.topLevelItem(i) for i in range(self.members.topLevelItemCount()))
        return [item for item in found if item is not None]

    def member_texts(self) -> list[tuple[str, str, str]]:
        """What the member list shows, row by row (name, role, keys)."""
        return [(item.text(0), item.text(1), item.text(2)) for item in self._items()]

    def selected_member(self) -> bytes | None:
        item = self.members.currentItem()
        if item is None or not item.isSelected():
            return None
        return bytes(item.data(0, ID_ROLE))

    def select_member(self, identity_id: bytes) -> bool:
        for item in self._items():
            if bytes(item.data(0, ID_ROLE)) == identity_id:
                self.members.setCurrentItem(item)
                item.setSelected(True)
                return True
        return False

    def _update_buttons(self) -> None:
        member, admin = self.is_member, self.is_admin
        conv = self.state.row.summary.conversation if self.state and self.state.row else None
        typed = self.name.text().strip()
        self.rename_button.setEnabled(
            member and bool(typed) and conv is not None and typed != conv.name
        )
        self.name.setReadOnly(not member)
        self.add_button.setVisible(admin)
        self.remove_button.setVisible(admin)
        chosen = self.selected_member()
        own = self.bridge.messenger.identity_id if self.bridge.attached else None
        self.remove_button.setEnabled(admin and chosen is not None and chosen != own)
        self.leave_button.setEnabled(member)
        self.timer.setEnabled(member)

    # --- acting ---------------------------------------------------------------------

    def _act(self, work: Coroutine[Any, Any, None]) -> None:
        self.error.hide()
        self.bridge.run(work, done=lambda _r: self.reload(), failed=self._failed)

    def rename(self) -> None:
        name = self.name.text().strip()
        if not self.rename_button.isEnabled() or not name:
            return
        self.name.setModified(False)
        self._act(self.bridge.messenger.rename_group(self.conversation_id, name))

    def set_timer(self, seconds: int) -> None:
        self._act(self.bridge.messenger.set_disappearing(self.conversation_id, seconds or None))

    def open_add(self) -> None:
        if not self.is_admin or self.state is None:
            return
        members = [m.identity_id for m in self.state.members]

        def show(contacts: list[ContactInfo]) -> None:
            self.adder = AddMembersDialog(contacts, members, self)
            self.adder.accepted.connect(self._add_chosen)
            self.adder.show()

        self.bridge.run(self.bridge.messenger.contacts(), done=show, failed=self._failed)

    def _add_chosen(self) -> None:
        if self.adder is None:
            return
        chosen = self.adder.picker.chosen()
        if chosen:
            self._act(self.bridge.messenger.add_members(self.conversation_id, chosen))

    def remove_selected(self) -> None:
        who = self.selected_member()
        if who is None or self.state is None or not self.remove_button.isEnabled():
            return
        name = next((m.name for m in self.state.members if m.identity_id == who), "")
        question = self.tr(
            "Remove %1 from the group? They will not see anything sent after this."
        ).replace("%1", text.name(name))
        if self.confirm(self.tr("Remove member"), question):
            self._act(self.bridge.messenger.remove_members(self.conversation_id, [who]))

    def leave(self) -> None:
        if not self.is_member:
            return
        question = self.tr(
            "Leave this group? You will not get its messages any more, and only an admin "
            "can add you again."
        )
        if self.confirm(self.tr("Leave group"), question):
            self._act(self.bridge.messenger.leave_group(self.conversation_id))

    def _ask(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def _failed(self, error: BaseException) -> None:
        self.error.setText(describe(error))
        self.error.show()

    def _on_event(self, event: object) -> None:
        if (
            isinstance(event, ev.ConversationChanged)
            and event.conversation_id
            in (
                self.conversation_id,
                b"",
            )
        ) or isinstance(event, ev.ContactChanged):
            self.reload()


def open_group_page(bridge: Bridge, conversation_id: bytes, parent: QWidget) -> GroupPage:
    page = GroupPage(bridge, conversation_id, parent)
    page.show()
    return page
