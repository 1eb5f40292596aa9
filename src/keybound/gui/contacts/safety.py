"""Verify a contact by safety number: the 60 digits read aloud or compared on screen, or
their QR code scanned from a picture of it.

The number is symmetric: both people see the same 60 digits, 12 groups of 5.
Its two halves are one person's each (30 digits from each fingerprint, sorted
into place), so they are shown side by side under the two names; on the other
screen the same digits stand under the same names.  Scanning checks the code
against both fingerprints in the engine (``Messenger.verify_by_code``) and marks
the contact verified only when it matches; otherwise it says why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keybound.client.contact_details import SafetyNumbers
from keybound.client.values import ContactInfo
from keybound.errors import InvalidSafetyCode, UserFacingError
from keybound.gui import text
from keybound.gui.bridge import Bridge, describe
from keybound.gui.contacts.qr import QrView, codes_in_file

CODE_SCALE = 5


def half_rows(half: str) -> str:
    """Six groups of five as two lines of three (how each half is read aloud)."""
    groups = half.split()
    return "\n".join(" ".join(groups[i : i + 3]) for i in range(0, len(groups), 3))


class SafetyPanel(QWidget):
    """The safety number with a contact, its QR code, and the two ways to mark verified."""

    verified = Signal(object)  # the ContactInfo after marking verified

    def __init__(
        self, bridge: Bridge, identity_id: bytes, name: str, parent: QWidget | None = None,
        compare_emoji: Callable[[], object] | None = None,
    ) -> None:  # fmt: skip
        """``compare_emoji`` opens the emoji comparison with this contact (a third way)."""
        super().__init__(parent)
        self.setObjectName("safetyPanel")
        self.bridge = bridge
        self.identity_id = identity_id
        self.contact_name = name
        self.numbers: SafetyNumbers | None = None
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(mono.pointSizeF() * 1.25)

        intro = QLabel(
            self.tr(
                "Compare this number with %1, in person or on a call you trust, or scan "
                "the code on their screen. If it is the same on both sides, nobody sits "
                "between you."
            ).replace("%1", text.name(name)),
            self,
        )
        intro.setWordWrap(True)
        grid = QGridLayout()
        self.first_title, self.second_title = QLabel(self), QLabel(self)
        self.first_half, self.second_half = QLabel(self), QLabel(self)
        for col, (title, half) in enumerate(
            ((self.first_title, self.first_half), (self.second_title, self.second_half))
        ):
            title.setTextFormat(Qt.TextFormat.PlainText)
            half.setFont(mono)
            half.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(title, 0, col, Qt.AlignmentFlag.AlignHCenter)
            grid.addWidget(half, 1, col, Qt.AlignmentFlag.AlignHCenter)
        grid.setHorizontalSpacing(32)
        self.code = QrView(self.tr("Your safety number as a QR code, for them to scan"), self)
        self.mark_button = QPushButton(self.tr("Mark as verified"), self)
        self.mark_button.setAccessibleName(self.tr("Mark as verified: the numbers match"))
        self.scan_button = QPushButton(self.tr("Scan their code from an image…"), self)
        self.scan_button.setAccessibleName(self.tr("Scan their safety number code from an image"))
        self.verify_row = QHBoxLayout()
        self.verify_row.addWidget(self.mark_button)
        self.verify_row.addWidget(self.scan_button)
        self.emoji_button: QPushButton | None = None
        if compare_emoji is not None:
            self.emoji_button = QPushButton(self.tr("Compare emoji…"), self)
            self.emoji_button.setAccessibleName(self.tr("Verify by comparing emoji in real time"))
            self.emoji_button.clicked.connect(lambda _checked=False: compare_emoji())
            self.verify_row.addWidget(self.emoji_button)
        self.verify_row.addStretch(1)
        self.status = QLabel(self)
        self.status.setObjectName("safetyStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        for button in (self.mark_button, self.scan_button):
            button.setEnabled(False)
        numbers = QVBoxLayout()
        numbers.addLayout(grid)
        numbers.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(numbers, 1)
        body.addWidget(self.code)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addLayout(body)
        layout.addLayout(self.verify_row)
        layout.addWidget(self.status)
        self.mark_button.clicked.connect(self.mark_verified)
        self.scan_button.clicked.connect(self.choose_image)
        self.reload()

    def reload(self) -> None:
        self.bridge.run(
            self.bridge.messenger.safety_numbers(self.identity_id),
            done=self._show,
            failed=self._failed,
        )

    def _show(self, numbers: SafetyNumbers) -> None:
        self.numbers = numbers
        you, them = self.tr("You"), text.name(self.contact_name)
        first, second = (
            ((you, numbers.own), (them, numbers.theirs))
            if numbers.own_first
            else ((them, numbers.theirs), (you, numbers.own))
        )
        self.first_title.setText(first[0])
        self.first_half.setText(half_rows(first[1]))
        self.second_title.setText(second[0])
        self.second_half.setText(half_rows(second[1]))
        self.first_half.setAccessibleName(
            self.tr("Safety number, first half: %1").replace("%1", first[1])
        )
        self.second_half.setAccessibleName(
            self.tr("Safety number, second half: %1").replace("%1", second[1])
        )
        self.code.show_payload(numbers.code, CODE_SCALE)
        for button in (self.mark_button, self.scan_button):
            button.setEnabled(True)

    def number_text(self) -> str:
        """The 60 digits as shown (for tests and for reading aloud)."""
        return self.numbers.number if self.numbers is not None else ""

    def _failed(self, error: BaseException) -> None:
        self.status.setText(describe(error))

    def mark_verified(self) -> None:
        self.bridge.run(
            self.bridge.messenger.verify_contact(self.identity_id),
            done=self._verified,
            failed=self._failed,
        )

    def _verified(self, info: ContactInfo) -> None:
        self.status.setText(self.tr("%1 is verified.").replace("%1", text.name(info.display_name)))
        self.verified.emit(info)

    def choose_image(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Their safety number code"), str(Path.home()),
            self.tr("Images (*.png *.jpg *.jpeg *.gif *.bmp *.webp)"),
        )  # fmt: skip
        if name:
            self.scan_file(Path(name))

    def scan_file(self, path: Path) -> None:
        self.status.setText(self.tr("Reading the code…"))
        self.bridge.run(self._scan(path), done=self._verified, failed=self._failed)

    async def _scan(self, path: Path) -> ContactInfo:
        problem: UserFacingError | None = None
        for payload in await codes_in_file(path):
            try:
                return await self.bridge.messenger.verify_by_code(self.identity_id, payload)
            except InvalidSafetyCode as exc:  # another code in the picture: try the next
                problem = problem or exc
        raise problem or InvalidSafetyCode()
