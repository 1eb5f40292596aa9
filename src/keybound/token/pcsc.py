"""PC/SC through pyscard: list readers, connect, send APDUs.

pyscard's exceptions are turned into our errors here, in one place:
a vanished card is ``TokenRemoved``, a missing pcscd is ``PcscUnavailable``.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from smartcard import scard
from smartcard.CardConnection import CardConnection
from smartcard.Exceptions import CardConnectionException, NoCardException
from smartcard.pcsc.PCSCExceptions import EstablishContextException, ListReadersException
from smartcard.scard import (
    SCARD_E_NO_SERVICE,
    SCARD_E_NO_SMARTCARD,
    SCARD_E_READER_UNAVAILABLE,
    SCARD_E_SERVICE_STOPPED,
    SCARD_W_REMOVED_CARD,
    SCARD_W_RESET_CARD,
)
from smartcard.System import readers as _readers

from ..errors import PcscUnavailable, TokenCommunicationError, TokenNotFound, TokenRemoved

# Right after a card is pulled, pcscd first fails a transmit with "transaction
# failed" and reports the removal only a few hundred milliseconds later.
REMOVAL_SETTLE_SECONDS = 1.5

_REMOVED = {SCARD_W_REMOVED_CARD, SCARD_E_NO_SMARTCARD, SCARD_E_READER_UNAVAILABLE}
_NO_SERVICE = {SCARD_E_NO_SERVICE, SCARD_E_SERVICE_STOPPED}


def _hresult(exc: BaseException) -> int | None:
    value = getattr(exc, "hresult", None)
    if isinstance(value, int):
        return value & 0xFFFFFFFF
    return None


def translate(exc: BaseException) -> Exception:
    """Map a pyscard exception to the Keybound error a person should see."""
    code = _hresult(exc)
    if code in _NO_SERVICE or isinstance(exc, EstablishContextException):
        return PcscUnavailable()
    if code in _REMOVED or isinstance(exc, NoCardException):
        return TokenRemoved()
    if code == SCARD_W_RESET_CARD:
        return TokenCommunicationError("The card was reset by another program. Try again.")
    text = str(exc).lower()
    if "removed" in text or "no smart card" in text or "unavailable" in text:
        return TokenRemoved()
    return TokenCommunicationError("The smartcard reader reported an error.")


def list_readers() -> list[str]:
    """Names of all PC/SC readers (empty when pcscd runs but has none)."""
    try:
        return [str(r) for r in _readers()]
    except ListReadersException as exc:
        if _hresult(exc) in _NO_SERVICE:
            raise PcscUnavailable() from None
        return []  # SCARD_E_NO_READERS_AVAILABLE
    except EstablishContextException:
        raise PcscUnavailable() from None


def card_present(reader: str) -> bool:
    """Whether pcscd sees a card in ``reader``, without connecting to it."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        raise PcscUnavailable()
    try:
        hresult, states = scard.SCardGetStatusChange(
            context, 0, [(reader, scard.SCARD_STATE_UNAWARE)]
        )
        if hresult != scard.SCARD_S_SUCCESS:
            return False
        _name, state, _atr = states[0]
        return bool(state & scard.SCARD_STATE_PRESENT) and not state & scard.SCARD_STATE_MUTE
    finally:
        scard.SCardReleaseContext(context)


def connect(reader: str) -> Any:
    """An open pyscard connection (T=1 preferred) to the card in ``reader``."""
    matches = [r for r in _readers() if str(r) == reader]
    if not matches:
        raise TokenNotFound(f"The reader {reader!r} is not connected.")
    connection = matches[0].createConnection()
    try:
        connection.connect(CardConnection.T1_protocol | CardConnection.T0_protocol)
    except (CardConnectionException, NoCardException) as exc:
        raise translate(exc) from None
    return connection


class PcscTransport:
    """An ``ApduTransport`` over one pyscard connection."""

    def __init__(self, reader: str, connection: Any | None = None) -> None:
        self._reader = reader
        self._connection = connection if connection is not None else connect(reader)

    @property
    def name(self) -> str:
        return self._reader

    @property
    def connection(self) -> Any:
        return self._connection

    @property
    def atr(self) -> bytes:
        return bytes(self._connection.getATR() or b"")

    def transmit(self, apdu: bytes) -> bytes:
        try:
            data, sw1, sw2 = self._connection.transmit(list(apdu))
        except CardConnectionException as exc:
            error = translate(exc)
            if not isinstance(error, TokenRemoved) and self._card_gone():
                error = TokenRemoved()
            raise error from None
        return bytes(data) + bytes((sw1, sw2))

    def _card_gone(self) -> bool:
        """Was that failure a pulled card? Ask the reader until pcscd has settled."""
        deadline = time.monotonic() + REMOVAL_SETTLE_SECONDS
        while time.monotonic() < deadline:
            try:
                self._connection.getATR()
            except CardConnectionException as exc:
                return isinstance(translate(exc), TokenRemoved)
            if not card_present(self._reader):
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        with contextlib.suppress(CardConnectionException):
            self._connection.disconnect()
