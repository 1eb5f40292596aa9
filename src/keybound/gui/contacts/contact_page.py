"""A contact's page: their name (rename), verification state, security keys and devices,
block/unblock, and the safety number to verify them.

Opened from the header of a direct conversation.  Everything shown comes from
the engine (``Messenger.contact``, ``contact_tokens``, ``safety_numbers``); a
change made here is announced with :attr:`ContactPage.changed` so the pane can
redraw the conversation's title and row.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QDateTime, QLocale, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keybound.client import events as ev
from keybound.client.contact_details import FIDO2, ContactToken
from keybound.client.values import ContactInfo, DeviceInfo, Verification
from keybound.gui import text
from keybound.gui.bridge import Bridge, describe
from keybound.gui.contacts.safety import SafetyPanel


def short_hex(data: bytes) -> str:
    digits = data[:4].hex()
    return f"{digits[:4]} {digits[4:]}"


class ContactPage(QDialog):
    changed = Signal(object)  # ContactInfo after a rename, block, unblock or verification

    def __init__(
        self, bridge: Bridge, identity_id: bytes, parent: QWidget | None = None,
        compare_emoji: Callable[[], object] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.compare_emoji = compare_emoji
        self.setObjectName("contactPage")
        self.setWindowTitle(self.tr("Contact"))
        self.bridge = bridge
        self.identity_id = identity_id
        self.info: ContactInfo | None = None
        self.tokens: list[ContactToken] = []
        self.safety: SafetyPanel | None = None

        self.name_field = QLineEdit(self)
        self.name_field.setAccessibleName(self.tr("Contact name"))
        self.name_field.setMaxLength(256)
        self.rename_button = QPushButton(self.tr("Rename"), self)
        self.rename_button.setAccessibleName(self.tr("Rename this contact"))
        name_row = QHBoxLayout()
        name_row.addWidget(self.name_field, 1)
        name_row.addWidget(self.rename_button)
        self.state = QLabel(self)
        self.state.setObjectName("verificationState")
        self.state.setTextFormat(Qt.TextFormat.PlainText)
        self.state.setWordWrap(True)
        self.block_button = QPushButton(self.tr("Block"), self)
        state_row = QHBoxLayout()
        state_row.addWidget(self.state, 1)
        state_row.addWidget(self.block_button)
        self.keys = QLabel(self)
        self.devices = QLabel(self)
        for label, title in (
            (self.keys, self.tr("Security keys")),
            (self.devices, self.tr("Devices")),
        ):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setAccessibleName(title)
        form = QFormLayout()
        form.addRow(self.tr("Name"), name_row)
        form.addRow(self.tr("Status"), state_row)
        form.addRow(self.tr("Security keys"), self.keys)
        form.addRow(self.tr("Devices"), self.devices)
        self.verify_box = QGroupBox(self.tr("Verify"), self)
        self.verify_layout = QVBoxLayout(self.verify_box)
        self.status = QLabel(self)
        self.status.setObjectName("contactStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(self.tr("Close"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.verify_box, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.rename_button.clicked.connect(self.rename)
        self.name_field.returnPressed.connect(self.rename)
        self.block_button.clicked.connect(self.toggle_block)
        self.rename_button.setEnabled(False)
        self.block_button.setEnabled(False)
        self.resize(640, 560)
        bridge.engine_event.connect(self._on_event)
        self.reload()

    def _on_event(self, event: object) -> None:
        """Their chain moved on (a new device, changed keys): show what is true now."""
        if isinstance(event, ev.ContactChanged) and event.contact.identity_id == self.identity_id:
            self.reload()
            if self.safety is not None:
                self.safety.reload()

    # --- loading ---------------------------------------------------------------------

    def reload(self) -> None:
        async def load() -> tuple[ContactInfo, list[ContactToken]]:
            m = self.bridge.messenger
            return await m.contact(self.identity_id), await m.contact_tokens(self.identity_id)

        self.bridge.run(load(), done=self._loaded, failed=self._failed)

    def _loaded(self, result: tuple[ContactInfo, list[ContactToken]]) -> None:
        info, self.tokens = result
        self._show(info)
        self.keys.setText("\n".join(self._token_line(t) for t in self.tokens))
        if self.safety is None:
            self.safety = SafetyPanel(
                self.bridge, self.identity_id, info.display_name, self, self.compare_emoji
            )
            self.safety.verified.connect(self._changed)
            self.verify_layout.addWidget(self.safety)

    def _show(self, info: ContactInfo) -> None:
        self.info = info
        self.setWindowTitle(text.name(info.display_name))
        if not self.name_field.hasFocus() or not self.name_field.isModified():
            self.name_field.setText(info.display_name)
            self.name_field.setModified(False)
        self.state.setText(self._state_text(info))
        self.block_button.setText(self.tr("Unblock") if info.blocked else self.tr("Block"))
        self.block_button.setAccessibleName(
            self.tr("Unblock this contact") if info.blocked else self.tr("Block this contact")
        )
        self.devices.setText("\n".join(self._device_line(d) for d in info.devices if not d.removed))
        self.rename_button.setEnabled(True)
        self.block_button.setEnabled(True)

    def _state_text(self, info: ContactInfo) -> str:
        if info.verification is Verification.VERIFIED:
            state = self.tr("Verified: you compared safety numbers.")
        elif info.verification is Verification.CHANGED:
            state = self.tr(
                "Their security keys changed since you verified them: compare safety numbers again."
            )
        else:
            state = self.tr("Not verified yet.")
        if info.blocked:
            state += " " + self.tr("Blocked: their messages are dropped unread.")
        return state

    def _token_line(self, token: ContactToken) -> str:
        kind = self.tr("FIDO2 security key") if token.kind == FIDO2 else self.tr("OpenPGP card")
        when = self._date(QDateTime.fromSecsSinceEpoch(token.added_at))
        return self.tr("%1 %2, added %3").replace("%1", kind).replace(
            "%2", short_hex(token.token_id)
        ).replace("%3", when)  # fmt: skip

    def _device_line(self, device: DeviceInfo) -> str:
        name = text.name(device.name) if device.name else self.tr("Computer")
        when = self._date(QDateTime.fromMSecsSinceEpoch(device.added_at))
        line = self.tr("%1 %2, known since %3").replace("%1", name).replace(
            "%2", short_hex(device.device_id)
        ).replace("%3", when)  # fmt: skip
        return line + (" · " + self.tr("post-quantum") if device.post_quantum else "")

    def _date(self, moment: QDateTime) -> str:
        return QLocale().toString(moment.date(), QLocale.FormatType.ShortFormat)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(describe(error))

    # --- changing ----------------------------------------------------------------------

    def rename(self) -> None:
        name = self.name_field.text().strip()
        if not name:
            self.status.setText(self.tr("A contact needs a name."))
            return
        if self.info is not None and name == self.info.display_name:
            return
        self.bridge.run(
            self.bridge.messenger.rename_contact(self.identity_id, name),
            done=self._renamed,
            failed=self._failed,
        )

    def _renamed(self, info: ContactInfo) -> None:
        self.name_field.setModified(False)
        self.status.setText(self.tr("Renamed to %1.").replace("%1", text.name(info.display_name)))
        self._changed(info)

    def toggle_block(self) -> None:
        if self.info is None:
            return
        blocked = not self.info.blocked
        self.bridge.run(
            self.bridge.messenger.block(self.identity_id, blocked),
            done=self._changed,
            failed=self._failed,
        )

    def _changed(self, info: ContactInfo) -> None:
        self._show(info)
        self.changed.emit(info)
