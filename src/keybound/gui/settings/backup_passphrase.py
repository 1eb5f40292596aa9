"""Choosing a backup passphrase: a generated one shown in groups, or one typed twice.

A passphrase backup is only as strong as its passphrase against someone who
copied the file, so a typed one goes through the engine's strength check
(``keybound.backup.passphrase.check``) and its refusal is shown as it is.  The
generated one (150 bits) is shown grouped like the recovery code, with Copy,
and the person confirms they have kept it: it is stored nowhere.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from keybound.backup import passphrase as pp
from keybound.errors import UserFacingError, WeakPassphrase

PER_ROW = 3


def passphrase_groups(passphrase: str) -> list[str]:
    return [g for g in passphrase.split("-") if g]


def _monospace() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(font.pointSizeF() * 1.2)
    return font


class PassphraseChooser(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.generated = ""
        self.use_generated = QRadioButton(self.tr("Use this generated passphrase"), self)
        self.use_generated.setAccessibleName(self.tr("Use a generated passphrase"))
        self.use_typed = QRadioButton(self.tr("Type my own passphrase"), self)
        self.use_typed.setAccessibleName(self.tr("Type my own passphrase"))
        self.use_generated.setChecked(True)

        self.generated_box = QWidget(self)
        self.grid = QGridLayout()
        self.labels: list[QLabel] = []
        self.copy = QPushButton(self.tr("Copy"), self.generated_box)
        self.copy.setAccessibleName(self.tr("Copy the passphrase"))
        self.another = QPushButton(self.tr("Another one"), self.generated_box)
        self.another.setAccessibleName(self.tr("Generate another passphrase"))
        self.kept = QCheckBox(
            self.tr("I have written this passphrase down or stored it safely"), self.generated_box
        )
        self.kept.setAccessibleName(self.tr("I have kept the passphrase"))
        row = QHBoxLayout()
        row.addWidget(self.copy)
        row.addWidget(self.another)
        row.addStretch(1)
        box = QVBoxLayout(self.generated_box)
        box.setContentsMargins(24, 0, 0, 0)
        box.addLayout(self.grid)
        box.addLayout(row)
        box.addWidget(self.kept)

        self.typed_box = QWidget(self)
        self.first = QLineEdit(self.typed_box)
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName(self.tr("Backup passphrase"))
        self.again = QLineEdit(self.typed_box)
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.again.setAccessibleName(self.tr("Backup passphrase again"))
        form = QFormLayout(self.typed_box)
        form.setContentsMargins(24, 0, 0, 0)
        form.addRow(self.tr("Passphrase:"), self.first)
        form.addRow(self.tr("Again:"), self.again)
        hint = QLabel(
            self.tr(
                "At least 12 characters; a few unrelated words are easier to remember than symbols."
            ),
            self.typed_box,
        )
        hint.setWordWrap(True)
        form.addRow(hint)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.use_generated)
        layout.addWidget(self.generated_box)
        layout.addWidget(self.use_typed)
        layout.addWidget(self.typed_box)

        self.use_generated.toggled.connect(self._mode_changed)
        self.copy.clicked.connect(self._copy)
        self.another.clicked.connect(self.regenerate)
        self.regenerate()
        self._mode_changed()

    def regenerate(self) -> None:
        self.generated = pp.generate()
        for label in self.labels:
            label.deleteLater()
        self.labels = []
        for i, group in enumerate(passphrase_groups(self.generated)):
            label = QLabel(f"{i + 1}. {group}", self.generated_box)
            label.setFont(_monospace())
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.grid.addWidget(label, i // PER_ROW, i % PER_ROW)
            self.labels.append(label)
        self.kept.setChecked(False)

    def _mode_changed(self) -> None:
        generated = self.use_generated.isChecked()
        self.generated_box.setVisible(generated)
        self.typed_box.setVisible(not generated)

    def _copy(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.generated)

    def passphrase(self) -> str:
        """The chosen passphrase; a UserFacingError says what is missing or too weak."""
        if self.use_generated.isChecked():
            if not self.kept.isChecked():
                raise UserFacingError(
                    self.tr(
                        "Write the passphrase down first (and tick the box): it is stored "
                        "nowhere, and without it the backup cannot be opened."
                    )
                )
            return self.generated
        typed = self.first.text()
        if typed != self.again.text():
            raise WeakPassphrase(self.tr("The two passphrases differ. Type the same one twice."))
        pp.check(typed)  # the engine's refusal, as it words it
        return typed

    def reset(self) -> None:
        """After a backup: a fresh generated passphrase, the typed fields emptied."""
        self.first.clear()
        self.again.clear()
        self.regenerate()
