"""A checkable list of contacts with a filter: who goes into a group.

Used by the new-group dialog and by the group page's "Add members".  It is
filled from ``Messenger.contacts()`` (blocked people left out) and says how
far each contact is verified, so that a person choosing members sees whom
they have checked.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from keybound.client.values import ContactInfo, Verification
from keybound.gui import text

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def verification_text(state: Verification) -> str:
    """How far someone's security keys are checked, in a word or two."""
    if state is Verification.VERIFIED:
        return QCoreApplication.translate("Verification", "verified")
    if state is Verification.CHANGED:
        return QCoreApplication.translate("Verification", "keys changed")
    return QCoreApplication.translate("Verification", "not verified")


class ContactPicker(QWidget):
    """Contacts to tick; :attr:`changed` whenever the choice changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("memberFilter")
        self.filter.setPlaceholderText(self.tr("Filter contacts"))
        self.filter.setAccessibleName(self.tr("Filter contacts"))
        self.filter.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setObjectName("memberChoices")
        self.list.setAccessibleName(self.tr("Contacts to add"))
        self.empty = QLabel(self.tr("No contacts to choose from yet."), self)
        self.empty.setWordWrap(True)
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        self.filter.textChanged.connect(self._apply_filter)
        self.list.itemChanged.connect(lambda _item: self.changed.emit())

    def set_contacts(self, contacts: Iterable[ContactInfo], exclude: Iterable[bytes] = ()) -> None:
        """Offer ``contacts`` (but the blocked and ``exclude``), unticked."""
        skip = set(exclude)
        self.list.blockSignals(True)
        self.list.clear()
        for c in contacts:
            if c.blocked or c.identity_id in skip:
                continue
            name = c.display_name or c.identity_id.hex()[:8]  # a group member never named
            label = f"{text.name(name)}  ·  {verification_text(c.verification)}"
            item = QListWidgetItem(label, self.list)
            item.setData(ID_ROLE, c.identity_id)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, label)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
        self.list.blockSignals(False)
        self.empty.setVisible(self.list.count() == 0)
        self._apply_filter(self.filter.text())
        self.changed.emit()

    def chosen(self) -> list[bytes]:
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(bytes(item.data(ID_ROLE)))
        return out

    def choose(self, identity_id: bytes, on: bool = True) -> bool:
        """Tick (or untick) one contact, as a click would; False if not offered."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            if bytes(item.data(ID_ROLE)) == identity_id:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                return True
        return False

    def visible_count(self) -> int:
        return sum(not self.list.item(i).isHidden() for i in range(self.list.count()))

    def _apply_filter(self, typed: str) -> None:
        needle = typed.strip().casefold()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(needle) and needle not in item.text().casefold())
