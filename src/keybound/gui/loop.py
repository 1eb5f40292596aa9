"""One event loop for Qt and asyncio: the engine's coroutines run on Qt's loop (qasync).

PySide6's own QtAsyncio cannot open network connections, so qasync it is.  The
engine already keeps database and token work on their own threads, so the
loop (and with it the GUI thread) only paints and shuffles events.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

import qasync
from PySide6.QtWidgets import QApplication


def application(argv: Sequence[str] | None = None) -> QApplication:
    """The process's QApplication (made once)."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(list(argv if argv is not None else sys.argv[:1]))
    app.setApplicationName("Keybound")
    app.setOrganizationName("Keybound")
    app.setDesktopFileName("keybound")
    return app


def install_loop(app: QApplication) -> asyncio.AbstractEventLoop:
    """Make a qasync loop over ``app`` the current asyncio loop and return it."""
    loop: asyncio.AbstractEventLoop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    return loop
