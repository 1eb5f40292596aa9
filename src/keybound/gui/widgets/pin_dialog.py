"""The PIN dialog: which key, why, how many tries are left, and what a blocked PIN means.

The PIN field has the keyboard focus and Enter submits; Esc or Cancel
answers "no PIN" (the token call then stops with ``OperationCancelled``).
The PIN lives only in the line edit and the one string handed back.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from keybound.gui.i18n import QT_TRANSLATE_NOOP
from keybound.token.base import PinKind
from keybound.token.prompter import PinRequest

# Why the PIN is asked, by PinRequest.purpose; translated where the dialog shows it.
PURPOSES = {
    "unlock": QT_TRANSLATE_NOOP("PinDialog", "to unlock Keybound"),
    "sign": QT_TRANSLATE_NOOP("PinDialog", "to sign with your security key"),
    "enroll": QT_TRANSLATE_NOOP("PinDialog", "to set up your security key"),
}
OTHER_PURPOSE = QT_TRANSLATE_NOOP("PinDialog", "for your security key")


class PinDialog(QDialog):
    def __init__(self, request: PinRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pin_dialog")
        admin = request.kind is PinKind.ADMIN
        what = self.tr("admin PIN") if admin else self.tr("PIN")
        self.setWindowTitle(self.tr("Enter your %s") % what)
        self.setAccessibleName(self.windowTitle())
        layout = QVBoxLayout(self)
        purpose = self.tr(PURPOSES.get(request.purpose, OTHER_PURPOSE))
        self.heading = QLabel(
            self.tr("Enter the %(what)s of %(key)s %(purpose)s.")
            .replace("%(what)s", what)
            .replace("%(key)s", request.token.label or self.tr("your security key"))
            .replace("%(purpose)s", purpose),
            self,
        )
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.field = QLineEdit(self)
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setAccessibleName(what)
        self.field.setPlaceholderText(what)
        self.field.setInputMethodHints(
            Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhSensitiveData
        )
        layout.addWidget(self.field)
        self.retries = QLabel(self)
        self.retries.setWordWrap(True)
        self.retries.setAccessibleName(self.tr("Tries left"))
        layout.addWidget(self.retries)
        self.blocked = request.retries_left == 0
        self._show_retries(request.retries_left, what)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Unlock") if request.purpose == "unlock" else self.tr("OK"))
        self.ok_button.setAccessibleName(self.ok_button.text())
        self.ok_button.setEnabled(not self.blocked)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(self.tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.field.setEnabled(not self.blocked)
        self.field.setFocus()

    def _show_retries(self, left: int | None, what: str) -> None:
        if left is None:
            self.retries.hide()
        elif left == 0:
            self.retries.setText(
                self.tr(
                    "This %s is blocked after too many wrong tries. Unblock it with the admin "
                    "PIN (keybound token change-pin --admin), or unlock with your recovery code."
                )
                % what
            )
            self.retries.setStyleSheet("color: #b3261e;")
        elif left == 1:
            self.retries.setText(self.tr("Last try: one more wrong PIN blocks it."))
            self.retries.setStyleSheet("color: #b3261e;")
        else:
            self.retries.setText(self.tr("%d tries left.") % left)

    def pin(self) -> str:
        return self.field.text()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.field.setFocus()

    def wipe(self) -> None:
        """Drop the typed PIN from the widget once it was handed over."""
        self.field.clear()
