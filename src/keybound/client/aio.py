"""Small asyncio helpers shared by the engine's tasks."""

from __future__ import annotations

import asyncio
import contextlib

from keybound.errors import UserFacingError


async def wait(event: asyncio.Event, timeout: float | None) -> None:
    """Until ``event`` is set (or ``timeout`` seconds pass); then clear it.

    Not ``asyncio.wait_for``: on Python 3.11 it swallows a cancellation that
    arrives while the event is being set (it returns the result instead), so a
    ``while True`` loop around it outlived ``Session.stop`` and locking hung on
    it.  ``asyncio.timeout`` tells its own cancellation from the caller's.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()
    event.clear()


def sentence(exc: BaseException) -> str:
    """What to tell a person about ``exc`` (never its internals)."""
    if isinstance(exc, UserFacingError):
        return str(exc)
    return f"Something went wrong inside Keybound ({type(exc).__name__})."
