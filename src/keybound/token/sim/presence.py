"""User presence for the virtual card: the "touch" a test or demo grants.

A real key blinks and waits for a finger; the virtual one asks this object,
which the test, the demo, or `keybound token simulate`'s stdin controls.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable


class PresenceMode(enum.StrEnum):
    GRANT = "grant"  # touched at once
    DENY = "deny"  # declined at once
    DELAY = "delay"  # touched after `delay` seconds
    WAIT = "wait"  # wait for an explicit touch() (or the timeout)


class PresenceResult(enum.Enum):
    PENDING = "pending"
    GRANTED = "granted"
    DENIED = "denied"
    TIMEOUT = "timeout"


class UserPresence:
    """Decides each presence request; thread-safe (stdin control runs on its own thread)."""

    def __init__(
        self,
        mode: PresenceMode = PresenceMode.GRANT,
        delay: float = 0.0,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._mode = mode
        self._delay = delay
        self._timeout = timeout
        self._clock = clock
        self._started: float | None = None
        self._touched = False
        self.requests = 0  # how many times presence was asked (for tests)

    def set(self, mode: PresenceMode, delay: float = 0.0, timeout: float | None = None) -> None:
        with self._lock:
            self._mode = mode
            self._delay = delay
            if timeout is not None:
                self._timeout = timeout

    def touch(self) -> None:
        """Grant the pending (or next) request, as a finger on the key would."""
        with self._lock:
            self._touched = True

    def begin(self) -> None:
        """A command starts waiting for presence."""
        with self._lock:
            self.requests += 1
            self._started = self._clock()

    def poll(self) -> PresenceResult:
        """Decide the pending request now, or say it is still pending."""
        with self._lock:
            started = self._started if self._started is not None else self._clock()
            elapsed = self._clock() - started
            if self._mode is PresenceMode.GRANT:
                result = PresenceResult.GRANTED
            elif self._mode is PresenceMode.DENY:
                result = PresenceResult.DENIED
            elif (self._mode is PresenceMode.DELAY and elapsed >= self._delay) or (
                self._mode is PresenceMode.WAIT and self._touched
            ):
                result = PresenceResult.GRANTED
            elif elapsed >= self._timeout:
                result = PresenceResult.TIMEOUT
            else:
                return PresenceResult.PENDING
            self._touched = False
            self._started = None
            return result

    def wait(
        self, cancelled: Callable[[], bool] = lambda: False, step: float = 0.02
    ) -> PresenceResult:
        """Block until decided (for transports without keepalive polling)."""
        self.begin()
        while True:
            result = self.poll()
            if result is not PresenceResult.PENDING:
                return result
            if cancelled():
                with self._lock:
                    self._started = None
                return PresenceResult.DENIED
            time.sleep(step)
