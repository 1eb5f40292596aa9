"""``QtPrompter``: the token worker thread asks, the GUI thread shows, the worker waits.

Electrum's ``hw_wallet/qt.py`` pattern: a token call on the worker thread
needs a PIN or a touch; :class:`QtPrompter` emits a signal (queued to the GUI
thread) and waits on a ``threading.Event`` while the GUI shows the
:class:`~keybound.gui.widgets.pin_dialog.PinDialog` or the
:class:`~keybound.gui.widgets.touch.TouchOverlay`.  The event loop never
waits on the person, and the worker never touches a widget.

Cancel: the PIN dialog's Cancel answers None (the token call stops with
``OperationCancelled``); the overlay's Cancel emits :attr:`touch_cancelled`,
and whoever started the token call cancels its task (the worker's cancel
switch then stops the wait).  :meth:`close` releases any waiting worker.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QWidget

from keybound.errors import InternalError
from keybound.gui.widgets.pin_dialog import PinDialog
from keybound.gui.widgets.touch import TouchOverlay
from keybound.token.base import TokenRef
from keybound.token.prompter import PinRequest


@dataclass
class _Answer:
    """One PIN request's reply box, filled on the GUI thread, read on the worker."""

    ready: threading.Event = field(default_factory=threading.Event)
    pin: str | None = None


class QtPrompter(QObject):
    """A :class:`keybound.token.prompter.Prompter` that asks through Qt widgets."""

    pin_dialog_shown = Signal(object)  # the PinDialog, for the lock screen and tests
    touch_cancelled = Signal()  # the person gave up waiting for the touch

    _pin_wanted = Signal(object, object)  # PinRequest, _Answer
    _touch_wanted = Signal(bool)  # True: show the overlay, False: hide it

    def __init__(self, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self._parent = parent_widget
        self._closed = False
        self._waiting: list[_Answer] = []
        self.dialog: PinDialog | None = None
        self.overlay = TouchOverlay(parent_widget)
        self.overlay.cancelled.connect(self._cancel_touch)
        queued = Qt.ConnectionType.QueuedConnection
        self._pin_wanted.connect(self._show_pin, queued)
        self._touch_wanted.connect(self._show_touch, queued)

    # --- the Prompter protocol (token worker thread) -------------------------------------

    def ask_pin(self, request: PinRequest) -> str | None:
        if threading.current_thread() is threading.main_thread():
            raise InternalError("QtPrompter.ask_pin must be called from the token worker thread")
        answer = _Answer()
        self._waiting.append(answer)
        if self._closed:
            return None
        self._pin_wanted.emit(request, answer)
        answer.ready.wait()
        if answer in self._waiting:
            self._waiting.remove(answer)
        return answer.pin

    def touch_needed(self, token: TokenRef) -> None:
        if not self._closed:
            self._touch_wanted.emit(True)

    def touch_done(self, token: TokenRef) -> None:
        if not self._closed:
            self._touch_wanted.emit(False)

    # --- the GUI thread ------------------------------------------------------------------

    def close(self) -> None:
        """Answer every waiting request with None and ask no more (the app is quitting)."""
        self._closed = True
        for answer in list(self._waiting):
            answer.ready.set()
        if self.dialog is not None:
            self.dialog.reject()
        self.overlay.stop()

    def _show_pin(self, request: PinRequest, answer: _Answer) -> None:
        if self._closed:
            answer.ready.set()
            return
        window = self._parent.window()
        dialog = PinDialog(request, window)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog = dialog

        def finished(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                answer.pin = dialog.pin()
            dialog.wipe()
            answer.ready.set()
            if self.dialog is dialog:
                self.dialog = None
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()
        dialog.field.setFocus()
        self.pin_dialog_shown.emit(dialog)

    def _show_touch(self, show: bool) -> None:
        if show:
            self.overlay.start()
        else:
            self.overlay.stop()

    def _cancel_touch(self) -> None:
        self.overlay.stop()
        self.touch_cancelled.emit()
