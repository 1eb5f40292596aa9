"""Requests for the app's window over the daemon socket: a second start raises the first.

``keybound`` (or ``keybound gui``) started while the app already holds the
profile would fail on the profile lock; instead it asks the running process,
through ``<profile>/daemon.sock``, to show its window (``window.raise``) and
exits.  The op is registered in the daemon's :data:`~keybound.client.daemon.OPS`
table when this module is imported (the app imports it); only a process that
registered a window answers it, so a ``keybound listen`` holding the profile
says so instead of pretending.  The op works while locked and reveals nothing.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from keybound.client.daemon import OPS, DaemonClient, Json, Service
from keybound.client.messenger import Messenger
from keybound.errors import NoWindow

RAISE_WINDOW = "window.raise"

_windows: weakref.WeakKeyDictionary[Messenger, Callable[[], None]] = weakref.WeakKeyDictionary()


def register_window(messenger: Messenger, show: Callable[[], None]) -> None:
    """``show()`` runs on the event loop when another start asks for the window."""
    _windows[messenger] = show


def unregister_window(messenger: Messenger) -> None:
    _windows.pop(messenger, None)


async def _raise_window(service: Service, args: dict[str, Any]) -> Json:
    show = _windows.get(service.m)
    if show is None:
        raise NoWindow()
    show()
    return {"raised": True}


OPS[RAISE_WINDOW] = _raise_window


async def raise_running(profile: Path, timeout: float = 5.0) -> None:
    """Ask the process holding ``profile`` to show its window.

    Raises ``DaemonUnavailable`` when nobody answers, and ``DaemonRequestFailed``
    (its text for people) when the holder has no window.
    """
    client = await DaemonClient.connect(profile, timeout)
    try:
        await client.call(RAISE_WINDOW)
    finally:
        await client.close()
