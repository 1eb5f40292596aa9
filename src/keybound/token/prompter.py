"""How a token asks the person for a PIN or a touch.

Tokens never talk to the person directly (Electrum's hardware "handler"
pattern): the GUI and the CLI each inject a :class:`Prompter`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .base import PinKind, TokenRef


@dataclass(frozen=True)
class PinRequest:
    token: TokenRef
    kind: PinKind
    retries_left: int | None
    purpose: str  # e.g. "sign", "unlock", "enroll": shown to the person


class Prompter(Protocol):
    def ask_pin(self, request: PinRequest) -> str | None:
        """Return the PIN, or None if the person cancelled."""

    def touch_needed(self, token: TokenRef) -> None:
        """The token waits for a touch; show it (e.g. "Touch your key")."""

    def touch_done(self, token: TokenRef) -> None:
        """The wait for a touch is over (touched, declined or timed out)."""


class RefusingPrompter:
    """Asks nothing: every PIN is refused and touches are not shown.

    For looking at a token (which one is plugged in, what it holds) where a
    question to the person would be wrong; a token that asks anyway is told no.
    """

    def ask_pin(self, request: PinRequest) -> str | None:
        return None

    def touch_needed(self, token: TokenRef) -> None:
        return None

    def touch_done(self, token: TokenRef) -> None:
        return None


class FixedPinPrompter:
    """Answers PIN requests from a map given up front (CLI --pin-fd, tests).

    Records the requests and touch events it saw, so tests can assert on them.
    """

    def __init__(
        self,
        pins: dict[PinKind, str] | None = None,
        on_touch: Callable[[TokenRef], None] | None = None,
    ) -> None:
        self._pins = dict(pins or {})
        self._on_touch = on_touch
        self._lock = threading.Lock()
        self.requests: list[PinRequest] = []
        self.touches: list[str] = []

    def set_pin(self, kind: PinKind, pin: str) -> None:
        self._pins[kind] = pin

    def ask_pin(self, request: PinRequest) -> str | None:
        with self._lock:
            self.requests.append(request)
        return self._pins.get(request.kind)

    def touch_needed(self, token: TokenRef) -> None:
        with self._lock:
            self.touches.append("needed")
        if self._on_touch is not None:
            self._on_touch(token)

    def touch_done(self, token: TokenRef) -> None:
        with self._lock:
            self.touches.append("done")
