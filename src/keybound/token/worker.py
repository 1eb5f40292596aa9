"""The one thread every token call runs on.

Like Electrum's ``run_in_hwd_thread``: a slow touch never blocks the GUI or
the event loop, and two calls never interleave on one card. Each job carries
a cancel event the backend polls (between APDUs, or via python-fido2's
``event`` argument while waiting for a touch).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..errors import InternalError, OperationCancelled

T = TypeVar("T")

_context = threading.local()


def current_cancel_event() -> threading.Event:
    """The cancel event of the job running on this thread (a fresh one off-worker)."""
    event = getattr(_context, "cancel", None)
    if event is None:
        return threading.Event()
    assert isinstance(event, threading.Event)
    return event


def check_cancelled() -> None:
    if current_cancel_event().is_set():
        raise OperationCancelled()


def assert_token_thread() -> None:
    """Raise if called outside the token worker thread (backends call this)."""
    if not getattr(_context, "is_worker", False):
        raise InternalError("token call outside the token worker thread")


@dataclass
class TokenJob:
    """A submitted call: its result future and its cancel switch."""

    future: Future[Any]
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        """Ask the running call to stop; a queued call never starts."""
        self.cancel_event.set()
        self.future.cancel()

    def result(self, timeout: float | None = None) -> Any:
        return self.future.result(timeout)


class TokenWorker:
    """A single daemon thread that runs token calls one at a time, in order."""

    def __init__(self, name: str = "keybound-token") -> None:
        self._queue: queue.SimpleQueue[tuple[TokenJob, Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._stopped = False
        self._thread.start()

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> TokenJob:
        if self._stopped:
            raise InternalError("token worker is stopped")
        job = TokenJob(Future())
        self._queue.put((job, lambda: fn(*args, **kwargs)))
        return job

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run on the worker and wait (for CLI code and tests)."""
        if threading.current_thread() is self._thread:
            return fn(*args, **kwargs)
        result: T = self.submit(fn, *args, **kwargs).result()
        return result

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run on the worker from asyncio; cancelling the task cancels the job."""
        job = self.submit(fn, *args, **kwargs)
        try:
            result: T = await asyncio.wrap_future(job.future)
            return result
        except asyncio.CancelledError:
            job.cancel()
            raise

    def stop(self, timeout: float | None = 5.0) -> None:
        if not self._stopped:
            self._stopped = True
            self._queue.put(None)
            if threading.current_thread() is not self._thread:
                self._thread.join(timeout)

    def _run(self) -> None:
        _context.is_worker = True
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, thunk = item
            if not job.future.set_running_or_notify_cancel():
                continue
            if job.cancel_event.is_set():
                job.future.set_exception(OperationCancelled())
                continue
            _context.cancel = job.cancel_event
            try:
                value = thunk()
            except BaseException as exc:  # delivered to the caller, not swallowed
                job.future.set_exception(exc)
            else:
                job.future.set_result(value)
            finally:
                _context.cancel = None
