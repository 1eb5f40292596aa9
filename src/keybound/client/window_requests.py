"""Requests for the app's window over the daemon socket: a second start raises the first.

``keybound`` (or ``keybound gui``) started while the app already holds the
profile would fail on the profile lock; instead it asks the running process,
through ``<profile>/daemon.sock``, to show its window (``window.raise``) and
exits.  The op is registered in the daemon's :data:`~keybound.client.daemon.OPS`
table when this module is imported (the app imports it); only a process that
registered a window answers it, so a ``keybound listen`` holding the profile
says so instead of pretending.  The op works while locked and reveals nothing.

``window.open_link`` does the same for a ``keybound://`` link opened on the
desktop (``keybound gui URL``, the handler the .desktop file registers): the
running window shows it in its Add contact dialog, after unlocking if it is
locked.  Only the link's length is checked here; the dialog reads it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from keybound.client.daemon import OPS, DaemonClient, Service
from keybound.client.daemon_json import Json
from keybound.client.messenger import Messenger
from keybound.errors import InvalidInvite, NoWindow

RAISE_WINDOW = "window.raise"
OPEN_LINK = "window.open_link"
MAX_LINK = 2048  # as identity.fingerprint.parse_invite

_windows: weakref.WeakKeyDictionary[Messenger, Callable[[], None]] = weakref.WeakKeyDictionary()
_links: weakref.WeakKeyDictionary[Messenger, Callable[[str], None]] = weakref.WeakKeyDictionary()


def register_window(
    messenger: Messenger, show: Callable[[], None], open_link: Callable[[str], None] | None = None
) -> None:
    """``show()`` runs on the event loop when another start asks for the window;
    ``open_link(url)`` when it hands over a ``keybound://`` link."""
    _windows[messenger] = show
    if open_link is not None:
        _links[messenger] = open_link


def unregister_window(messenger: Messenger) -> None:
    _windows.pop(messenger, None)
    _links.pop(messenger, None)


async def _raise_window(service: Service, args: dict[str, Any]) -> Json:
    show = _windows.get(service.m)
    if show is None:
        raise NoWindow()
    show()
    return {"raised": True}


async def _open_link(service: Service, args: dict[str, Any]) -> Json:
    open_link = _links.get(service.m)
    if open_link is None:
        raise NoWindow()
    link = args.get("link")
    if not isinstance(link, str) or not link or len(link) > MAX_LINK:
        raise InvalidInvite("it is not a keybound:// link of a sensible length")
    open_link(link)
    return {"opened": True}


OPS[RAISE_WINDOW] = _raise_window
OPS[OPEN_LINK] = _open_link


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


async def open_link_running(profile: Path, link: str, timeout: float = 5.0) -> None:
    """Hand ``link`` to the window of the process holding ``profile`` (errors as
    :func:`raise_running`)."""
    client = await DaemonClient.connect(profile, timeout)
    try:
        await client.call(OPEN_LINK, {"link": link})
    finally:
        await client.close()
