"""python-fido2 ``CtapDevice`` over Keybound's APDU transports.

``CtapPcscDevice`` only needs a pyscard-like connection (connect, transmit,
getATR, disconnect). Giving it :class:`_TransportConnection` instead of a raw
pyscard connection routes every APDU through our ``ApduTransport``, so a
pulled card surfaces as ``TokenRemoved`` the same way for PC/SC and for the
in-process virtual card, and tests run the real NFC binding without pcscd.
"""

from __future__ import annotations

from typing import Any, cast

from fido2.ctap import CtapDevice
from fido2.pcsc import CtapPcscDevice

from ..errors import TokenCommunicationError, UnsupportedToken
from .apdu import ApduTransport


class _TransportConnection:
    """Looks like a connected pyscard connection, backed by our ``ApduTransport``."""

    def __init__(self, transport: ApduTransport) -> None:
        self._transport = transport

    def connect(self, *args: Any, **kwargs: Any) -> None:
        return None  # the transport is already connected

    def transmit(self, apdu: list[int], protocol: int | None = None) -> tuple[list[int], int, int]:
        raw = self._transport.transmit(bytes(apdu))
        if len(raw) < 2:
            raise TokenCommunicationError("The security key sent a response too short to read.")
        return list(raw[:-2]), raw[-2], raw[-1]

    def getATR(self) -> list[int]:  # pyscard's spelling
        atr = getattr(self._transport, "atr", b"")
        return list(atr)

    def disconnect(self) -> None:
        self._transport.close()


def inprocess_device(transport: ApduTransport) -> CtapDevice:
    """A python-fido2 ``CtapDevice`` over any APDU transport (the in-process card in tests)."""
    try:
        return CtapPcscDevice(cast(Any, _TransportConnection(transport)), transport.name)
    except ValueError:
        raise UnsupportedToken("This card has no FIDO2 application.") from None
