"""Backups: make one, check or restore one, export a readable copy, the schedule, the keys.

Every long step runs in the engine (``Messenger.create_backup`` and its
siblings) through a :class:`~keybound.gui.widgets.progress.ProgressDialog`, so
the window never waits on it and Cancel stops it without leaving a file.  File
checks (does the target exist, does the backup need a passphrase) are made
inside the coroutine, off the GUI thread.  Results and refusals are shown in
the section they belong to, as the engine words them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from keybound.backup.keys import BackupKey
from keybound.backup.values import BackupInfo, RestoreSummary
from keybound.client import events as ev
from keybound.client.backups import Schedule, needs_passphrase
from keybound.errors import BackupError, UserFacingError
from keybound.gui.bridge import Bridge, describe
from keybound.gui.settings.backup_passphrase import PassphraseChooser
from keybound.gui.widgets.progress import ProgressDialog

T = TypeVar("T")
ERROR_STYLE = "color: #b3261e;"
WARNING_STYLE = "color: #b3261e; font-weight: bold;"
MAX_DAYS = 365
MAX_KEEP = 100


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime())


def _when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))


class Section(QGroupBox):
    """One group of the page with its own result line (an outcome, or an error in red)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setAccessibleName(title)
        self.body = QVBoxLayout(self)
        self.result = QLabel("", self)
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setAccessibleName(self.tr("Result"))
        self.result.hide()

    def text(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        self.body.addWidget(label)
        return label

    def finish(self) -> None:
        """Put the result line last (after the section's own rows)."""
        self.body.addWidget(self.result)

    def show_result(self, text: str) -> None:
        self.result.setStyleSheet("")
        self.result.setText(text)
        self.result.show()

    def show_error(self, text: str) -> None:
        self.result.setStyleSheet(ERROR_STYLE)
        self.result.setText(text)
        self.result.show()

    @property
    def error(self) -> str:
        """The error on show, or ""."""
        visible = not self.result.isHidden() and self.result.styleSheet() == ERROR_STYLE
        return self.result.text() if visible else ""


def _path_row(
    parent: QWidget, name: str, placeholder: str, choose: Callable[[], None]
) -> tuple[QHBoxLayout, QLineEdit]:
    edit = QLineEdit(parent)
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    button = QPushButton(QCoreApplication.translate("BackupsPage", "Choose…"), parent)
    button.setAccessibleName(
        QCoreApplication.translate("BackupsPage", "Choose: {what}").format(what=name)
    )
    button.clicked.connect(choose)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row, edit


class BackupsPage(QWidget):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.dialog: ProgressDialog | None = None  # the step running now, if any
        self.keys: list[BackupKey] = []
        self.schedule = Schedule()
        content = QWidget()
        layout = QVBoxLayout(content)
        intro = QLabel(
            self.tr(
                "A backup is one encrypted file of your history (contacts, conversations, "
                "messages and, if you like, downloaded attachments). It opens with the standard "
                "age tool, and it restores onto a new computer joined with your security key."
            ),
            content,
        )
        intro.setWordWrap(True)
        self.recovery_note = QLabel(
            self.tr(
                "Your recovery code is not a backup key: it unlocks this computer's vault, not "
                "a backup file. Keep the backup passphrase or a backup security key as well."
            ),
            content,
        )
        self.recovery_note.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(self.recovery_note)
        self.create_section = self._build_create(content)
        self.check_section = self._build_check(content)
        self.export_section = self._build_export(content)
        self.schedule_section = self._build_schedule(content)
        self.keys_section = self._build_keys(content)
        for section in (
            self.create_section, self.check_section, self.export_section,
            self.schedule_section, self.keys_section,
        ):  # fmt: skip
            section.finish()
            layout.addWidget(section)
        layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setAccessibleName(self.tr("Backups"))
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        bridge.engine_event.connect(self._on_event)
        self.refresh()

    # --- building -------------------------------------------------------------------------

    def _build_create(self, parent: QWidget) -> Section:
        s = Section(self.tr("Make a backup"), parent)
        self.to_passphrase = QRadioButton(self.tr("Protect it with a passphrase"), s)
        self.to_passphrase.setAccessibleName(self.tr("Protect the backup with a passphrase"))
        self.to_keys = QRadioButton(
            self.tr("Open it with my backup security keys (no passphrase)"), s
        )
        self.to_keys.setAccessibleName(self.tr("Encrypt the backup to my security keys"))
        self.to_passphrase.setChecked(True)
        group = QButtonGroup(s)
        group.addButton(self.to_passphrase)
        group.addButton(self.to_keys)
        self.chooser = PassphraseChooser(s)
        chooser_layout = self.chooser.layout()
        if chooser_layout is not None:
            chooser_layout.setContentsMargins(24, 0, 0, 0)  # under "Protect it with a passphrase"
        self.with_attachments = QCheckBox(self.tr("Include downloaded attachments"), s)
        self.with_attachments.setAccessibleName(self.tr("Include downloaded attachments"))
        self.with_attachments.setChecked(True)
        row, self.create_file = _path_row(
            s, self.tr("Backup file"), str(Path.home() / "keybound-DATE.age"), self._choose_create
        )
        self.create_button = QPushButton(self.tr("Back up now"), s)
        self.create_button.setAccessibleName(self.tr("Back up now"))
        self.create_button.clicked.connect(self.create_backup)
        s.body.addWidget(self.to_passphrase)
        s.body.addWidget(self.chooser)
        s.body.addWidget(self.to_keys)
        s.body.addWidget(self.with_attachments)
        s.body.addLayout(row)
        s.body.addWidget(self.create_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.to_passphrase.toggled.connect(lambda on: self.chooser.setVisible(on))
        return s

    def _build_check(self, parent: QWidget) -> Section:
        s = Section(self.tr("Check or restore a backup"), parent)
        s.text(
            self.tr(
                "Checking decrypts the whole file and compares every part with its manifest; "
                "it changes nothing. Restoring merges the backup into this profile: messages "
                "that are here already are skipped and nothing is removed."
            )
        )
        row, self.check_file = _path_row(
            s, self.tr("Backup to check or restore"), "", self._choose_check
        )
        self.check_passphrase = QLineEdit(s)
        self.check_passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.check_passphrase.setAccessibleName(self.tr("Passphrase of the backup"))
        self.check_passphrase.setPlaceholderText(
            self.tr("only for a passphrase backup; a security key backup asks for your key")
        )
        form = QFormLayout()
        form.addRow(self.tr("File:"), row)
        form.addRow(self.tr("Passphrase:"), self.check_passphrase)
        s.body.addLayout(form)
        buttons = QHBoxLayout()
        self.verify_button = QPushButton(self.tr("Check"), s)
        self.verify_button.setAccessibleName(self.tr("Check the backup"))
        self.verify_button.clicked.connect(self.verify_backup)
        self.restore_button = QPushButton(self.tr("Restore into this profile"), s)
        self.restore_button.setAccessibleName(self.tr("Restore the backup into this profile"))
        self.restore_button.clicked.connect(self.restore_backup)
        buttons.addWidget(self.verify_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        s.body.addLayout(buttons)
        return s

    def _build_export(self, parent: QWidget) -> Section:
        s = Section(self.tr("Readable copy (export)"), parent)
        self.export_warning = s.text(
            self.tr(
                "The export is NOT encrypted: anyone who can read the folder can read your "
                "messages. Keep it safe and delete it when you are done."
            )
        )
        self.export_warning.setStyleSheet(WARNING_STYLE)
        self.export_format = QComboBox(s)
        self.export_format.setAccessibleName(self.tr("Export format"))
        self.export_format.view().setAccessibleName(self.tr("Export formats"))
        self.export_format.addItem(self.tr("HTML pages (for reading)"), "html")
        self.export_format.addItem(self.tr("JSON (for programs)"), "json")
        row, self.export_folder = _path_row(
            s, self.tr("New folder for the export"), str(Path.home() / "keybound-export-DATE"),
            self._choose_export,
        )  # fmt: skip
        form = QFormLayout()
        form.addRow(self.tr("Format:"), self.export_format)
        form.addRow(self.tr("Folder:"), row)
        s.body.addLayout(form)
        self.export_button = QPushButton(self.tr("Export"), s)
        self.export_button.setAccessibleName(self.tr("Export a readable copy"))
        self.export_button.clicked.connect(self.export_history)
        s.body.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignLeft)
        return s

    def _build_schedule(self, parent: QWidget) -> Section:
        s = Section(self.tr("Automatic backups"), parent)
        s.text(
            self.tr(
                "While Keybound is unlocked it can back up by itself, to your backup security "
                "keys (no passphrase, no PIN needed to write them). If one fails you get a "
                "notification."
            )
        )
        self.every = QSpinBox(s)
        self.every.setAccessibleName(self.tr("Back up every so many days"))
        self.every.setRange(0, MAX_DAYS)
        self.every.setSpecialValueText(self.tr("off"))
        self.every.setSuffix(self.tr(" days"))
        row, self.schedule_folder = _path_row(
            s, self.tr("Folder for automatic backups"), "", self._choose_schedule
        )
        self.keep = QSpinBox(s)
        self.keep.setAccessibleName(self.tr("Keep the newest so many backups"))
        self.keep.setRange(1, MAX_KEEP)
        for spin in (self.every, self.keep):
            inner = spin.findChild(QLineEdit)
            if inner is not None:  # the spin box's own field, reached by the keyboard too
                inner.setAccessibleName(spin.accessibleName())
        form = QFormLayout()
        form.addRow(self.tr("Every:"), self.every)
        form.addRow(self.tr("Into:"), row)
        form.addRow(self.tr("Keep the last:"), self.keep)
        s.body.addLayout(form)
        self.last_run = s.text("")
        self.last_run.setAccessibleName(self.tr("Last automatic backup"))
        self.save_schedule_button = QPushButton(self.tr("Save schedule"), s)
        self.save_schedule_button.setAccessibleName(self.tr("Save the automatic backup schedule"))
        self.save_schedule_button.clicked.connect(self.save_schedule)
        s.body.addWidget(self.save_schedule_button, 0, Qt.AlignmentFlag.AlignLeft)
        return s

    def _build_keys(self, parent: QWidget) -> Section:
        s = Section(self.tr("Backup security keys"), parent)
        s.text(
            self.tr(
                "Backups to security keys are encrypted to every key listed here; any one of "
                "them opens such a backup. Add your spare key too."
            )
        )
        self.key_list = QListWidget(s)
        self.key_list.setAccessibleName(self.tr("Backup security keys"))
        self.key_list.setMaximumHeight(96)
        self.no_keys = s.text(self.tr("No security key is set up for backups yet."))
        buttons = QHBoxLayout()
        self.add_key_button = QPushButton(self.tr("Add the key that is plugged in"), s)
        self.add_key_button.setAccessibleName(self.tr("Add the plugged-in key as a backup key"))
        self.add_key_button.clicked.connect(self.add_key)
        self.remove_key_button = QPushButton(self.tr("Remove"), s)
        self.remove_key_button.setAccessibleName(self.tr("Remove the selected backup key"))
        self.remove_key_button.clicked.connect(self.remove_key)
        buttons.addWidget(self.add_key_button)
        buttons.addWidget(self.remove_key_button)
        buttons.addStretch(1)
        s.body.addWidget(self.key_list)
        s.body.addLayout(buttons)
        return s

    # --- file choosers (tests fill the fields directly) -----------------------------------

    def _choose_create(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save the backup as"), str(Path.home() / f"keybound-{_stamp()}.age"),
            self.tr("Keybound backups (*.age)"),
        )  # fmt: skip
        if path:
            self.create_file.setText(path)

    def _choose_check(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a backup"), str(Path.home()),
            self.tr("Keybound backups (*.age);;All files (*)"),
        )  # fmt: skip
        if path:
            self.check_file.setText(path)

    def _choose_export(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Where the export folder goes"), str(Path.home())
        )
        if folder:
            self.export_folder.setText(str(Path(folder) / f"keybound-export-{_stamp()}"))

    def _choose_schedule(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Folder for automatic backups"), str(Path.home())
        )
        if folder:
            self.schedule_folder.setText(folder)

    # --- running a long step --------------------------------------------------------------

    def _long_step(
        self,
        section: Section,
        operation: str,
        title: str,
        work: Coroutine[Any, Any, T],
        done: Callable[[T], None],
    ) -> ProgressDialog | None:
        if self.dialog is not None and isValid(self.dialog) and self.dialog.running:
            work.close()
            section.show_error(self.tr("Another backup step is still running."))
            return None
        section.result.hide()
        dialog = ProgressDialog(self.bridge, operation, title, self)
        self.dialog = dialog

        def failed(error: BaseException) -> None:
            if isValid(section):
                section.show_error(describe(error))

        def cancelled() -> None:
            if isValid(section):
                section.show_error(self.tr("Cancelled. Nothing was written."))

        def finished(result: T) -> None:
            if isValid(self):
                done(result)

        dialog.start(work, done=finished, failed=failed, cancelled=cancelled)
        return dialog

    # --- create ---------------------------------------------------------------------------

    def create_backup(self) -> ProgressDialog | None:
        s = self.create_section
        text = self.create_file.text().strip()
        dest = Path(text).expanduser() if text else Path.home() / f"keybound-{_stamp()}.age"
        passphrase: str | None = None
        if self.to_passphrase.isChecked():
            try:
                passphrase = self.chooser.passphrase()
            except UserFacingError as exc:
                s.show_error(str(exc))
                return None
        m = self.bridge.messenger

        async def work() -> tuple[Path, BackupInfo]:
            if await asyncio.to_thread(dest.exists):
                raise BackupError(
                    self.tr("{path} exists already; choose another file.").format(path=dest)
                )
            info = await m.create_backup(
                dest, passphrase=passphrase, to_keys=passphrase is None,
                attachments=self.with_attachments.isChecked(),
            )  # fmt: skip
            return dest, info

        def done(result: tuple[Path, BackupInfo]) -> None:
            where, info = result
            s.show_result(
                self.tr("Backed up {messages} messages and {files} attachment files to {path}.")
                .format(messages=info.counts.messages, files=info.counts.attachments, path=where)
            )  # fmt: skip
            self.chooser.reset()
            self.refresh()  # the first key backup enrolls the key that was plugged in

        return self._long_step(s, "create", self.tr("Backing up"), work(), done)

    # --- verify and restore ---------------------------------------------------------------

    def _check_inputs(self) -> tuple[Path, str] | None:
        text = self.check_file.text().strip()
        if not text:
            self.check_section.show_error(self.tr("Choose the backup file first."))
            return None
        return Path(text).expanduser(), self.check_passphrase.text()

    def verify_backup(self) -> ProgressDialog | None:
        inputs = self._check_inputs()
        if inputs is None:
            return None
        path, typed = inputs
        m = self.bridge.messenger

        async def work() -> BackupInfo:
            secret = typed if await asyncio.to_thread(needs_passphrase, path) else None
            return await m.verify_backup(path, passphrase=secret)

        def done(info: BackupInfo) -> None:
            c = info.counts
            self.check_section.show_result(
                self.tr(
                    "The backup is complete and intact: made {when}, {contacts} contacts, "
                    "{conversations} conversations, {messages} messages, {files} attachment "
                    "files."
                ).format(
                    when=_when(info.created_at),
                    contacts=c.contacts,
                    conversations=c.conversations,
                    messages=c.messages,
                    files=c.attachments,
                )
            )

        return self._long_step(
            self.check_section, "verify", self.tr("Checking the backup"), work(), done
        )

    def restore_backup(self) -> ProgressDialog | None:
        inputs = self._check_inputs()
        if inputs is None:
            return None
        path, typed = inputs
        m = self.bridge.messenger

        async def work() -> RestoreSummary:
            secret = typed if await asyncio.to_thread(needs_passphrase, path) else None
            return await m.restore_backup(path, passphrase=secret)

        def done(summary: RestoreSummary) -> None:
            self.check_passphrase.clear()
            self.check_section.show_result(restore_summary_text(summary))
            self.refresh()  # the backup carries the schedule's settings

        return self._long_step(
            self.check_section, "restore", self.tr("Restoring the backup"), work(), done
        )

    # --- export ---------------------------------------------------------------------------

    def export_history(self) -> ProgressDialog | None:
        s = self.export_section
        text = self.export_folder.text().strip()
        dest = Path(text).expanduser() if text else Path.home() / f"keybound-export-{_stamp()}"
        fmt = str(self.export_format.currentData())
        m = self.bridge.messenger

        def done(folder: Path) -> None:
            s.show_result(
                self.tr(
                    "Exported to {path}. It is not encrypted: delete it when you no longer need it."
                ).format(path=folder)
            )

        return self._long_step(
            s, "export", self.tr("Exporting"), m.export_history(dest, fmt=fmt), done
        )

    # --- schedule and keys ----------------------------------------------------------------

    def refresh(self) -> None:
        """Read the schedule and the backup keys from the engine again."""
        m = self.bridge.messenger

        async def read() -> tuple[Schedule, list[BackupKey]]:
            return await m.backup_schedule(), await m.backup_keys()

        def failed(error: BaseException) -> None:
            if isValid(self):
                self.keys_section.show_error(describe(error))

        self.bridge.run(read(), done=self._show_state, failed=failed)

    def _show_state(self, state: tuple[Schedule, list[BackupKey]]) -> None:
        if not isValid(self):
            return
        self.schedule, self.keys = state
        self.every.setValue(self.schedule.every_days)
        self.schedule_folder.setText(self.schedule.folder)
        self.keep.setValue(self.schedule.keep)
        self._show_last_run()
        self.key_list.clear()
        for key in self.keys:
            kind = self.tr("smartcard") if key.kind == "openpgp" else self.tr("security key")
            item = QListWidgetItem(f"{key.label} ({kind})")
            item.setToolTip(key.recipient_text())
            item.setData(Qt.ItemDataRole.UserRole, key.public)
            self.key_list.addItem(item)
        self.no_keys.setVisible(not self.keys)
        self.remove_key_button.setEnabled(bool(self.keys))

    def _show_last_run(self) -> None:
        last = self.schedule.last_at
        if last:
            text = self.tr("Last automatic backup: {when}.").format(when=_when(last))
        else:
            text = self.tr("No automatic backup has run yet.")
        self.last_run.setText(text)

    def save_schedule(self) -> None:
        s = self.schedule_section
        every, folder, keep = self.every.value(), self.schedule_folder.text(), self.keep.value()
        m = self.bridge.messenger

        async def save() -> Schedule:
            if every and folder.strip() and not await m.backup_keys():
                await m.add_backup_key()  # what `keybound backup schedule` does too
            await m.set_backup_schedule(every, folder, keep)
            return await m.backup_schedule()

        def done(schedule: Schedule) -> None:
            if not isValid(self):
                return
            if schedule.every_days:
                s.show_result(
                    self.tr("Automatic backups every {n} days into {folder}.").format(
                        n=schedule.every_days, folder=schedule.folder
                    )
                )
            else:
                s.show_result(self.tr("Automatic backups are off."))
            self.refresh()

        def failed(error: BaseException) -> None:
            if isValid(s):
                s.show_error(describe(error))

        s.result.hide()
        self.bridge.run(save(), done=done, failed=failed)

    def add_key(self) -> None:
        s = self.keys_section
        s.result.hide()

        def done(key: BackupKey) -> None:
            if isValid(self):
                s.show_result(self.tr("Added {key}.").format(key=key.label))
                self.refresh()

        def failed(error: BaseException) -> None:
            if isValid(s):
                s.show_error(describe(error))

        self.bridge.run(self.bridge.messenger.add_backup_key(), done=done, failed=failed)

    def remove_key(self) -> None:
        s = self.keys_section
        item = self.key_list.currentItem()
        if item is None:
            s.show_error(self.tr("Choose the key to remove in the list."))
            return
        public = bytes(item.data(Qt.ItemDataRole.UserRole))

        def done(_: None) -> None:
            if isValid(self):
                s.show_result(self.tr("Removed. New backups to security keys leave it out."))
                self.refresh()

        def failed(error: BaseException) -> None:
            if isValid(s):
                s.show_error(describe(error))

        self.bridge.run(self.bridge.messenger.remove_backup_key(public), done=done, failed=failed)

    def _on_event(self, event: object) -> None:
        if not isValid(self):
            return
        if isinstance(event, ev.BackupCreated) and event.automatic:
            self.refresh()
        elif isinstance(event, ev.BackupFailed) and event.automatic:
            self.schedule_section.show_error(event.text)


def restore_summary_text(summary: RestoreSummary) -> str:
    """What a restore added, for people (shared with the first-run wizard)."""
    a = summary.added
    return QCoreApplication.translate(
        "BackupsPage",
        "Restored: {messages} messages added ({skipped} were here already), {conversations} "
        "conversations, {contacts} contacts, {reactions} reactions, {files} attachment files."
    ).format(
        messages=a.messages, skipped=summary.skipped_messages, conversations=a.conversations,
        contacts=a.contacts, reactions=a.reactions, files=a.attachments,
    )  # fmt: skip
