"""Small asyncio helpers shared by the engine's tasks."""

from __future__ import annotations

import asyncio
import contextlib

from keybound.errors import UserFacingError


async def wait(event: asyncio.Event, timeout: float | None) -> None:
    """Until ``event`` is set (or ``timeout`` seconds pass); then clear it."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)
    event.clear()


def sentence(exc: BaseException) -> str:
    """What to tell a person about ``exc`` (never its internals)."""
    if isinstance(exc, UserFacingError):
        return str(exc)
    return f"Something went wrong inside Keybound ({type(exc).__name__})."
