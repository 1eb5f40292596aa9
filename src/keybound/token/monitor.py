"""Notice tokens arriving and leaving, within a second.

PC/SC readers are watched with ``SCardGetStatusChange`` (it returns as soon as
pcscd sees a change; pcscd itself polls readers every 400 ms), USB FIDO keys
by listing HID devices twice a second. Events go to a callback on the
monitor's own thread; the GUI forwards them with a signal, the CLI prints.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from smartcard import scard

from .base import Transport

log = logging.getLogger(__name__)

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"


@dataclass(frozen=True)
class PresenceEvent:
    transport: Transport
    reader: str  # PC/SC reader name or HID path
    present: bool


Listener = Callable[[PresenceEvent], None]


def _hid_paths() -> set[str]:
    try:
        from fido2.hid import list_descriptors

        return {str(d.path) for d in list_descriptors()}  # type: ignore[no-untyped-call]
    except Exception:  # no hidraw on this system: nothing to watch
        return set()


class TokenMonitor:
    """A background thread that reports insertions and removals."""

    def __init__(self, listener: Listener, timeout_ms: int = 250, watch_hid: bool = True) -> None:
        self._listener = listener
        self._timeout_ms = timeout_ms
        self._watch_hid = watch_hid
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._present: dict[str, bool] = {}
        self._hid: set[str] = set()
        self._thread = threading.Thread(
            target=self._run, name="keybound-token-monitor", daemon=True
        )

    def start(self) -> TokenMonitor:
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def present_readers(self) -> set[str]:
        return {r for r, p in self._present.items() if p}

    def _emit(self, event: PresenceEvent) -> None:
        try:
            self._listener(event)
        except Exception:
            log.exception("token presence listener failed")

    def _run(self) -> None:
        self._hid = _hid_paths() if self._watch_hid else set()
        last_hid_poll = time.monotonic()
        while not self._stop.is_set():
            context = self._establish()
            if context is None:
                self._ready.set()
                self._stop.wait(0.5)
                continue
            try:
                while not self._stop.is_set():
                    if not self._poll_pcsc(context):
                        break
                    self._ready.set()
                    if self._watch_hid and time.monotonic() - last_hid_poll >= 0.5:
                        last_hid_poll = time.monotonic()
                        self._poll_hid()
            finally:
                scard.SCardReleaseContext(context)

    def _establish(self) -> int | None:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return None
        return int(context)

    def _poll_pcsc(self, context: int) -> bool:
        """One wait for a change; False when the context went bad (pcscd restarted)."""
        hresult, readers = scard.SCardListReaders(context, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            readers = []
        elif hresult != scard.SCARD_S_SUCCESS:
            self._stop.wait(0.25)
            return hresult not in (
                scard.SCARD_E_NO_SERVICE,
                scard.SCARD_E_SERVICE_STOPPED,
                scard.SCARD_E_INVALID_HANDLE,
            )
        for gone in set(self._present) - set(readers):
            if self._present.pop(gone):
                self._emit(PresenceEvent(Transport.PCSC, gone, False))
        states = [(r, scard.SCARD_STATE_UNAWARE) for r in readers]
        states.append((PNP_NOTIFICATION, scard.SCARD_STATE_UNAWARE))
        hresult, states = scard.SCardGetStatusChange(context, 0, states)
        if hresult not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
            self._stop.wait(0.25)
            return True
        self._update(states)
        current = [(r, s & ~scard.SCARD_STATE_CHANGED) for r, s, _atr in states]
        hresult, states = scard.SCardGetStatusChange(context, self._timeout_ms, current)
        if hresult == scard.SCARD_S_SUCCESS:
            self._update(states)
        return True

    def _update(self, states: list[tuple[str, int, list[int]]]) -> None:
        for reader, state, _atr in states:
            if reader == PNP_NOTIFICATION:
                continue
            present = bool(state & scard.SCARD_STATE_PRESENT) and not bool(
                state & scard.SCARD_STATE_MUTE
            )
            if self._present.get(reader, False) != present:
                was_known = reader in self._present
                self._present[reader] = present
                if present or was_known:
                    self._emit(PresenceEvent(Transport.PCSC, reader, present))
            else:
                self._present[reader] = present

    def _poll_hid(self) -> None:
        now = _hid_paths()
        for path in sorted(now - self._hid):
            self._emit(PresenceEvent(Transport.HID, path, True))
        for path in sorted(self._hid - now):
            self._emit(PresenceEvent(Transport.HID, path, False))
        self._hid = now
