"""The seam between the engine and the widgets (Anki's ``CollectionOp``, Electrum's handler).

- Engine events arrive as the Qt signal :attr:`Bridge.engine_event` (one object per
  :mod:`keybound.client.events` dataclass); views react to them and never poll.
- :meth:`Bridge.run` is the one way a widget runs an engine coroutine: it
  returns at once, and calls ``done`` with the result or ``failed`` with the
  error on the GUI thread.
- Failures meet the person in one place: a :class:`~keybound.errors.UserFacingError`
  becomes :attr:`Bridge.failure` with its text as is; anything else is a bug,
  logged with its traceback and shown as one sentence, never as a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal

from keybound.client.messenger import Messenger
from keybound.errors import UserFacingError
from keybound.gui.i18n import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)
T = TypeVar("T")

BUG_TEXT = QT_TRANSLATE_NOOP(
    "Bridge", "Something went wrong inside Keybound (a bug). Details are in the log."
)


def describe(error: BaseException) -> str:
    """The sentence a person sees for ``error``."""
    if isinstance(error, UserFacingError):
        return str(error)
    return QCoreApplication.translate("Bridge", BUG_TEXT)


class Bridge(QObject):
    """Runs coroutines for widgets and turns one Messenger's events into a signal."""

    engine_event = Signal(object)  # a keybound.client.events.Event, as the engine emitted it
    failure = Signal(str)  # a sentence for the person (failed operations with no handler)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._messenger: Messenger | None = None
        self._pump: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- the messenger --------------------------------------------------------------

    @property
    def messenger(self) -> Messenger:
        if self._messenger is None:
            raise RuntimeError("no Messenger attached to the bridge")
        return self._messenger

    @property
    def attached(self) -> bool:
        return self._messenger is not None

    def attach(self, messenger: Messenger) -> None:
        """Forward ``messenger``'s events from now on (replacing any earlier one)."""
        self.detach()
        self._messenger = messenger
        stream = messenger.events()
        self._pump = asyncio.get_running_loop().create_task(self._forward(stream))

    def detach(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        self._messenger = None

    async def _forward(self, stream: Any) -> None:
        try:
            async for event in stream:
                self.engine_event.emit(event)
        finally:
            stream.close()

    # --- running engine work ----------------------------------------------------------

    def run(
        self,
        work: Coroutine[Any, Any, T],
        *,
        done: Callable[[T], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> asyncio.Task[T]:
        """Run ``work`` on the loop; ``done(result)`` or ``failed(error)`` afterwards.

        Without ``failed`` a failure is announced on :attr:`failure`.  A
        cancelled task calls neither.
        """
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)

        def finished(t: asyncio.Task[T]) -> None:
            self._tasks.discard(t)
            if t.cancelled():
                return
            error = t.exception()
            if error is None:
                if done is not None:
                    done(t.result())
                return
            if not isinstance(error, UserFacingError):
                log.error("engine operation failed", exc_info=error)
            if failed is not None:
                failed(error)
            else:
                self.failure.emit(describe(error))

        task.add_done_callback(finished)
        return task

    async def shutdown(self) -> None:
        """Cancel what is still running and stop forwarding events."""
        pump = self._pump
        self.detach()
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        for waited in [*tasks, *([pump] if pump else [])]:
            with contextlib.suppress(BaseException):
                await waited
