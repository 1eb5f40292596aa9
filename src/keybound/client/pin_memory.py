"""Ask each PIN once per onboarding flow.

Setting up an account touches the token several times (set the PIN, unlock
the new vault, sign the identity document), and an OpenPGP card's signing
PIN is good for one signature only, so a plain prompter asked four times.
:class:`RememberingPrompter` answers every later request for a PIN it has
already been given (typed by the person, or the new PIN chosen a moment ago)
and asks the real prompter only for PINs it does not know yet.  It lives for
one flow and is dropped with it; nothing is written anywhere.

A wrong PIN ends the flow (the error says how many tries are left), so a
remembered PIN is never tried a second time.
"""

from __future__ import annotations

import threading

from keybound.token.base import EnrollOptions, PinKind, TokenRef
from keybound.token.prompter import PinRequest, Prompter


class RememberingPrompter:
    """A :class:`~keybound.token.prompter.Prompter` that asks each kind of PIN once."""

    def __init__(self, inner: Prompter, known: dict[PinKind, str] | None = None) -> None:
        self._inner = inner
        self._known = dict(known or {})
        self._lock = threading.Lock()

    @classmethod
    def for_enrollment(
        cls, inner: Prompter, enroll: EnrollOptions | None, pin: str | None = None
    ) -> RememberingPrompter:
        """Seeded with the PINs an enrollment sets or names (the new ones win)."""
        known: dict[PinKind, str] = {}
        user = (enroll.user_pin or enroll.current_user_pin) if enroll else None
        admin = (enroll.admin_pin or enroll.current_admin_pin) if enroll else None
        if user or pin:
            known[PinKind.USER] = user or pin or ""
        if admin:
            known[PinKind.ADMIN] = admin
        return cls(inner, known)

    def ask_pin(self, request: PinRequest) -> str | None:
        with self._lock:
            pin = self._known.get(request.kind)
        if pin is not None:
            return pin
        pin = self._inner.ask_pin(request)
        if pin is not None:
            with self._lock:
                self._known[request.kind] = pin
        return pin

    def touch_needed(self, token: TokenRef) -> None:
        self._inner.touch_needed(token)

    def touch_done(self, token: TokenRef) -> None:
        self._inner.touch_done(token)
