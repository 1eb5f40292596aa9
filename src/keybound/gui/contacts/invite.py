"""Invite someone: your ``keybound://`` link (copy it, mail it) and its QR code (on screen,
saved as PNG).

The link says how to reach you and which keys are yours; it is not a secret
(whoever has it can ask to be your contact, nothing more), so copying it to
the clipboard or a mail is fine.  The person adding you sees the fingerprint
it carries checked against the relay.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keybound.gui.bridge import Bridge, describe
from keybound.gui.contacts.qr import QrView, save_png


class InviteDialog(QDialog):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inviteDialog")
        self.setWindowTitle(self.tr("Invite someone"))
        self.bridge = bridge
        self.link = ""
        self.payload = b""
        intro = QLabel(
            self.tr(
                "Send this link to the person you want to write to, or let them scan the "
                "code. It tells their Keybound how to reach you and which keys are yours; "
                "it is not a secret."
            ),
            self,
        )
        intro.setWordWrap(True)
        self.field = QLineEdit(self)
        self.field.setReadOnly(True)
        self.field.setAccessibleName(self.tr("Your invite link"))
        self.field.setPlaceholderText(self.tr("Loading…"))
        self.copy_button = QPushButton(self.tr("Copy"), self)
        self.copy_button.setAccessibleName(self.tr("Copy the invite link"))
        self.mail_button = QPushButton(self.tr("Share by mail…"), self)
        self.mail_button.setAccessibleName(self.tr("Share the invite link by mail"))
        self.code = QrView(self.tr("Your invite as a QR code"), self)
        self.save_button = QPushButton(self.tr("Save as PNG…"), self)
        self.save_button.setAccessibleName(self.tr("Save the QR code as a PNG image"))
        self.status = QLabel(self)
        self.status.setObjectName("inviteStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        for button in (self.copy_button, self.mail_button, self.save_button):
            button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.field, 1)
        row.addWidget(self.copy_button)
        row.addWidget(self.mail_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName(self.tr("Close"))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.code, 1)
        layout.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.copy_button.clicked.connect(self.copy)
        self.mail_button.clicked.connect(self.share_by_mail)
        self.save_button.clicked.connect(self.choose_file)
        self.setMinimumWidth(520)
        bridge.run(self._load(), done=self._loaded, failed=self._failed)

    async def _load(self) -> tuple[str, bytes]:
        m = self.bridge.messenger
        return await m.invite(), await m.invite_qr_payload()

    def _loaded(self, result: tuple[str, bytes]) -> None:
        self.link, self.payload = result
        self.field.setText(self.link)
        self.field.setCursorPosition(0)
        self.code.show_payload(self.payload)
        for button in (self.copy_button, self.mail_button, self.save_button):
            button.setEnabled(True)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(describe(error))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.link)
        self.status.setText(self.tr("The link is on the clipboard."))

    def mail_url(self) -> QUrl:
        subject = self.tr("Write to me on Keybound")
        body = self.tr("Add me on Keybound with this link:\n\n%1\n").replace("%1", self.link)
        return QUrl(f"mailto:?subject={quote(subject)}&body={quote(body)}")

    def share_by_mail(self) -> None:
        if not QDesktopServices.openUrl(self.mail_url()):
            self.status.setText(self.tr("No mail program could be opened; copy the link instead."))

    def choose_file(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Save the invite's QR code"),
            str(Path.home() / "keybound-invite.png"),
            self.tr("PNG images (*.png)"),
        )
        if name:
            self.save_to(Path(name))

    def save_to(self, path: Path) -> None:
        if path.suffix.lower() != ".png":
            path = path.with_name(path.name + ".png")
        self.status.setText(self.tr("Saving…"))
        self.bridge.run(
            save_png(self.payload, path),
            done=lambda _r: self.status.setText(self.tr("Saved as %1.").replace("%1", str(path))),
            failed=self._failed,
        )
