"""About: the version, this profile's folder, and your identity and device IDs (to quote
when asking for help; none of them is secret)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from keybound import __version__
from keybound.gui.bridge import Bridge


def grouped_hex(data: bytes) -> str:
    """``data`` as hex in groups of four, for reading aloud."""
    digits = data.hex()
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


class AboutPage(QWidget):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        m = bridge.messenger
        form = QFormLayout()
        rows = (
            (self.tr("Version"), f"Keybound {__version__}"),
            (self.tr("Identity"), grouped_hex(m.identity_id)),
            (self.tr("This computer"), grouped_hex(m.device_id)),
            (self.tr("Profile folder"), str(m.profile.root)),
        )
        self.values: dict[str, QLabel] = {}
        for title, value in rows:
            label = QLabel(value, self)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            label.setAccessibleName(title)
            form.addRow(title, label)
            self.values[title] = label
        note = QLabel(
            self.tr(
                "Keybound is free software. Your identity key never leaves your security key; "
                "no one, not even Keybound's developers, holds a key to your history."
            ),
            self,
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addStretch(1)
