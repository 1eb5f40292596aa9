"""The identity banner above a direct conversation's timeline: it cannot be missed.

When a contact's security keys changed (``identity_alerts``: changed), a rival
history of their identity was offered (attack), or an emoji verification ended in
"they don't match" (suspect), a coloured bar with what happened and what to do
stays above the timeline until the person acts: **Verify again** (the emoji
dialog) or **Accept the change**.  For a contact that was verified it also says
that sending is held (the engine refuses to send until then).  The attack
warning is stronger in colour and words than the routine notice.

The banner also owns the conversation header's "Verify…" button.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from keybound.client import events as ev
from keybound.client.values import ALERT_ATTACK, ALERT_SUSPECT, IdentityAlert
from keybound.gui import text
from keybound.gui.bridge import Bridge

_TONES = {  # kind -> (background, text, border)
    "changed": ("#fff1c9", "#5c4300", "#d9a400"),
    ALERT_SUSPECT: ("#fde4e1", "#7a1a12", "#b3261e"),
    ALERT_ATTACK: ("#b3261e", "#ffffff", "#6e120c"),
}


class IdentityBanner(QFrame):
    """The banner of one contact's identity alert, with its two ways out."""

    def __init__(self, bridge: Bridge, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("identityBanner")
        self.bridge = bridge
        self._pane = parent
        self.identity_id: bytes | None = None
        self.name = ""
        self.alert: IdentityAlert | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName(self.tr("Identity warning"))
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(self.title)
        words.addWidget(self.label)
        layout.addLayout(words, 1)
        self.verify_again = QPushButton(self.tr("Verify again"), self)
        self.accept_change = QPushButton(self.tr("Accept the change"), self)
        for button in (self.verify_again, self.accept_change):
            button.setAccessibleName(button.text())
            layout.addWidget(button)
        self.verify_again.clicked.connect(self.open_verification)
        self.accept_change.clicked.connect(self._accept)

        self.verify_button = QToolButton(parent)  # goes into the conversation header
        self.verify_button.setObjectName("verifyContact")
        self.verify_button.setText(self.tr("Verify…"))
        self.verify_button.setAccessibleName(self.tr("Verify this contact with emoji"))
        self.verify_button.setToolTip(self.tr("Compare emoji with this contact in real time"))
        self.verify_button.clicked.connect(self.open_verification)
        self.verify_button.hide()

        from keybound.gui.contacts.emoji_verification import VerificationRequests

        self.verifications = VerificationRequests(bridge, parent)
        bridge.engine_event.connect(self._on_event)
        self.hide()

    def set_identity(self, identity_id: bytes | None, name: str = "") -> None:
        """The contact of the conversation now shown (None: a group, or nothing)."""
        self.identity_id, self.name = identity_id, name
        self.verify_button.setVisible(identity_id is not None)
        self._show(None)
        self.reload()

    def reload(self) -> None:
        identity_id = self.identity_id
        if identity_id is None or not self.bridge.attached:
            return

        def loaded(alert: IdentityAlert | None) -> None:
            if identity_id == self.identity_id:
                self._show(alert)

        self.bridge.run(
            self.bridge.messenger.identity_alert(identity_id), done=loaded, failed=lambda _e: None
        )

    def open_verification(self) -> None:
        if self.identity_id is not None:
            self.verifications.open_for(self.identity_id)

    @property
    def text(self) -> str:
        return self.label.text()

    # --- inside ------------------------------------------------------------------------

    def _accept(self) -> None:
        if self.identity_id is not None:
            self.bridge.run(self.bridge.messenger.accept_identity_change(self.identity_id))

    def _on_event(self, event: object) -> None:
        if isinstance(event, ev.IdentityAlertChanged | ev.ContactChanged):
            who = (
                event.identity_id
                if isinstance(event, ev.IdentityAlertChanged)
                else event.contact.identity_id
            )
            if who == self.identity_id:
                self.reload()

    def _show(self, alert: IdentityAlert | None) -> None:
        self.alert = alert
        if alert is None:
            self.hide()
            return
        name = text.name(self.name) or self.tr("This contact")
        titles = {
            ALERT_ATTACK: self.tr("⚠ Possible attack"),
            ALERT_SUSPECT: self.tr("⚠ The emoji did not match"),
        }
        self.title.setText(titles.get(alert.kind, self.tr("⚠ Security keys changed")))
        if alert.kind == ALERT_ATTACK:
            words = self.tr(
                "Warning: possible attack. Someone offered a conflicting history of %1's "
                "identity, which %1 would never make. It was refused. Do not trust this "
                "conversation until you have verified %1 in person."
            )
        elif alert.kind == ALERT_SUSPECT:
            words = self.tr(
                "%1 is suspect: the emoji did not match when you verified. Someone may be "
                "between you. Meet or call them on a number you know, then verify again."
            )
        else:
            words = self.tr(
                "%1's security keys changed. Make sure this is really them: verify them "
                "again, or accept the change if you know why it happened."
            )
        if alert.held:
            words += " " + self.tr("Sending to %1 is held until you do.")
        self.label.setText(words.replace("%1", name))
        self.label.setAccessibleName(self.label.text())
        background, color, border = _TONES.get(alert.kind, _TONES["changed"])
        self.setStyleSheet(
            f"#identityBanner {{ background: {background}; border: 2px solid {border}; "
            f"border-radius: 4px; }} #identityBanner QLabel {{ color: {color}; "
            f"font-weight: {'bold' if alert.kind == ALERT_ATTACK else 'normal'}; }}"
        )
        self.accept_change.setText(
            self.tr("Dismiss the warning") if alert.kind == ALERT_SUSPECT
            else self.tr("Accept the change")
        )  # fmt: skip
        self.accept_change.setAccessibleName(self.accept_change.text())
        self.show()
