"""GUI tests: real widgets offscreen on a qasync loop, driven against the real engine.

``QT_QPA_PLATFORM=offscreen`` unless a display is chosen on purpose (the
screenshot tests run under Xvfb).  ``gui_loop`` is the qasync loop over
pytest-qt's ``qapp``; ``arun(coro)`` runs a coroutine on it while Qt keeps
painting and delivering events, and ``until`` waits for a condition on it.
"""

from __future__ import annotations

import asyncio
import faulthandler
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication

from keybound.gui.loop import install_loop

T = TypeVar("T")


@pytest.fixture(scope="session")
def gui_loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = install_loop(qapp)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture(autouse=True)
def no_windows_left(qapp: QApplication) -> Iterator[None]:
    """Close and delete every window a test leaves open.

    A later test that walks ``QApplication.allWidgets()`` (the lock screen's
    "nothing of the history on screen") must see only its own widgets, not an
    earlier test's chat pane.
    """
    yield
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    QCoreApplication.processEvents()


Runner = Callable[..., Any]


@pytest.fixture
def arun(gui_loop: asyncio.AbstractEventLoop) -> Runner:
    """``arun(coro, timeout=30)``: run ``coro`` to completion on the GUI loop.

    A watchdog on a Qt timer of its own stops the loop ``grace`` seconds after the
    timeout and fails the test with every thread's stack: a coroutine that swallows
    its cancellation keeps ``wait_for`` waiting for ever, and while Qt sits idle in
    its event loop neither asyncio's timers nor pytest-timeout's signal get a say.
    """

    def run(coro: Coroutine[Any, Any, T], timeout: float = 30.0, grace: float = 15.0) -> T:
        deadline = time.monotonic() + timeout + grace
        tripped: list[bool] = []

        def check() -> None:
            if not tripped and time.monotonic() > deadline:
                tripped.append(True)
                faulthandler.dump_traceback(all_threads=True)  # what hung, on stderr
                gui_loop.stop()

        watchdog = QTimer()
        watchdog.setInterval(200)
        watchdog.timeout.connect(check)
        watchdog.start()
        try:
            return gui_loop.run_until_complete(asyncio.wait_for(coro, timeout))
        except RuntimeError as exc:
            if tripped:
                raise AssertionError(
                    f"the GUI loop did not finish within {timeout} s + {grace} s of grace"
                    " (stacks above)"
                ) from exc
            raise
        finally:
            watchdog.stop()

    return run


async def until(
    predicate: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0, step: float = 0.02
) -> None:
    """Wait on the GUI loop until ``predicate()`` is true (AssertionError after ``timeout``)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if not isinstance(value, bool):
            value = await value
        if value:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {predicate}")
        await asyncio.sleep(step)
