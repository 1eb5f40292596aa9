"""Devices and keys: every computer of your identity, your security keys, the recovery code.

Everything shown comes from the engine (``Messenger.devices``, ``tokens``) and
every change runs there through the bridge; PINs are asked by the app's PIN
dialog, which names the key and what its PIN is for.  A computer that joins
appears by itself (``DeviceAdded``); plugging a key in or out updates the
"plugged in" column (``TokenPresenceChanged``).  Confirmations go through
:attr:`DevicesPage.confirm` (a question box; tests answer it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from keybound.client import events as ev
from keybound.client.token_admin import IdentityToken
from keybound.client.tokens import TokenSource
from keybound.client.values import DeviceInfo
from keybound.gui.bridge import Bridge, describe
from keybound.gui.settings.key_dialogs import PinChangeDialog, RecoveryDialog

ROLE = Qt.ItemDataRole.UserRole


def _date(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds)) if seconds else "-"


class DevicesPage(QWidget):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("devicesPage")
        self.bridge = bridge
        self.spare_tokens: TokenSource | None = None  # where "add a spare" looks (default: all)
        self.confirm: Callable[[str, str], bool] = self._ask
        self.dialog: QWidget | None = None  # the PIN-change or recovery dialog, when open
        self._devices: list[DeviceInfo] = []
        self._tokens: list[IdentityToken] = []
        layout = QVBoxLayout(self)

        layout.addWidget(self._heading(self.tr("Computers")))
        self.devices = self._tree(
            self.tr("Computers of your identity"),
            [self.tr("Name"), self.tr("Added"), self.tr("Last seen")],
        )
        layout.addWidget(self.devices)
        row = QHBoxLayout()
        self.remove_device_button = self._button(self.tr("Remove computer…"), self.remove_device)
        self.add_computer_button = self._button(self.tr("Add a computer…"), self.explain_join)
        row.addWidget(self.remove_device_button)
        row.addWidget(self.add_computer_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.join_help = QLabel(
            self.tr(
                "To add a computer: install Keybound on it, plug in your security key (this "
                "one or a spare) and choose “Add this computer” in its first-run wizard. It "
                "appears in this list as soon as it has joined."
            ),
            self,
        )
        self.join_help.setWordWrap(True)
        self.join_help.setAccessibleName(self.tr("How to add a computer"))
        self.join_help.hide()
        layout.addWidget(self.join_help)

        layout.addWidget(self._heading(self.tr("Security keys")))
        self.keys = self._tree(
            self.tr("Your security keys"),
            [self.tr("Key"), self.tr("Added"), self.tr("Plugged in"), self.tr("On this computer")],
        )
        layout.addWidget(self.keys)
        row = QHBoxLayout()
        self.add_key_button = self._button(self.tr("Add a spare key…"), self.add_spare)
        self.remove_key_button = self._button(self.tr("Remove key…"), self.remove_key)
        self.change_pin_button = self._button(self.tr("Change PIN…"), self.change_pin)
        for button in (self.add_key_button, self.remove_key_button, self.change_pin_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)

        layout.addWidget(self._heading(self.tr("Recovery code")))
        note = QLabel(
            self.tr(
                "The recovery code unlocks Keybound on this computer without a key. Replace "
                "it if someone may have seen it; the old code stops working."
            ),
            self,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        row = QHBoxLayout()
        self.recovery_button = self._button(
            self.tr("Replace recovery code…"), self.replace_recovery
        )
        row.addWidget(self.recovery_button)
        row.addStretch(1)
        layout.addLayout(row)

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Outcome"))
        layout.addWidget(self.status)
        layout.addStretch(1)

        self.devices.itemSelectionChanged.connect(self._update_buttons)
        self.keys.itemSelectionChanged.connect(self._update_buttons)
        bridge.engine_event.connect(self._on_event)
        self._update_buttons()
        self.refresh()

    # --- building -------------------------------------------------------------------------

    def _heading(self, text: str) -> QLabel:
        label = QLabel(f"<b>{text}</b>", self)
        label.setTextFormat(Qt.TextFormat.RichText)
        return label

    def _tree(self, name: str, columns: list[str]) -> QTreeWidget:
        tree = QTreeWidget(self)
        tree.setAccessibleName(name)
        tree.setHeaderLabels(columns)
        tree.setRootIsDecorated(False)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.setMaximumHeight(150)
        return tree

    def _button(self, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(text.rstrip("…"))
        button.clicked.connect(lambda _checked=False: slot())
        return button

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    # --- showing --------------------------------------------------------------------------

    def refresh(self) -> None:
        self.bridge.run(self._load(), done=self._show, failed=self._failed)

    async def _load(self) -> tuple[list[DeviceInfo], dict[bytes, int], list[IdentityToken]]:
        m = self.bridge.messenger
        return await m.devices(), await m.devices_last_seen(), await m.tokens()

    def _show(self, loaded: tuple[list[DeviceInfo], dict[bytes, int], list[IdentityToken]]) -> None:
        devices, seen, tokens = loaded
        self._devices = [d for d in devices if not d.removed]
        self._tokens = tokens
        self.devices.clear()
        for d in self._devices:
            name = self._name(d)
            if d.is_current:
                name = self.tr("%s (this computer)") % name
                last = self.tr("now")
            else:
                last = (
                    _date(seen[d.device_id] / 1000)
                    if d.device_id in seen
                    else self.tr("no messages yet")
                )
            item = QTreeWidgetItem([name, _date(d.added_at / 1000), last])
            item.setData(0, ROLE, d.device_id)
            self.devices.addTopLevelItem(item)
        self.keys.clear()
        for t in tokens:
            kind = self.tr("OpenPGP card") if t.kind == "openpgp" else self.tr("FIDO2 key")
            item = QTreeWidgetItem(
                [
                    f"{kind} {t.token_id.hex()[:8]}",
                    _date(t.added),
                    self.tr("yes") if t.present else self.tr("no"),
                    self.tr("unlocks it") if t.in_vault else self.tr("not enrolled here"),
                ]
            )
            item.setData(0, ROLE, t.token_id)
            self.keys.addTopLevelItem(item)
        for tree in (self.devices, self.keys):
            for column in range(tree.columnCount()):
                tree.resizeColumnToContents(column)
        self._update_buttons()

    def _name(self, d: DeviceInfo) -> str:
        # names stay out of the public chain: another computer's name is not known here
        return d.name or self.tr("Computer %s") % d.device_id.hex()[:8]

    def _update_buttons(self) -> None:
        device = self._selected_device()
        self.remove_device_button.setEnabled(device is not None and not device.is_current)
        token = self._selected_token()
        self.remove_key_button.setEnabled(token is not None and len(self._tokens) > 1)
        self.change_pin_button.setEnabled(token is not None and token.present)

    def _selected_device(self) -> DeviceInfo | None:
        items = self.devices.selectedItems()
        wanted = items[0].data(0, ROLE) if items else None
        return next((d for d in self._devices if d.device_id == wanted), None)

    def _selected_token(self) -> IdentityToken | None:
        items = self.keys.selectedItems()
        wanted = items[0].data(0, ROLE) if items else None
        return next((t for t in self._tokens if t.token_id == wanted), None)

    def select_device(self, device_id: bytes) -> None:
        self._select(self.devices, device_id)

    def select_token(self, token_id: bytes) -> None:
        self._select(self.keys, token_id)

    def _select(self, tree: QTreeWidget, key: bytes) -> None:
        for i in range(tree.topLevelItemCount()):
            item = tree.topLevelItem(i)
            if item is not None and item.data(0, ROLE) == key:
                tree.setCurrentItem(item)

    def _on_event(self, event: Any) -> None:
        own = isinstance(event, ev.DeviceAdded | ev.DeviceRemoved) and event.own
        if own or isinstance(event, ev.TokenPresenceChanged):
            self.refresh()

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _failed(self, error: BaseException) -> None:
        self._say(describe(error))

    def _then(self, text: str) -> Callable[[Any], None]:
        def done(_result: Any) -> None:
            self._say(text)
            self.refresh()

        return done

    # --- acting ---------------------------------------------------------------------------

    def explain_join(self) -> None:
        self.join_help.show()

    def remove_device(self) -> None:
        device = self._selected_device()
        if device is None or device.is_current:
            return
        name = self._name(device)
        text = self.tr(
            "Remove “%s” from your identity? It can no longer sign in to your account or read "
            "new messages. What it already stored stays on it. To use it again, add it again "
            "with your security key."
        ).replace("%s", name)
        if self.confirm(self.tr("Remove computer"), text):
            self._say(self.tr("Removing “%s”… (your key signs this)") % name)
            self.bridge.run(
                self.bridge.messenger.remove_device(device.device_id),
                done=self._then(self.tr("“%s” was removed.") % name),
                failed=self._failed,
            )

    def add_spare(self) -> None:
        text = self.tr(
            "Plug the spare key in next to your current key (a new key must be set up first "
            "with `keybound token init`). You are asked for your current key's PIN first, "
            "then for the spare key's. Your contacts see the new key and are asked to verify "
            "your keys again."
        )
        if self.confirm(self.tr("Add a spare key"), text):
            self._say(self.tr("Adding the spare key…"))
            self.bridge.run(
                self.bridge.messenger.add_token(self.spare_tokens),
                done=self._then(
                    self.tr("The spare key was added: it unlocks this computer and signs for you.")
                ),
                failed=self._failed,
            )

    def remove_key(self) -> None:
        token = self._selected_token()
        if token is None:
            return
        text = self.tr(
            "Remove this key? It no longer unlocks Keybound on this computer nor signs for your "
            "identity, and your contacts are asked to verify your keys again. Another of your "
            "keys must be plugged in to sign the change."
        )
        if self.confirm(self.tr("Remove key"), text):
            self._say(self.tr("Removing the key…"))
            self.bridge.run(
                self.bridge.messenger.remove_token(token.token_id),
                done=self._then(self.tr("The key was removed.")),
                failed=self._failed,
            )

    def change_pin(self) -> None:
        token = self._selected_token()
        if token is None:
            return
        dialog = PinChangeDialog(self.bridge, token.token_id, self)
        dialog.changed.connect(lambda: self._say(self.tr("The PIN was changed.")))
        self.dialog = dialog
        dialog.open()

    def replace_recovery(self) -> None:
        dialog = RecoveryDialog(self.bridge, self)
        dialog.replaced.connect(
            lambda: self._say(
                self.tr("The recovery code was replaced; the old one no longer works.")
            )
        )
        self.dialog = dialog
        dialog.open()
