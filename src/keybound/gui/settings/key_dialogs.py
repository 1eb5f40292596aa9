"""The two dialogs of the devices-and-keys page: change a key's PIN, replace the recovery code.

The recovery dialog shows the new code once; after "Next" it is gone from the
screen and must be typed back, and only then does the engine swap the
recovery keyslot (the old code works until that moment; closing the dialog
before leaves everything as it was).  PINs and codes live only in their line
edits and the one string handed to the engine.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from keybound.gui.bridge import Bridge, describe


def _secret(parent: QWidget, name: str) -> QLineEdit:
    field = QLineEdit(parent)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    field.setInputMethodHints(
        Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhSensitiveData
    )
    return field


class PinChangeDialog(QDialog):
    changed = Signal()

    def __init__(self, bridge: Bridge, token_id: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinChangeDialog")
        self.setWindowTitle(self.tr("Change PIN"))
        self.setAccessibleName(self.windowTitle())
        self.bridge, self.token_id = bridge, token_id
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr("Change the PIN of key %s (it must be plugged in).") % token_id.hex()[:8], self
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.old = _secret(self, self.tr("Current PIN"))
        self.new = _secret(self, self.tr("New PIN"))
        self.again = _secret(self, self.tr("New PIN again"))
        form.addRow(self.tr("Current PIN"), self.old)
        form.addRow(self.tr("New PIN"), self.new)
        form.addRow(self.tr("New PIN again"), self.again)
        layout.addLayout(form)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Outcome"))
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Change PIN"))
        self.ok_button.setAccessibleName(self.ok_button.text())
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(self.tr("Cancel"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def submit(self) -> None:
        if not self.new.text() or self.new.text() != self.again.text():
            self.message.setText(self.tr("The two new PINs are not the same."))
            return
        self.ok_button.setEnabled(False)
        self.message.setText(self.tr("Changing the PIN…"))
        self.bridge.run(
            self.bridge.messenger.change_token_pin(
                self.old.text(), self.new.text(), token_id=self.token_id
            ),
            done=self._done,
            failed=self._failed,
        )

    def _done(self, _result: object) -> None:
        self.changed.emit()
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.ok_button.setEnabled(True)
        self.old.clear()
        self.message.setText(describe(error))  # a wrong PIN says how many tries are left


class RecoveryDialog(QDialog):
    replaced = Signal()

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryDialog")
        self.setWindowTitle(self.tr("Replace recovery code"))
        self.setAccessibleName(self.windowTitle())
        self.bridge = bridge
        layout = QVBoxLayout(self)
        self.pages = QStackedWidget(self)
        layout.addWidget(self.pages)

        show = QWidget(self.pages)
        show_layout = QVBoxLayout(show)
        note = QLabel(
            self.tr(
                "Your new recovery code. Write it down now and keep it somewhere safe: it is "
                "shown only this once. The old code keeps working until you have typed this "
                "one back."
            ),
            show,
        )
        note.setWordWrap(True)
        show_layout.addWidget(note)
        self.code = QLabel(self.tr("Making a new code…"), show)
        self.code.setAccessibleName(self.tr("New recovery code"))
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont("monospace")
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.code.setFont(font)
        show_layout.addWidget(self.code)
        self.next_button = QPushButton(self.tr("I wrote it down"), show)
        self.next_button.setAccessibleName(self.next_button.text())
        self.next_button.setEnabled(False)
        self.next_button.clicked.connect(lambda _checked=False: self.to_confirm())
        show_layout.addWidget(self.next_button)
        self.pages.addWidget(show)

        confirm = QWidget(self.pages)
        confirm_layout = QVBoxLayout(confirm)
        ask = QLabel(self.tr("Type the new recovery code as you wrote it down."), confirm)
        ask.setWordWrap(True)
        confirm_layout.addWidget(ask)
        self.typed = QLineEdit(confirm)
        self.typed.setAccessibleName(self.tr("The new recovery code, typed back"))
        self.typed.setInputMethodHints(Qt.InputMethodHint.ImhSensitiveData)
        confirm_layout.addWidget(self.typed)
        self.replace_button = QPushButton(self.tr("Replace the code"), confirm)
        self.replace_button.setAccessibleName(self.replace_button.text())
        self.replace_button.clicked.connect(lambda _checked=False: self.submit())
        confirm_layout.addWidget(self.replace_button)
        self.pages.addWidget(confirm)

        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Outcome"))
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName(self.tr("Cancel"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.bridge.run(bridge.messenger.new_recovery_code(), done=self._shown, failed=self._failed)

    def _shown(self, code: str) -> None:
        self.code.setText(code)
        self.next_button.setEnabled(True)

    def to_confirm(self) -> None:
        self.code.clear()  # shown once: gone from the screen from now on
        self.pages.setCurrentIndex(1)
        self.typed.setFocus()

    def submit(self) -> None:
        self.replace_button.setEnabled(False)
        self.message.setText(self.tr("Replacing the recovery code… (your key's PIN is asked)"))
        self.bridge.run(
            self.bridge.messenger.confirm_recovery_code(self.typed.text()),
            done=self._done,
            failed=self._failed,
        )

    def _done(self, _result: object) -> None:
        self.replaced.emit()
        self.message.setText(
            self.tr("The recovery code was replaced; the old one no longer works.")
        )
        self.cancel_button.setText(self.tr("Close"))
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.replace_button.setEnabled(True)
        self.message.setText(describe(error))
