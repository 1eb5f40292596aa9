"""Relay: the relay in use, its certificate's SHA-256 fingerprint and why it is trusted, and
the connection as it is now (``ConnectionChanged`` events keep it current).

The fingerprint is what a person compares with the one the relay's operator
published; a relay moved to another address is set with ``keybound relay set``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from keybound.client import events as ev
from keybound.client.link import LinkState, LinkStatus
from keybound.client.values import RelayInfo
from keybound.gui.bridge import Bridge


def grouped_fingerprint(fingerprint: str) -> str:
    """``AB:CD:..`` (32 pairs) on two lines of sixteen pairs, for comparing by eye."""
    pairs = fingerprint.split(":")
    return "\n".join(":".join(pairs[i : i + 16]) for i in range(0, len(pairs), 16))


class RelayPage(QWidget):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.info: RelayInfo | None = None
        form = QFormLayout()
        self.address = self._value("relayAddress", self.tr("Relay address"))
        form.addRow(self.tr("Address"), self.address)
        self.fingerprint = self._value("relayFingerprint", self.tr("Certificate fingerprint"))
        self._plain_font = self.fingerprint.font()
        form.addRow(self.tr("Certificate (SHA-256)"), self.fingerprint)
        self.trust = self._value("relayTrust", self.tr("Why the certificate is trusted"))
        form.addRow(self.tr("Trusted because"), self.trust)
        self.state = self._value("relayState", self.tr("Connection"))
        form.addRow(self.tr("Connection"), self.state)
        note = QLabel(
            self.tr(
                "The relay stores and forwards encrypted messages; it cannot read them. "
                "Compare the fingerprint with the one your relay's operator published. "
                "To move to another relay, run: keybound relay set ADDRESS"
            ),
            self,
        )
        note.setWordWrap(True)
        note.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addStretch(1)
        self.show_status(bridge.messenger.connection)
        bridge.engine_event.connect(self._on_event)
        self.reload()

    def _value(self, name: str, accessible: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setAccessibleName(accessible)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def reload(self) -> None:
        self.bridge.run(self.bridge.messenger.relay_info(), done=self.show_info)

    def show_info(self, info: RelayInfo) -> None:
        self.info = info
        self.address.setText(info.url)
        secure = info.url.startswith("wss://")
        self.fingerprint.setFont(
            _monospace(self.fingerprint) if info.fingerprint else self._plain_font
        )
        if info.fingerprint:
            self.fingerprint.setText(grouped_fingerprint(info.fingerprint))
        elif secure:
            self.fingerprint.setText(self.tr("Not seen yet: shown once connected"))
        else:
            self.fingerprint.setText(self.tr("None: this connection is not encrypted"))
        if info.pinned:
            trust = self.tr(
                "It is the certificate pinned for this relay; a different one is refused."
            )
        elif secure:
            trust = self.tr("Your system's certificate authorities vouch for it.")
        else:
            trust = self.tr("No certificate (allowed only for a relay on this computer).")
        self.trust.setText(trust)
        self.show_status(info.status)

    def show_status(self, status: LinkStatus) -> None:
        if status.state is LinkState.ONLINE:
            text = self.tr("Connected")
        elif status.state is LinkState.CONNECTING:
            text = self.tr("Connecting…")
            if status.reason:
                text = self.tr("Not connected: %1. Trying again…").replace("%1", status.reason)
        else:
            text = self.tr("Not connected")
        self.state.setText(text)
        self.state.setProperty("linkState", status.state.value)

    def _on_event(self, event: object) -> None:
        if not isinstance(event, ev.ConnectionChanged):
            return
        self.show_status(event.status)
        if event.status.state is LinkState.ONLINE and not self.bridge.messenger.locked:
            self.reload()  # the certificate is known once connected


def _monospace(label: QLabel) -> QFont:
    font = label.font()
    font.setFamilies(["monospace"])
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font
