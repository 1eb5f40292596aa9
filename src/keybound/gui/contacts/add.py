"""Add a contact: paste their link, open a ``keybound://`` link from the desktop, or read
their QR code from an image file or the clipboard.

Before anything is stored the invite is looked at (``Messenger.preview_invite``):
the chain the relay holds under its ID is verified and checked against the
fingerprint the link carries, and the dialog shows whose identity it is and
on which relay.  A link that cannot be read, or one that was changed on the
way, gets one sentence and the Add button stays off.  The name in the link is
only what they call themselves; the person chooses the name to keep.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keybound.client.chatview import ConversationRow
from keybound.client.contact_details import FIDO2, InvitePreview
from keybound.client.values import ContactInfo
from keybound.gui import text
from keybound.gui.bridge import Bridge, describe
from keybound.gui.contacts.qr import invite_from_file, invite_from_image

PREVIEW_DELAY_MS = 250  # typing or pasting settles before the relay is asked


def grouped_hex(data: bytes, groups: int = 0) -> str:
    digits = data.hex()
    parts = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    return " ".join(parts[:groups] if groups else parts)


class AddContactDialog(QDialog):
    """Emits :attr:`added` with the new contact and their direct conversation's ID."""

    added = Signal(object, bytes)  # ContactInfo, conversation ID

    def __init__(self, bridge: Bridge, parent: QWidget | None = None, link: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("addContactDialog")
        self.setWindowTitle(self.tr("Add contact"))
        self.bridge = bridge
        self.preview: InvitePreview | None = None
        self._asked = 0  # preview requests made; only the latest one's answer counts
        self._adding = False

        intro = QLabel(
            self.tr("Paste the keybound:// link they sent you, or read their QR code."), self
        )
        intro.setWordWrap(True)
        self.link_field = QLineEdit(self)
        self.link_field.setAccessibleName(self.tr("Invite link"))
        self.link_field.setPlaceholderText("keybound://invite?…")
        self.file_button = QPushButton(self.tr("From image…"), self)
        self.file_button.setAccessibleName(self.tr("Read the QR code from an image file"))
        self.clipboard_button = QPushButton(self.tr("From clipboard"), self)
        self.clipboard_button.setAccessibleName(
            self.tr("Read the QR code or link on the clipboard")
        )
        source = QHBoxLayout()
        source.addWidget(self.link_field, 1)
        source.addWidget(self.file_button)
        source.addWidget(self.clipboard_button)

        self.identity_box = QGroupBox(self.tr("Whose invite this is"), self)
        form = QFormLayout(self.identity_box)
        self.values: dict[str, QLabel] = {}
        for key, title in (
            ("name", self.tr("Name in the link")),
            ("identity", self.tr("Identity")),
            ("fingerprint", self.tr("Fingerprint")),
            ("relay", self.tr("Relay")),
            ("keys", self.tr("Security keys")),
        ):
            label = QLabel(self.identity_box)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            label.setAccessibleName(title)
            form.addRow(title, label)
            self.values[key] = label
        self.identity_box.hide()

        self.status = QLabel(self)
        self.status.setObjectName("addStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.name_field = QLineEdit(self)
        self.name_field.setAccessibleName(self.tr("Name for this contact"))
        self.name_field.setPlaceholderText(self.tr("Their name, as you want to see it"))
        self.name_field.setMaxLength(256)
        name_row = QFormLayout()
        name_row.addRow(self.tr("Name"), self.name_field)

        self.buttons = QDialogButtonBox(self)
        self.add_button = self.buttons.addButton(
            self.tr("Add"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.add_button.setAccessibleName(self.tr("Add this contact"))
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(self.tr("Cancel"))
        self.add_button.setEnabled(False)
        self.buttons.accepted.connect(self.add)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(source)
        layout.addWidget(self.identity_box)
        layout.addWidget(self.status)
        layout.addLayout(name_row)
        layout.addWidget(self.buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.look_up)
        self.link_field.textChanged.connect(self._link_edited)
        self.name_field.textChanged.connect(self._update_button)
        self.file_button.clicked.connect(self.choose_image)
        self.clipboard_button.clicked.connect(self.from_clipboard)
        self.resize(560, self.sizeHint().height())
        if link:
            self.set_link(link)

    # --- where the link comes from --------------------------------------------------

    def set_link(self, link: str) -> None:
        """Show ``link`` and look it up at once (from a QR code, the desktop, a paste)."""
        self.link_field.setText(link.strip())
        self.link_field.setCursorPosition(0)
        self._timer.stop()
        self.look_up()

    def choose_image(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Their QR code"), str(Path.home()),
            self.tr("Images (*.png *.jpg *.jpeg *.gif *.bmp *.webp)"),
        )  # fmt: skip
        if name:
            self.read_image_file(Path(name))

    def read_image_file(self, path: Path) -> None:
        self._reading()
        self.bridge.run(invite_from_file(path), done=self.set_link, failed=self._refused)

    def from_clipboard(self) -> None:
        """The clipboard's picture (a screenshot of their code), else its text."""
        clipboard = QGuiApplication.clipboard()
        image = clipboard.image()
        if not image.isNull():
            self._reading()
            self.bridge.run(invite_from_image(image), done=self.set_link, failed=self._refused)
            return
        pasted = clipboard.text().strip()
        if pasted:
            self.set_link(pasted)
        else:
            self.status.setText(self.tr("The clipboard holds neither a link nor a picture."))

    def _reading(self) -> None:
        self._asked += 1  # whatever was being looked up is no longer wanted
        self._clear()
        self.status.setText(self.tr("Reading the QR code…"))

    # --- looking it up ---------------------------------------------------------------

    def _link_edited(self) -> None:
        self._asked += 1
        self._clear()
        if self.link_field.text().strip():
            self.status.setText(self.tr("Checking the invite…"))
            self._timer.start()

    def look_up(self) -> None:
        link = self.link_field.text().strip()
        if not link:
            return
        self._asked += 1
        asked = self._asked
        self._clear()
        self.status.setText(self.tr("Checking the invite with the relay…"))

        def done(preview: InvitePreview) -> None:
            if asked == self._asked:
                self._show(preview)

        def failed(error: BaseException) -> None:
            if asked == self._asked:
                self._refused(error)

        self.bridge.run(self.bridge.messenger.preview_invite(link), done=done, failed=failed)

    def _clear(self) -> None:
        self.preview = None
        self.identity_box.hide()
        self._update_button()

    def _refused(self, error: BaseException) -> None:
        self._clear()
        self.status.setText(describe(error))

    def _show(self, preview: InvitePreview) -> None:
        self.preview = preview
        v = self.values
        v["name"].setText(
            text.name(preview.suggested_name) if preview.suggested_name else self.tr("(none)")
        )
        v["identity"].setText(preview.short_id)
        v["fingerprint"].setText(grouped_hex(preview.fingerprint, 8))
        v["relay"].setText(preview.relay)
        kinds = [
            self.tr("FIDO2 security key") if k == FIDO2 else self.tr("OpenPGP card")
            for k in preview.token_kinds
        ]
        v["keys"].setText(", ".join(kinds))
        self.identity_box.show()
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))
        if preview.contact_name:
            self.status.setText(
                self.tr("This is %1, already one of your contacts.").replace(
                    "%1", text.name(preview.contact_name)
                )
            )
            self.name_field.setText(preview.contact_name)
        else:
            self.status.setText(
                self.tr(
                    "The relay holds this identity and its keys match the link. The name in "
                    "the link is what they call themselves: anyone passing the link on can "
                    "change it, so compare safety numbers once you are added."
                )
            )
            if not self.name_field.text().strip():
                self.name_field.setText(preview.suggested_name)
        self._update_button()
        self.name_field.setFocus()

    def _update_button(self) -> None:
        ready = self.preview is not None and bool(self.name_field.text().strip())
        self.add_button.setEnabled(ready and not self._adding)

    # --- adding ------------------------------------------------------------------------

    def add(self) -> None:
        preview, name = self.preview, self.name_field.text().strip()
        if preview is None or not name or self._adding:
            return
        self._adding = True
        self._update_button()
        self.status.setText(self.tr("Adding…"))
        link = self.link_field.text().strip()

        async def work() -> tuple[ContactInfo, bytes]:
            m = self.bridge.messenger
            info = await m.add_contact(link, name)
            return info, await m.direct_conversation(info.identity_id)

        self.bridge.run(work(), done=self._added, failed=self._add_failed)

    def _added(self, result: tuple[ContactInfo, bytes]) -> None:
        self._adding = False
        info, conversation_id = result
        self.added.emit(info, conversation_id)
        self.accept()

    def _add_failed(self, error: BaseException) -> None:
        self._adding = False
        self._update_button()
        self.status.setText(describe(error))


def open_add_dialog(bridge: Bridge, pane: QWidget, link: str = "") -> AddContactDialog:
    """The Add dialog over the chat pane; once added, the new conversation opens there."""
    from keybound.gui.views.chat import ChatPane

    dialog = AddContactDialog(bridge, pane, link)

    def added(_info: ContactInfo, conversation_id: bytes) -> None:
        if not isinstance(pane, ChatPane):
            return

        def show(row: ConversationRow | None) -> None:
            pane.conversations.place(conversation_id, row)
            pane.open_conversation(conversation_id)

        bridge.run(bridge.messenger.conversation_row(conversation_id), done=show)

    dialog.added.connect(added)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
