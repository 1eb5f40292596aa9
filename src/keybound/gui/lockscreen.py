"""The lock screen: the only thing on screen while the history is closed.

It shows whether an enrolled key is plugged in and asks for its PIN at once
(at start with the key present, and whenever it is plugged in); a wrong PIN
asks again with the tries left shown; "Lost your key?" unlocks with the
recovery code.  It knows no names, no counts and no history: it is built from
nothing but the token's presence and the unlock's outcome.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from keybound.client import events as ev
from keybound.errors import (
    HistoryError,
    OperationCancelled,
    PinBlocked,
    ProfileError,
    RecoveryCodeMistyped,
    TokenNotFound,
    TokenRemoved,
    VaultError,
    WrongPin,
    WrongRecoveryCode,
)
from keybound.gui.bridge import Bridge, describe
from keybound.gui.i18n import QT_TRANSLATE_NOOP
from keybound.gui.prompter import QtPrompter

BLOCKED_HINT = QT_TRANSLATE_NOOP(
    "LockScreen",
    "Unblock the PIN with the admin PIN (keybound token change-pin --admin), "
    "or unlock with your recovery code below.",
)


class LockScreen(QWidget):
    """Asks for the key (and its PIN) or the recovery code; reports unlocks it cannot fix."""

    problem = Signal(str)  # the history or vault cannot be opened: a clear screen, not a bar

    def __init__(self, bridge: Bridge, prompter: QtPrompter, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lock_screen")
        self._bridge = bridge
        self._prompter = prompter
        self._unlocking: asyncio.Task[None] | None = None
        prompter.touch_cancelled.connect(self.cancel_unlock)

        outer = QVBoxLayout(self)
        outer.addStretch(2)
        self.title = QLabel(self.tr("Keybound is locked"), self)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.title.setFont(font)
        outer.addWidget(self.title)
        self.presence = QLabel(self)
        self.presence.setObjectName("presence")
        self.presence.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.presence)
        self.message = QLabel(self)
        self.message.setObjectName("lock_message")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        outer.addWidget(self.message)

        self.pages = QStackedWidget(self)
        outer.addWidget(self.pages, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(3)
        self.pages.addWidget(self._key_page())
        self.pages.addWidget(self._recovery_page())
        self._show_presence(None)

    def _key_page(self) -> QWidget:
        page = QWidget(self)
        row = QHBoxLayout(page)
        self.unlock_button = QPushButton(self.tr("Unlock"), page)
        self.unlock_button.setAccessibleName(self.tr("Unlock with your security key"))
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.start_unlock)
        row.addWidget(self.unlock_button)
        self.lost_button = QPushButton(self.tr("Lost your key?"), page)
        self.lost_button.setAccessibleName(self.tr("Lost your key? Unlock with the recovery code"))
        self.lost_button.setFlat(True)
        self.lost_button.clicked.connect(self.show_recovery)
        row.addWidget(self.lost_button)
        return page

    def _recovery_page(self) -> QWidget:
        page = QWidget(self)
        column = QVBoxLayout(page)
        explain = QLabel(
            self.tr("Type the recovery code you saved when you set up Keybound."), page
        )
        column.addWidget(explain)
        self.code_field = QLineEdit(page)
        self.code_field.setAccessibleName(self.tr("Recovery code"))
        self.code_field.setPlaceholderText("XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")
        self.code_field.setMinimumWidth(420)
        self.code_field.returnPressed.connect(self._recover)
        column.addWidget(self.code_field)
        row = QHBoxLayout()
        self.recover_button = QPushButton(self.tr("Unlock with recovery code"), page)
        self.recover_button.setAccessibleName(self.recover_button.text())
        self.recover_button.clicked.connect(self._recover)
        row.addWidget(self.recover_button)
        back = QPushButton(self.tr("Back"), page)
        back.setAccessibleName(self.tr("Back to unlocking with the key"))
        back.clicked.connect(self.show_key_page)
        row.addWidget(back)
        column.addLayout(row)
        return page

    # --- what the window tells us --------------------------------------------------------

    def activate(self) -> None:
        """The lock screen is showing: ask at once if the key is there."""
        self.show_key_page()
        messenger = self._bridge.messenger if self._bridge.attached else None
        present = messenger.token_present if messenger is not None else None
        self._show_presence(present)
        if present:
            self.start_unlock()

    def on_engine_event(self, event: object) -> None:
        if isinstance(event, ev.TokenPresenceChanged):
            self._show_presence(event.present)
            # isVisibleTo: also while the window is about to be shown for the first time
            on_screen = self.isVisibleTo(self.window())
            if event.present and on_screen and self.pages.currentIndex() == 0:
                self.message.clear()
                self.start_unlock()
            elif not event.present:
                self.cancel_unlock()

    @property
    def unlocking(self) -> bool:
        return self._unlocking is not None and not self._unlocking.done()

    def _show_presence(self, present: bool | None) -> None:
        if present:
            self.presence.setText(self.tr("Your security key is plugged in."))
        else:
            self.presence.setText(self.tr("Plug in your security key to unlock."))
        self.presence.setAccessibleName(self.presence.text())

    # --- unlocking ----------------------------------------------------------------------

    def start_unlock(self) -> None:
        if self.unlocking or not self._bridge.attached:
            return
        messenger = self._bridge.messenger
        if not messenger.locked:
            return
        self._unlocking = self._bridge.run(
            messenger.unlock(), done=self._unlocked, failed=self._unlock_failed
        )

    def cancel_unlock(self) -> None:
        if self._unlocking is not None and not self._unlocking.done():
            self._unlocking.cancel()
            self.message.setText(self.tr("Cancelled. Press Unlock to try again."))

    def _unlocked(self, _result: None) -> None:
        self.message.clear()
        self.code_field.clear()

    def _unlock_failed(self, error: BaseException) -> None:
        self._unlocking = None
        text = describe(error)
        if isinstance(error, WrongPin):
            self.message.setText(text)
            self.start_unlock()  # ask again; the dialog shows the tries left
        elif isinstance(error, OperationCancelled):
            self.message.setText(self.tr("Cancelled. Press Unlock to try again."))
        elif isinstance(error, PinBlocked):
            self.message.setText(f"{text}\n{self.tr(BLOCKED_HINT)}")
            self.show_recovery()
        elif isinstance(error, TokenNotFound | TokenRemoved):
            self._show_presence(False)
            self.message.setText(text)
        elif isinstance(error, RecoveryCodeMistyped | WrongRecoveryCode):
            self.message.setText(text)
            self.code_field.setFocus()
        elif isinstance(error, HistoryError | VaultError | ProfileError):
            self.problem.emit(text)
        else:
            self.message.setText(text)
        self.message.setAccessibleName(self.message.text())

    def show_recovery(self) -> None:
        self.pages.setCurrentIndex(1)
        self.code_field.setFocus()

    def show_key_page(self) -> None:
        self.pages.setCurrentIndex(0)
        self.unlock_button.setFocus()

    def _recover(self) -> None:
        code = self.code_field.text().strip()
        if not code or self.unlocking or not self._bridge.attached:
            return
        self.message.setText(self.tr("Checking the recovery code…"))
        self.recover_button.setEnabled(False)

        def done(_result: None) -> None:
            self.recover_button.setEnabled(True)
            self._unlocked(None)

        def failed(error: BaseException) -> None:
            self.recover_button.setEnabled(True)
            self._unlock_failed(error)

        self._unlocking = self._bridge.run(
            self._bridge.messenger.unlock_with_recovery(code), done=done, failed=failed
        )
