"""Message IDs: 16 bytes that are unique and sort by creation time.

ULID layout: a 48-bit big-endian millisecond timestamp, then 80 random bits.
Sorting the raw bytes sorts by time, which keeps the history table's index
append-mostly; 80 random bits make collisions within one millisecond
negligible.  Time and randomness are inputs so that tests are deterministic.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

MESSAGE_ID_SIZE = 16
_RANDOM_SIZE = 10
_MAX_MS = (1 << 48) - 1


def new_message_id(now_ms: int, random: Callable[[int], bytes] = secrets.token_bytes) -> bytes:
    """A fresh message ID for a message created at ``now_ms`` (Unix milliseconds)."""
    if not 0 <= now_ms <= _MAX_MS:
        raise ValueError("timestamp out of the 48-bit millisecond range")
    tail = random(_RANDOM_SIZE)
    if len(tail) != _RANDOM_SIZE:
        raise ValueError("the random source returned the wrong number of bytes")
    return now_ms.to_bytes(6, "big") + tail


def message_id_time(message_id: bytes) -> int:
    """The creation time (Unix milliseconds) encoded in ``message_id``."""
    if len(message_id) != MESSAGE_ID_SIZE:
        raise ValueError("a message ID is 16 bytes")
    return int.from_bytes(message_id[:6], "big")
