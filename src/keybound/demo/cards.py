"""The demo's virtual cards: in a vpcd reader of the real pcscd, or in-process as a fallback.

Each person gets a fresh virtual OpenPGP card.  With pcscd and the vpcd
readers ("Virtual PCD 00 00" and "00 01", ports 35963/35964) the card sits in
its own reader and the app finds it through PC/SC exactly as it would a
YubiKey; pulling it out closes the vpcd link, so pcscd sees the card leave.
Without pcscd the card is called in-process, and pulling it out makes every
open transport fail and tells the engine's watchers.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TextIO

from keybound.client.tokens import TokenSource
from keybound.errors import KeyboundError, TokenNotFound
from keybound.token import pcsc
from keybound.token.base import PublicKey, Token, TokenRef, Transport
from keybound.token.monitor import PresenceEvent, TokenMonitor
from keybound.token.openpgp import OpenPgpToken
from keybound.token.prompter import Prompter
from keybound.token.sim import build_card
from keybound.token.sim.card import VirtualCard
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.sim.vpcd import VpcdLink

VPCD_READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")
VPCD_PORT = 35963  # slot 0; slot 1 is the next port


class DemoCard(Protocol):
    """One person's card, as the demo panel drives it."""

    source: TokenSource
    where: str  # for people: "reader Virtual PCD 00 00" or "in-process"

    @property
    def inserted(self) -> bool: ...

    def insert(self) -> None: ...

    def remove(self) -> None: ...

    def touch(self) -> None: ...

    def close(self) -> None: ...


# the machine-wide lock of tests/conftest.py (same path), not a temporary file
VPCD_LOCK = Path(os.environ.get("KEYBOUND_VPCD_LOCK", "/tmp/keybound-vpcd.lock"))  # noqa: S108
LOCK_HELD_BY_CALLER = "KEYBOUND_VPCD_LOCK_HELD"  # "1": whoever started us holds the lock
_held: list[TextIO] = []


def hold_vpcd_readers(out: TextIO, timeout: float = 60.0) -> bool | None:
    """Take the machine's vpcd lock (the test suite's too) for this process's life.

    The vpcd readers are machine-wide: a demo must not put its cards into a
    reader a test is using.  True: held (or held by our caller); None: still busy
    after ``timeout`` seconds.
    """
    if os.environ.get(LOCK_HELD_BY_CALLER) == "1":
        return True
    handle = VPCD_LOCK.open("a")
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                return None
            if not told:
                print("demo: waiting for the vpcd readers (a test is using them)", file=out)
                told = True
            time.sleep(0.2)
            continue
        _held.append(handle)  # released when the process ends
        return True


def pcscd_readers() -> tuple[str, ...] | str:
    """The two vpcd readers, or the reason they cannot be used."""
    try:
        names = pcsc.list_readers()
    except KeyboundError as exc:
        return f"pcscd is not reachable ({exc})"
    missing = [r for r in VPCD_READERS if r not in names]
    if missing:
        return f"pcscd has no vpcd reader {missing[0]!r} (is vsmartcard-vpcd installed?)"
    busy = [r for r in VPCD_READERS if pcsc.card_present(r)]
    if busy:
        return f"the vpcd reader {busy[0]!r} already holds a card"
    return VPCD_READERS


