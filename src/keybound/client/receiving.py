"""Receiving pauses while the history cannot be written, and resumes by itself.

A batch from the relay is decrypted and stored in one transaction, and only
acknowledged after its commit.  When the commit fails because of the disk or
the database (full, locked, an I/O error) the batch is rolled back, the
protocol state reloaded (``rollback``), nothing is acknowledged, and the
relay keeps the messages.  Receiving then *pauses*: the same batch is tried
again now and then (later batches wait behind it, in order) until a commit
works, which is how the engine
notices that space came back.  The pause is a state the UI can ask for
(``Messenger.receiving``, the ``status`` command) and two events tell it:
an :class:`~keybound.client.events.EngineError` tagged ``disk_full`` or
``history_storage`` when it starts, :class:`~keybound.client.events.ReceivingChanged`
at both ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from keybound.client import events as ev
from keybound.errors import HistoryDiskFull, HistoryError

T = TypeVar("T")

DISK_FULL = "disk_full"
STORAGE = "history_storage"


@dataclass(frozen=True)
class ReceivingState:
    """``paused`` with the tag (``disk_full`` / ``history_storage``) and the reason."""

    paused: bool = False
    what: str = ""
    reason: str = ""


RUNNING = ReceivingState()


class ReceivingGate:
    """Runs the inbox jobs of one session and keeps its pause state."""

    def __init__(
        self,
        emit: Callable[[ev.Event], None],
        first_retry_s: float,
        max_retry_s: float,
        closing: Callable[[], bool],
    ) -> None:
        self._emit = emit
        self._first = first_retry_s
        self._max = max_retry_s
        self._closing = closing
        self._stopped = asyncio.Event()
        self.state = RUNNING

    def stop(self) -> None:
        """The session closes: a paused batch stops waiting at once (it stays on the relay)."""
        self._stopped.set()

    async def run(self, job: Callable[[], Awaitable[T]]) -> T | None:
        """``job`` until it commits; None if the session closes first."""
        delay = self._first
        while not self._closing() and not self._stopped.is_set():
            try:
                result = await job()
            except HistoryError as exc:
                self._pause(exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), delay)
                delay = min(delay * 2, self._max)
                continue
            self._resume()
            return result
        return None

    def _pause(self, exc: HistoryError) -> None:
        what = DISK_FULL if isinstance(exc, HistoryDiskFull) else STORAGE
        reason = str(exc)
        if self.state.paused and self.state.what == what:
            return
        self.state = ReceivingState(True, what, reason)
        self._emit(
            ev.EngineError(
                f"Receiving is paused: {reason} Messages wait on the relay meanwhile.", what
            )
        )
        self._emit(ev.ReceivingChanged(True, what, reason))

    def _resume(self) -> None:
        if self.state.paused:
            self.state = RUNNING
            self._emit(ev.ReceivingChanged(False))
