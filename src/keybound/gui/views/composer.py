"""The composer: write, reply, edit, attach; Enter sends, Shift+Enter is a new line.

Keys: Enter sends, Shift+Enter breaks the line, Up in an empty composer edits
our last message, Esc cancels a reply or an edit.  Files come by the button,
by drag and drop, or by paste (an image on the clipboard too); each upload
shows its progress and can be cancelled.  While the person types, the other
side hears "typing" (at most every few seconds, and "stopped" after a pause).
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

from PySide6.QtCore import QMimeData, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QKeyEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from keybound.client import events as ev
from keybound.client.chatview import TimelineEntry
from keybound.gui import text
from keybound.gui.bridge import Bridge, describe

TYPING_REPEAT_MS = 4000  # say "typing" again after this long
TYPING_PAUSE_MS = 5000  # say "stopped" after this long without a key


def dropped_files(mime: QMimeData) -> list[Path]:
    """The local files in a drop or paste."""
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


class ComposerEdit(QPlainTextEdit):
    """The text field, with the composer's keys and file drops."""

    submitted = Signal()
    edit_last = Signal()
    cancelled = Signal()
    files_dropped = Signal(list)  # list[Path]
    image_pasted = Signal(QImage)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerText")
        self.setAccessibleName(self.tr("Message"))
        self.setPlaceholderText(self.tr("Write a message"))
        self.setTabChangesFocus(True)
        self.setAcceptDrops(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self.setMaximumHeight(140)
        self.document().contentsChanged.connect(self.updateGeometry)

    def sizeHint(self) -> QSize:
        """Two lines at first, growing with the text up to the maximum height."""
        line = self.fontMetrics().lineSpacing()
        lines = max(2, min(6, int(self.document().size().height())))
        return QSize(super().sizeHint().width(), lines * line + 14)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.submitted.emit()
            return
        if key == Qt.Key.Key_Up and not self.toPlainText():
            self.edit_last.emit()
            return
        if key == Qt.Key.Key_Escape:
            self.cancelled.emit()
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return (
            bool(dropped_files(source))
            or source.hasImage()
            or super().canInsertFromMimeData(source)
        )

    def insertFromMimeData(self, source: QMimeData) -> None:
        files = dropped_files(source)
        if files:
            self.files_dropped.emit(files)
        elif source.hasImage():
            image = source.imageData()
            if isinstance(image, QImage) and not image.isNull():
                self.image_pasted.emit(image)
        else:
            super().insertFromMimeData(source)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        files = dropped_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.files_dropped.emit(files)
        else:
            super().dropEvent(event)


class Upload(QWidget):
    """One file on its way up: name, progress, cancel."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(text.name(name), self)
        self.bar = QProgressBar(self)
        self.bar.setAccessibleName(self.tr("Upload progress of %1").replace("%1", name))
        self.bar.setRange(0, 0)  # busy until the first progress event
        self.bar.setMaximumHeight(12)
        self.cancel = QToolButton(self)
        self.cancel.setText("✕")
        self.cancel.setAccessibleName(self.tr("Cancel upload of %1").replace("%1", name))
        self.cancel.setToolTip(self.tr("Cancel the upload"))
        row.addWidget(self.label)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel)
        self.message_id: bytes | None = None
        self.task: asyncio.Task[bytes] | None = None

    def progress(self, done: int, total: int) -> None:
        scale = max(1, total // 1_000_000)  # QProgressBar holds ints
        self.bar.setRange(0, total // scale)
        self.bar.setValue(done // scale)


class Composer(QWidget):
    """Everything below the timeline: reply/edit bar, uploads, text field, buttons."""

    sent = Signal(bytes)  # a message of ours, durably queued (the timeline shows it)
    edit_last_requested = Signal()
    react_requested = Signal()

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self._bridge = bridge
        self.conversation_id: bytes | None = None
        self.reply_to: TimelineEntry | None = None
        self.editing: TimelineEntry | None = None
        self.uploads: list[Upload] = []
        self._typing_sent_at = 0.0
        self._typing = False

        self.context = QLabel(self)
        self.context.setObjectName("composerContext")
        self.context.setWordWrap(True)
        self.cancel_context = QToolButton(self)
        self.cancel_context.setText("✕")
        self.cancel_context.setAccessibleName(self.tr("Cancel reply or edit"))
        self.cancel_context.clicked.connect(self.cancel)
        context_row = QHBoxLayout()
        context_row.addWidget(self.context, 1)
        context_row.addWidget(self.cancel_context)
        self._context_box = QWidget(self)
        self._context_box.setLayout(context_row)
        self._context_box.hide()

        self.upload_box = QVBoxLayout()
        self.edit = ComposerEdit(self)
        self.attach_button = QToolButton(self)
        self.attach_button.setText("📎")
        self.attach_button.setAccessibleName(self.tr("Attach a file"))
        self.attach_button.setToolTip(self.tr("Attach a file"))
        self.attach_button.clicked.connect(self.choose_files)
        self.send_button = QToolButton(self)
        self.send_button.setText(self.tr("Send"))
        self.send_button.setAccessibleName(self.tr("Send"))
        self.send_button.clicked.connect(self.submit)
        row = QHBoxLayout()
        row.addWidget(self.attach_button)
        row.addWidget(self.edit, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 6)
        layout.addWidget(self._context_box)
        layout.addLayout(self.upload_box)
        layout.addLayout(row)

        self.edit.submitted.connect(self.submit)
        self.edit.cancelled.connect(self.cancel)
        self.edit.edit_last.connect(self.edit_last_requested)
        self.edit.files_dropped.connect(self.send_files)
        self.edit.image_pasted.connect(self.send_image)
        self.edit.textChanged.connect(self._typed)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(TYPING_PAUSE_MS)
        self._pause.timeout.connect(lambda: self._send_typing(False))
        bridge.engine_event.connect(self._on_event)

    # --- the conversation ------------------------------------------------------------

    def set_conversation(self, conversation_id: bytes | None) -> None:
        if self._typing:
            self._send_typing(False)
        self.conversation_id = conversation_id
        self.cancel()
        self.edit.clear()
        self.setEnabled(conversation_id is not None)

    def start_reply(self, entry: TimelineEntry) -> None:
        self.editing = None
        self.reply_to = entry
        who = entry.sender_name or self.tr("yourself")
        self._show_context(
            self.tr("Replying to %1: %2")
            .replace("%1", text.name(who))
            .replace("%2", text.preview(entry.message.body or "", 60))
        )
        self.edit.setFocus()

    def start_edit(self, entry: TimelineEntry) -> None:
        self.reply_to = None
        self.editing = entry
        self._show_context(self.tr("Editing your message"))
        self.edit.setPlainText(entry.message.body or "")
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)
        self.edit.setFocus()

    def _show_context(self, label: str) -> None:
        self.context.setText(label)
        self._context_box.show()

    def cancel(self) -> None:
        """Esc: leave reply or edit mode (an edit also gives the field back empty)."""
        if self.editing is not None:
            self.edit.clear()
        self.reply_to = None
        self.editing = None
        self._context_box.hide()

    # --- sending ---------------------------------------------------------------------

    def submit(self) -> None:
        body = self.edit.toPlainText().strip()
        cid = self.conversation_id
        if not body or cid is None:
            return
        messenger = self._bridge.messenger
        if self.editing is not None:
            mid = self.editing.message.message_id
            self._bridge.run(messenger.edit(mid, body))
        else:
            reply = self.reply_to.message.message_id if self.reply_to else None
            self._bridge.run(messenger.send_text(cid, body, reply_to=reply), done=self.sent.emit)
        self.edit.clear()
        self.cancel()
        self._send_typing(False)

    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, self.tr("Send files"))
        self.send_files([Path(n) for n in names])

    def send_files(self, paths: list[Path]) -> None:
        for path in paths:
            if path.is_file():
                self.send_file(path)
            else:
                self._bridge.failure.emit(
                    self.tr("%1 is not a file that can be sent.").replace("%1", str(path))
                )

    def send_image(self, image: QImage) -> None:
        """A pasted image: written into the profile's private staging folder, then sent."""
        if self.conversation_id is None:
            return
        staging = self._bridge.messenger.profile.root / "outgoing"
        staging.mkdir(mode=0o700, exist_ok=True)
        path = staging / f"pasted-{secrets.token_hex(6)}.png"
        if not image.save(str(path)):  # PNG, from the suffix
            self._bridge.failure.emit(self.tr("The pasted image could not be read."))
            return
        self.send_file(path, name="image.png", remove_after=True)

    def send_file(
        self, path: Path, *, name: str | None = None, remove_after: bool = False
    ) -> Upload | None:
        cid = self.conversation_id
        if cid is None:
            return None
        upload = Upload(name or path.name, self)
        self.upload_box.addWidget(upload)
        self.uploads.append(upload)

        def finished() -> None:
            if remove_after:
                path.unlink(missing_ok=True)
            self.uploads.remove(upload)
            upload.deleteLater()

        def done(mid: bytes) -> None:
            finished()
            self.sent.emit(mid)

        def failed(error: BaseException) -> None:
            finished()
            self._bridge.failure.emit(describe(error))

        def cancelled() -> None:
            if upload.task is not None and not upload.task.done():
                upload.task.cancel()
                finished()

        upload.cancel.clicked.connect(cancelled)
        upload.task = self._bridge.run(
            self._bridge.messenger.send_file(cid, path, file_name=name), done=done, failed=failed
        )
        return upload

    def _on_event(self, event: object) -> None:
        if isinstance(event, ev.AttachmentProgress) and event.upload:
            for upload in self.uploads:
                if upload.message_id in (None, event.message_id):
                    upload.message_id = event.message_id
                    upload.progress(event.done, event.total)
                    return

    # --- typing ----------------------------------------------------------------------

    def _typed(self) -> None:
        if not self.edit.toPlainText():
            if self._typing:
                self._send_typing(False)
            return
        now = asyncio.get_running_loop().time() * 1000
        if not self._typing or now - self._typing_sent_at > TYPING_REPEAT_MS:
            self._typing_sent_at = now
            self._send_typing(True)
        self._pause.start()

    def _send_typing(self, started: bool) -> None:
        cid = self.conversation_id
        if cid is None or not self._bridge.attached or (not started and not self._typing):
            return
        self._typing = started
        if not started:
            self._pause.stop()
        self._bridge.run(self._bridge.messenger.typing(cid, started), failed=lambda _e: None)
