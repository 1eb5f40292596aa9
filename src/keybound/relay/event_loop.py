"""Which asyncio event loop the relay runs on.

Where the relay's own CPU is the limit (framing, TLS, the storage driver's
callbacks), uvloop's libuv loop costs less per message than asyncio's
selector loop.  It is a dependency of the relay only (the ``relay`` extra:
``pip install 'keybound[relay]'``); the desktop app runs on Qt's loop.
``auto`` takes uvloop when it is installed and asyncio's loop otherwise.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable

CHOICES = ("auto", "asyncio", "uvloop")

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


class LoopUnavailable(Exception):
    """``--event-loop uvloop`` without uvloop installed."""


def loop_factory(choice: str) -> tuple[str, LoopFactory | None]:
    """The loop's name and its factory (None: asyncio's default loop)."""
    if choice not in CHOICES:
        raise ValueError(f"unknown event loop {choice!r}")
    if choice == "asyncio":
        return "asyncio", None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        if choice == "uvloop":
            raise LoopUnavailable(
                "--event-loop uvloop needs the uvloop package: pip install 'keybound[relay]'"
            ) from None
        return "asyncio", None
    factory: LoopFactory = uvloop.new_event_loop
    return "uvloop", factory
