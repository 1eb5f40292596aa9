"""A progress dialog for one long engine step: backing up, checking, restoring, exporting.

It runs the step's coroutine through :meth:`Bridge.run` and follows the
engine's :class:`~keybound.client.events.BackupProgress` events for that
operation, so it shows what the engine reports rather than guessing.  It is
shown with ``show()`` (window-modal), never ``exec()``: the event loop goes on,
the window repaints and the engine keeps receiving while a large backup runs.

Cancel (the button, Escape or closing it) cancels the asyncio task.  The
engine then tells its worker thread to stop and waits until it has cleaned up
(the ``.part`` file removed, the restore's transaction rolled back), and only
then does the task end; until that moment the dialog says "Cancelling…", so
when it closes there is nothing left behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from keybound.backup.values import Phase, Progress
from keybound.client import events as ev
from keybound.gui.bridge import Bridge

T = TypeVar("T")
STEPS = 1000  # the bar's resolution

DONE, FAILED, CANCELLED = "done", "failed", "cancelled"


class ProgressDialog(QDialog):
    """One long step with a bar, what has been done so far, and Cancel."""

    ended = Signal(str)  # DONE, FAILED or CANCELLED, once the task has ended
    progressed = Signal(object)  # the Progress just shown

    def __init__(
        self, bridge: Bridge, operation: str, title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("progressDialog")
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.bridge = bridge
        self.operation = operation  # "create", "verify", "restore", "export"
        self.task: asyncio.Task[Any] | None = None
        self.outcome = ""
        self.last: Progress | None = None
        self.status = QLabel(self.tr("Starting…"), self)
        self.status.setWordWrap(True)
        self.bar = QProgressBar(self)
        self.bar.setAccessibleName(self.tr("Progress"))
        self.bar.setRange(0, 0)  # busy until the engine reports a total
        self.bar.setTextVisible(False)
        self.details = QLabel("", self)
        self.details.setAccessibleName(self.tr("Done so far"))
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.setAccessibleName(self.tr("Cancel this step"))
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        self.setMinimumWidth(420)
        bridge.engine_event.connect(self._on_event)

    # --- running ----------------------------------------------------------------------

    def start(
        self,
        work: Coroutine[Any, Any, T],
        *,
        done: Callable[[T], None],
        failed: Callable[[BaseException], None],
        cancelled: Callable[[], None] | None = None,
    ) -> asyncio.Task[T]:
        """Show the dialog and run ``work``; one of the callbacks follows when it has ended
        (never after the dialog was deleted with its parent)."""

        def finished(result: T) -> None:
            if self._close(DONE):
                done(result)

        def went_wrong(error: BaseException) -> None:
            if self._close(FAILED):
                failed(error)

        task = self.bridge.run(work, done=finished, failed=went_wrong)
        self.task = task

        def ended(t: asyncio.Task[T]) -> None:
            if t.cancelled() and self._close(CANCELLED) and cancelled is not None:
                cancelled()

        task.add_done_callback(ended)
        self.show()
        return task

    def cancel(self) -> None:
        """Ask the engine to stop; the dialog closes once it has cleaned up."""
        task = self.task
        if task is None or task.done():
            return
        self.cancel_button.setEnabled(False)
        self.status.setText(self.tr("Cancelling…"))
        task.cancel()

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def _close(self, outcome: str) -> bool:
        """Record the outcome and close; False when the dialog is already gone."""
        if not isValid(self):
            return False
        self.outcome = outcome
        self.bridge.engine_event.disconnect(self._on_event)
        self.hide()
        self.ended.emit(outcome)
        self.deleteLater()
        return True

    # --- progress ---------------------------------------------------------------------

    def _on_event(self, event: object) -> None:
        if isinstance(event, ev.BackupProgress) and event.operation == self.operation:
            self.show_progress(event.progress)

    def show_progress(self, p: Progress) -> None:
        if self.cancel_button.isEnabled():  # not while it says "Cancelling…"
            self.status.setText(self._phase_text(p.phase))
        fraction = p.fraction
        if fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, STEPS)
            self.bar.setValue(round(fraction * STEPS))
        megabytes = p.bytes_done / 1e6
        if p.messages_total:
            text = self.tr("{done} of {total} messages, {mb:.1f} MB").format(
                done=p.messages_done, total=p.messages_total, mb=megabytes
            )
        else:
            text = self.tr("{done} messages, {mb:.1f} MB").format(
                done=p.messages_done, mb=megabytes
            )
        self.details.setText(text)
        self.last = p
        self.progressed.emit(p)

    def _phase_text(self, phase: Phase) -> str:
        return {
            Phase.WRITING: self.tr("Writing the encrypted backup…"),
            Phase.READING: self.tr("Decrypting and checking the backup…"),
            Phase.EXPORTING: self.tr("Writing the readable copy…"),
        }.get(phase, self.tr("Working…"))

    # --- closing = cancelling ---------------------------------------------------------

    def reject(self) -> None:
        self.cancel()  # Escape: the dialog stays until the engine has stopped

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            self.cancel()
            event.ignore()
            return
        super().closeEvent(event)
