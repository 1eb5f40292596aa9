"""Time and randomness, injected so tests can run the engine on a fake clock.

Every place in the engine that needs "now" or random bytes takes them from one
:class:`Environment`; nothing reads ``time.time()`` or ``secrets`` directly.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Environment:
    """``now_ms``: wall-clock Unix milliseconds; ``random``: n bytes from a CSPRNG."""

    now_ms: Callable[[], int] = field(default=_wall_ms)
    random: Callable[[int], bytes] = field(default=secrets.token_bytes)

    def now_s(self) -> int:
        return self.now_ms() // 1000