def _wait(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


class ReaderTokens:
    """A token source that only ever talks to one PC/SC reader.

    ``PresentTokens`` looks at every reader to find a token, and each look ends
    with a disconnect that powers the card down, under whoever else is using it
    (the other demo window, or a test on this machine).  The demo's windows each
    know their reader, so they touch nothing else.
    """

    def __init__(self, reader: str) -> None:
        self.reader = reader

    def open(self, prompter: Prompter, known: Sequence[PublicKey]) -> Token:
        token = OpenPgpToken(pcsc.PcscTransport(self.reader), prompter, Transport.PCSC)
        try:
            if known and token.public_key() not in known:
                raise TokenNotFound("The card in the demo reader is not enrolled here.")
        except BaseException:
            token.close()
            raise
        return token

    def watch(self, ref: TokenRef, on_removed: Callable[[], None]) -> Callable[[], None]:
        def listener(event: PresenceEvent) -> None:
            if event.reader == self.reader and not event.present:
                on_removed()

        return TokenMonitor(listener, watch_hid=False).start().stop

    def watch_presence(self, on_change: Callable[[], None]) -> Callable[[], None]:
        def listener(event: PresenceEvent) -> None:
            if event.reader == self.reader:
                on_change()

        return TokenMonitor(listener, watch_hid=False).start().stop


class VpcdCard:
    """A virtual card in one vpcd reader of the real pcscd."""

    def __init__(self, state: Path, reader: str, port: int) -> None:
        self.card: VirtualCard = build_card("openpgp", state)
        self.reader = reader
        self.where = f"reader {reader} (pcscd)"
        self.link = VpcdLink(self.card, port=port)
        self.source: TokenSource = ReaderTokens(reader)
        self._inserted = False
        self.link.start(inserted=False)
        self.insert()

    @property
    def inserted(self) -> bool:
        return self._inserted

    def insert(self) -> None:
        self.link.insert()
        self._inserted = True
        if not _wait(lambda: pcsc.card_present(self.reader)):
            raise TokenNotFound(f"The virtual card never appeared in {self.reader}.")

    def remove(self) -> None:
        self.link.remove()
        self._inserted = False
        _wait(lambda: not pcsc.card_present(self.reader), 5)

    def touch(self) -> None:
        self.card.presence.touch()

    def close(self) -> None:
        self.link.stop()


class InProcessCard:
    """A virtual card called directly (no pcscd); also a ``presence.PresenceSource``."""

    def __init__(self, state: Path, name: str) -> None:
        self.card: VirtualCard = build_card("openpgp", state)
        self.where = "in-process (no pcscd)"
        self._name = name
        self._present = True
        self._transports: list[InProcessTransport] = []
        self._removal: list[Callable[[], None]] = []
        self._presence: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self.source: TokenSource = self

    @property
    def inserted(self) -> bool:
        return self._present

    # --- TokenSource ----------------------------------------------------------------

    def open(self, prompter: Prompter, known: Sequence[PublicKey]) -> Token:
        if not self._present:
            raise TokenNotFound("None of the security keys enrolled for this profile is connected.")
        transport = InProcessTransport(self.card, f"in-process card of {self._name}")
        self._transports.append(transport)
        token = OpenPgpToken(transport, prompter, Transport.INPROCESS)
        if known and token.public_key() not in known:
            raise TokenNotFound("None of the security keys enrolled for this profile is connected.")
        return token

    def watch(self, ref: TokenRef, on_removed: Callable[[], None]) -> Callable[[], None]:
        return self._listen(self._removal, on_removed)

    def watch_presence(self, on_change: Callable[[], None]) -> Callable[[], None]:
        return self._listen(self._presence, on_change)

    def _listen(
        self, listeners: list[Callable[[], None]], fn: Callable[[], None]
    ) -> Callable[[], None]:
        with self._lock:
            listeners.append(fn)

        def stop() -> None:
            with self._lock:
                if fn in listeners:
                    listeners.remove(fn)

        return stop

    # --- the panel --------------------------------------------------------------------

    def insert(self) -> None:
        self._present = True
        self._tell(self._presence)

    def remove(self) -> None:
        self._present = False
        for transport in self._transports:
            transport.removed = True
        self._transports.clear()
        self._tell(self._removal)
        self._tell(self._presence)

    def touch(self) -> None:
        self.card.presence.touch()

    def close(self) -> None:
        return None

    def _tell(self, listeners: list[Callable[[], None]]) -> None:
        with self._lock:
            todo = list(listeners)
        for fn in todo:
            fn()
