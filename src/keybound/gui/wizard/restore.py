"""The join path's restore step: the history from a backup file, right after joining.

What ``keybound init --join --restore FILE`` does: the new device is made
first (fresh device keys signed by the token; sessions with contacts are made
new, never restored), then the backup is merged into its empty history.  The
join page offers the choice (:class:`RestoreChoice`); the restore page
(:class:`RestorePage`) asks for the backup's passphrase if the file is a
passphrase backup, or says that the key just used opens it, and shows the
engine's progress and what was added.  The flow itself is the wizard's.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keybound.backup.values import Progress
from keybound.gui.wizard.pages import Page

STEPS = 1000


class RestoreChoice(QWidget):
    """On the join page: restore the history from a backup file after joining, or not."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wanted = QCheckBox(self.tr("Then restore my history from a backup file"), self)
        self.wanted.setAccessibleName(self.tr("Restore the history from a backup file"))
        self.file = QLineEdit(self)
        self.file.setAccessibleName(self.tr("Backup file"))
        self.file.setPlaceholderText(self.tr("a Keybound backup (.age)"))
        self.choose = QPushButton(self.tr("Choose…"), self)
        self.choose.setAccessibleName(self.tr("Choose the backup file"))
        self.choose.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.setContentsMargins(24, 0, 0, 0)
        row.addWidget(self.file, 1)
        row.addWidget(self.choose)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.wanted)
        layout.addLayout(row)
        self.wanted.toggled.connect(self._toggled)
        self._toggled(False)

    def _toggled(self, on: bool) -> None:
        self.file.setEnabled(on)
        self.choose.setEnabled(on)

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose your backup"), str(Path.home()),
            self.tr("Keybound backups (*.age);;All files (*)"),
        )  # fmt: skip
        if path:
            self.file.setText(path)

    def path(self) -> Path | None:
        """The chosen file, or None when no restore is wanted (or no file was named)."""
        text = self.file.text().strip()
        return Path(text).expanduser() if self.wanted.isChecked() and text else None


class RestorePage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Restore your history"), parent)
        self.file = self.text("")
        self.how = self.text("")
        self.passphrase_box = QWidget()
        form = QFormLayout(self.passphrase_box)
        form.setContentsMargins(0, 0, 0, 0)
        self.passphrase = self.field(self.tr("Backup passphrase"), secret=True)
        form.addRow(self.tr("Backup passphrase:"), self.passphrase)
        self.body.addWidget(self.passphrase_box)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Progress"))
        self.progress.setTextVisible(False)
        self.body.addWidget(self.progress)
        self.status = self.text("")
        self.touch = self.text(self.tr("Touch your key now."))
        font = self.touch.font()
        font.setBold(True)
        self.touch.setFont(font)
        self.summary = self.text("")
        self.skip = self.button(self.tr("Skip"), self.tr("Skip restoring the history"))
        self.cancel = self.button(self.tr("Cancel"), self.tr("Cancel restoring"))
        self.restore = self.button(self.tr("Restore"), self.tr("Restore the history"), default=True)
        self.next = self.button(self.tr("Next"), self.tr("Next"), default=True)

    def prepare(self, path: Path, needs_passphrase: bool) -> None:
        self.file.setText(self.tr("From {path}").format(path=str(path)))
        if needs_passphrase:
            self.how.setText(self.tr("This backup is protected by a passphrase. Type it here."))
        else:
            self.how.setText(
                self.tr("This backup opens with your security key; keep it plugged in.")
            )
        self.passphrase_box.setVisible(needs_passphrase)
        self.passphrase.clear()
        self.summary.clear()
        self.status.clear()
        self.touch.hide()
        self.busy(False)
        self.restore.setEnabled(True)
        self.next.hide()

    def busy(self, on: bool) -> None:
        self.progress.setVisible(on)
        self.progress.setRange(0, 0)
        self.cancel.setVisible(on)
        self.cancel.setEnabled(on)
        for widget in (self.skip, self.restore, self.passphrase):
            widget.setVisible(not on)
        self.status.setText(self.tr("Decrypting and checking the backup…") if on else "")

    def show_progress(self, p: Progress) -> None:
        fraction = p.fraction
        if fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, STEPS)
            self.progress.setValue(round(fraction * STEPS))
        self.status.setText(
            self.tr("{n} messages read, {mb:.1f} MB").format(
                n=p.messages_done, mb=p.bytes_done / 1e6
            )
        )

    def done(self, summary: str) -> None:
        self.busy(False)
        self.status.clear()
        self.summary.setText(summary)
        self.passphrase_box.hide()
        self.skip.hide()
        self.restore.hide()
        self.next.show()
        self.next.setFocus()
