"""Unlocking by itself when the security key comes back (``keybound listen``, the app).

After the token is pulled out the engine locks (keys dropped).  Rather than
wait for a ``keybound unlock``, a running Keybound looks now and then whether
an enrolled token is plugged in again (``Messenger.probe_token``, which asks
for nothing) and then unlocks once, asking for the PIN on its own
PIN source.  A wrong PIN or a failed unlock ends the watch, so it never uses
up PIN tries on its own: the person unlocks explicitly from then on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from keybound.client.messenger import Messenger
from keybound.errors import KeyboundError

log = logging.getLogger(__name__)


async def unlock_when_back(
    messenger: Messenger,
    *,
    poll_s: float = 1.0,
    on_back: Callable[[], None] = lambda: None,
    on_error: Callable[[KeyboundError], None] = lambda _: None,
) -> bool:
    """Until unlocked: wait for an enrolled token, then unlock once.  True if unlocked."""
    while messenger.locked:
        if await messenger.probe_token():
            on_back()
            try:
                await messenger.unlock()
            except KeyboundError as exc:
                on_error(exc)
                return False
            return not messenger.locked
        await asyncio.sleep(poll_s)
    return True
