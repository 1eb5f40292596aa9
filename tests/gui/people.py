"""People for GUI tests whose engines live outside the GUI loop.

A Messenger kept alive across tests on the qasync loop runs callbacks whenever
Qt processes events, also between tests (pytest-qt processes events in its
hooks), when no asyncio loop is running: its tasks then fail.  So the module's
people live on their own asyncio loop in a background thread
(:class:`Backstage`); a test reaches them with ``await backstage.call(coro)``,
and the window under test opens its profile on the GUI loop for the test's
duration only.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class Backstage:
    """An asyncio loop on a daemon thread for the engines a test talks to."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="backstage", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """From a plain (non-async) context: run ``coro`` there and wait."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """From the GUI loop: run ``coro`` there without blocking the GUI loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
