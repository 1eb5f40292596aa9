"""What a connection costs the relay's memory, and giving it back afterwards.

Two things made a flood of idle connections expensive and permanent:

- asyncio's TLS layer gives every connection a 256 KiB read buffer
  (``asyncio.sslproto.SSLProtocol.max_size``), touched at the handshake:
  2,000 idle TLS connections held over 500 MB.  A TLS record carries at most
  16 KiB, so :func:`limit_tls_read_buffer` makes it 32 KiB (two records per
  read); bulk reads only take more, cheaper calls.
- Buffers of that size come from glibc's heap once its mmap threshold has
  moved up, and a heap fragmented by thousands of freed buffers is not
  returned to the system.  :class:`HeapTrimmer` calls ``malloc_trim(0)``
  (which also releases free pages inside the heap) shortly after many
  connections have closed, so RSS goes back near where it was.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable

from keybound.relay.logs import log_event

log = logging.getLogger("keybound.relay")

TLS_READ_BUFFER = 32 * 1024
TRIM_AFTER_CLOSED = 100  # connections closed since the busiest moment before a trim
TRIM_DELAY_S = 2.0  # let a wave of closes finish first
_MIN_WAVE = 16


def limit_tls_read_buffer(size: int = TLS_READ_BUFFER) -> None:
    """Make asyncio's per-connection TLS read buffer ``size`` bytes (process-wide:
    call it in the relay process only)."""
    from asyncio import sslproto

    sslproto.SSLProtocol.max_size = size


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None on another C library."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    result: Callable[[int], int] = trim
    return result


class HeapTrimmer:
    """Returns freed memory to the system after a wave of closed connections.

    The server reports the number of open connections after every open and
    close; once ``after_closed`` fewer (or half, if fewer were open, but at
    least 16) are open than at the busiest moment since the last trim, a
    trim runs ``delay_s`` later (one at a time).  It first runs the cyclic
    garbage collector: a closed connection's objects form cycles that would
    otherwise wait for a rare full collection.  Both take milliseconds, once
    per wave of closes, never per connection.
    """

    def __init__(
        self,
        after_closed: int = TRIM_AFTER_CLOSED,
        delay_s: float = TRIM_DELAY_S,
        trim: Callable[[int], int] | None = None,
    ) -> None:
        self._after_closed = after_closed
        self._delay_s = delay_s
        self._trim = trim if trim is not None else _malloc_trim()
        self._peak = 0
        self._open = 0
        self._pending: asyncio.TimerHandle | None = None
        self.trims = 0

    def opened(self, total: int) -> None:
        self._open = total
        self._peak = max(self._peak, total)

    def closed(self, total: int) -> None:
        self._open = total
        if self._trim is None or self._pending is not None:
            return
        # a wave: ``after_closed`` gone, or half of a smaller crowd (the last
        # stragglers of a flood), never the churn of a handful
        wave = max(min(self._after_closed, self._peak // 2), _MIN_WAVE)
        if self._peak - total >= wave:
            loop = asyncio.get_running_loop()
            self._pending = loop.call_later(self._delay_s, self._run)

    def _run(self) -> None:
        self._pending = None
        self._peak = self._open
        if self._trim is None:
            return
        collected = gc.collect()
        released = self._trim(0)
        self.trims += 1
        log_event(
            log, "heap_trimmed", open=self._open, collected=collected, released=bool(released)
        )

    def stop(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
