"""Is one of this profile's enrolled security keys plugged in?  Told as it changes.

A lock screen shows whether the key is there and asks for the PIN the moment
it arrives, so the engine reports :class:`~keybound.client.events.TokenPresenceChanged`
while locked as well as unlocked.  A token source that can tell when readers
change (:class:`PresenceSource`) calls back on any insertion or removal; the
watch then asks, on the token worker thread, whether an *enrolled* token is
among those present (opening it without a PIN: its public key is enough) and
reports only real changes.  Sources that cannot tell (some test sources) get
one look at the start and no events after.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from keybound.client import account
from keybound.client.profile import Profile
from keybound.client.tokens import PresentTokens, Stop, TokenSource
from keybound.errors import KeyboundError
from keybound.token.monitor import PresenceEvent, TokenMonitor
from keybound.token.prompter import RefusingPrompter
from keybound.token.worker import TokenWorker

log = logging.getLogger(__name__)
RETRIES = 3
RETRY_DELAY_S = 0.4


@runtime_checkable
class PresenceSource(Protocol):
    def watch_presence(self, on_change: Callable[[], None]) -> Stop:
        """Call ``on_change`` (from any thread) whenever a token may have come or gone."""
        ...


def find_enrolled_token(profile: Profile, source: TokenSource) -> str | None:
    """Token worker thread: the reader of an enrolled token ``source`` can open, if any."""
    try:
        known = account.known_keys(profile)
        if not known:
            return None
        token = source.open(RefusingPrompter(), known)
    except KeyboundError as exc:
        log.info("no enrolled token present: %s", type(exc).__name__)
        return None
    reader = token.ref.reader
    with contextlib.suppress(Exception):
        token.close()
    return reader


def watch_present_tokens(on_event: Callable[[PresenceEvent], None]) -> Stop:
    """Every PC/SC reader and USB FIDO key, through :class:`TokenMonitor`."""
    monitor = TokenMonitor(on_event).start()
    return monitor.stop


class PresenceWatch:
    """Follows whether an enrolled token is present and reports each change once."""

    def __init__(
        self,
        profile: Profile,
        source: TokenSource,
        worker: TokenWorker,
        report: Callable[[bool], None],
    ) -> None:
        self._profile = profile
        self._source = source
        self._worker = worker
        self._report = report
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: Stop = lambda: None
        self._check: asyncio.Task[None] | None = None
        self._again = False
        self._patient = False  # the next look retries a silent reader a few times
        self._reader: str | None = None  # where the enrolled token was found
        self.present: bool | None = None  # None until the first look

    def start(self) -> None:
        """Look once now and watch for changes (call on the event loop; once)."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        try:
            if isinstance(self._source, PresenceSource):
                self._stop = self._source.watch_presence(self._changed)
            elif isinstance(self._source, PresentTokens):
                self._stop = watch_present_tokens(self._reader_changed)
        except KeyboundError as exc:
            log.warning("cannot watch for security keys: %s", exc)
        self.recheck(patient=True)

    async def stop(self) -> None:
        self._stop()
        self._stop = lambda: None
        check, self._check = self._check, None
        if check is not None:
            check.cancel()
            with contextlib.suppress(BaseException):
                await check

    def _changed(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._source_changed)

    def _source_changed(self) -> None:
        # Waiting for a key to arrive, be patient with a card that is still waking up;
        # checking whether it left, take the first answer.
        self.recheck(patient=not self.present)

    def _reader_changed(self, event: PresenceEvent) -> None:
        """Monitor thread: a real reader or USB key changed.

        Opening a card to look at it is not free (a PC/SC disconnect powers the
        card down, under any other program using it), so a removal is judged by
        its reader alone, and an insertion is looked at only while no enrolled
        token is known to be present.
        """
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._judge, event)

    def _judge(self, event: PresenceEvent) -> None:
        if not event.present:
            if self.present and event.reader == self._reader:
                self._set(False, None)
        elif not self.present:
            self.recheck(patient=True)  # a card just inserted may need a moment

    def _set(self, present: bool, reader: str | None) -> None:
        self._reader = reader
        if present != self.present:
            self.present = present
            self._report(present)

    def recheck(self, patient: bool = False) -> None:
        """Look again (event loop); looks that overlap collapse into one more."""
        if self._check is not None and not self._check.done():
            self._again = True
            self._patient |= patient
            return
        self._patient = patient
        self._check = asyncio.get_running_loop().create_task(self._look())

    async def _look(self) -> None:
        while True:
            self._again = False
            try:
                reader = await self._probe()
            except KeyboundError as exc:  # the worker stopped: we are closing
                log.info("presence check failed: %s", type(exc).__name__)
                return
            self._set(reader is not None, reader)
            if not self._again:
                return

    async def _probe(self) -> str | None:
        """Look, and look again a few times if nothing answers: a key just plugged in
        (or one another program is talking to) may need a moment before it does."""
        retries = RETRIES if self._patient else 0
        self._patient = False
        for attempt in range(retries + 1):
            reader = await self._worker.run(find_enrolled_token, self._profile, self._source)
            if reader is not None:
                return reader
            if attempt < retries:
                await asyncio.sleep(RETRY_DELAY_S)
        return None
