"""Which token the engine uses, and noticing when it is pulled out.

A :class:`TokenSource` opens the token to use (on the token worker thread)
and watches it.  :class:`PresentTokens` is the real one: it looks at every
connected OpenPGP card and FIDO2 key, and when the profile already has
enrolled tokens it opens whichever of them is present.  Tests pass a source
that opens an in-process virtual card.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from keybound.errors import KeyboundError, NoKeysOnToken, TokenNotFound
from keybound.token.base import PublicKey, Token, TokenKind, TokenRef, Transport
from keybound.token.discovery import list_tokens, open_token, select
from keybound.token.monitor import PresenceEvent, TokenMonitor
from keybound.token.prompter import Prompter

Stop = Callable[[], None]


class TokenSource(Protocol):
    def open(self, prompter: Prompter, known: Sequence[PublicKey]) -> Token:
        """Open the token to use; token worker thread only.

        ``known`` empty: the one present token (a new account).  Otherwise a
        token whose signing key is one of ``known`` (:class:`TokenNotFound` if none).
        """
        ...

    def watch(self, ref: TokenRef, on_removed: Callable[[], None]) -> Stop:
        """Call ``on_removed`` (from any thread) when ``ref`` goes away; returns a stop function."""
        ...


class PresentTokens:
    """The tokens connected to this computer, optionally narrowed down."""

    def __init__(
        self, kind: TokenKind | None = None, serial: str | None = None, reader: str | None = None
    ) -> None:
        self.kind, self.serial, self.reader = kind, serial, reader

    def open(self, prompter: Prompter, known: Sequence[PublicKey]) -> Token:
        refs = list_tokens()
        if not known:
            return open_token(select(refs, self.kind, self.serial, self.reader), prompter)
        for ref in refs:
            if self.kind not in (None, ref.kind) or self.reader not in (None, ref.reader):
                continue
            try:
                token = open_token(ref, prompter, known)
            except KeyboundError:
                continue
            try:
                if token.public_key() in known:
                    return token
            except (NoKeysOnToken, KeyboundError):
                pass
            token.close()
        raise TokenNotFound(
            "None of the security keys enrolled for this profile is connected. Plug one in."
        )

    def watch(self, ref: TokenRef, on_removed: Callable[[], None]) -> Stop:
        if ref.transport not in (Transport.PCSC, Transport.HID):
            return lambda: None

        def listener(event: PresenceEvent) -> None:
            if event.reader == ref.reader and not event.present:
                on_removed()

        monitor = TokenMonitor(listener, watch_hid=ref.transport is Transport.HID).start()
        return monitor.stop
