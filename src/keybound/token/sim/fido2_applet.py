"""The FIDO2 applet of the virtual card: CTAP 2.1 over the ISO 7816 / NFC binding.

Transport rules (CTAP 2.1 §11.3, as ``fido2.pcsc.CtapPcscDevice`` speaks them):

- SELECT A0000006472F0001 answers ``FIDO_2_0`` (CTAP2 only, no U2F).
- NFCCTAP_MSG (CLA 80, INS 10) carries one CTAP request; long requests come
  in ISO chaining (CLA bit 0x10); long responses leave with 61xx and are
  fetched with GET RESPONSE (INS C0).
- When a request needs a touch and P1 has bit 0x80 (the platform can poll),
  the applet answers SW 9100 with status byte 02 (UPNEEDED) and the platform
  polls with NFCCTAP_GETRESPONSE (INS 11); P1 = 0x11 there cancels. Without
  bit 0x80 the applet blocks until the touch is decided.

``process`` runs under the card lock, so with polling it must return at
once: the pending operation is kept between APDUs, and a power cycle drops it.
The CTAP logic itself lives in ``fido2_ctap`` (commands), ``fido2_pin``
(ClientPIN) and ``fido2_creds`` (keys).
"""

from __future__ import annotations

from typing import Any

from ..apdu import CommandApdu, ResponseApdu
from .fido2_ctap import Authenticator, NeedsPresence
from .fido2_status import ERR
from .presence import PresenceResult, UserPresence

FIDO_AID = bytes.fromhex("A0000006472F0001")

INS_NFCCTAP_MSG = 0x10
INS_NFCCTAP_GETRESPONSE = 0x11
INS_GET_RESPONSE = 0xC0
P1_GETRESPONSE_SUPPORTED = 0x80
P1_CANCEL = 0x11
STATUS_UPNEEDED = 0x02

SW_OK = 0x9000
SW_KEEPALIVE = 0x9100
SW_WRONG_LENGTH = 0x6700
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_WRONG_P1P2 = 0x6A86
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00

_MAX_REQUEST = 8192  # refuse absurd chains long before memory matters


class Fido2Applet:
    """The CTAP 2.1 authenticator as a card applet (see the module docstring)."""

    aid = FIDO_AID

    def __init__(self, state: dict[str, Any] | None, presence: UserPresence) -> None:
        self.presence = presence
        self.authenticator = Authenticator(state)
        self._chain = b""
        self._output = b""
        self._pending: NeedsPresence | None = None

    # --- Applet protocol ----------------------------------------------------------

    def select(self) -> ResponseApdu:
        self._chain, self._output, self._pending = b"", b"", None
        return ResponseApdu(b"FIDO_2_0", SW_OK)

    def reset(self) -> None:
        """Power cycle: drop pending work, the PIN token and the mismatch block."""
        self._chain, self._output, self._pending = b"", b"", None
        self.authenticator.power_cycle()

    def to_state(self) -> dict[str, Any]:
        return self.authenticator.to_state()

    @property
    def dirty(self) -> bool:
        return self.authenticator.dirty

    def mark_saved(self) -> None:
        self.authenticator.mark_saved()

    def process(self, apdu: CommandApdu) -> ResponseApdu:
        if apdu.ins == INS_GET_RESPONSE and apdu.cla & 0x80 == 0:
            return self._next_output(apdu)
        if apdu.cla & 0xEF not in (0x00, 0x80):
            return ResponseApdu(b"", SW_CLA_NOT_SUPPORTED)
        if apdu.ins == INS_NFCCTAP_MSG:
            return self._message(apdu)
        if apdu.ins == INS_NFCCTAP_GETRESPONSE:
            return self._poll(apdu)
        return ResponseApdu(b"", SW_INS_NOT_SUPPORTED)

    # --- NFCCTAP_MSG ----------------------------------------------------------------

    def _message(self, apdu: CommandApdu) -> ResponseApdu:
        self._pending, self._output = None, b""
        if apdu.cla & 0x10:  # more pieces follow
            self._chain += apdu.data
            if len(self._chain) > _MAX_REQUEST:
                self._chain = b""
                return ResponseApdu(b"", SW_WRONG_LENGTH)
            return ResponseApdu(b"", SW_OK)
        request, self._chain = self._chain + apdu.data, b""
        reply = self.authenticator.handle(request)
        if not isinstance(reply, NeedsPresence):
            return self._respond(reply, apdu)
        if apdu.p1 & P1_GETRESPONSE_SUPPORTED:
            self._pending = reply
            self.presence.begin()
            return self._poll_presence(apdu)
        result = self.presence.wait()
        return self._respond(self._decide(result, reply), apdu)

    # --- NFCCTAP_GETRESPONSE (keepalive polling) -------------------------------------

    def _poll(self, apdu: CommandApdu) -> ResponseApdu:
        if self._pending is None:
            return ResponseApdu(b"", SW_CONDITIONS_NOT_SATISFIED)
        if apdu.p1 == P1_CANCEL:
            self._pending = None
            return self._respond(bytes((ERR.KEEPALIVE_CANCEL,)), apdu)
        return self._poll_presence(apdu)

    def _poll_presence(self, apdu: CommandApdu) -> ResponseApdu:
        pending = self._pending
        assert pending is not None
        result = self.presence.poll()
        if result is PresenceResult.PENDING:
            return ResponseApdu(bytes((STATUS_UPNEEDED,)), SW_KEEPALIVE)
        self._pending = None
        return self._respond(self._decide(result, pending), apdu)

    @staticmethod
    def _decide(result: PresenceResult, pending: NeedsPresence) -> bytes:
        if result is PresenceResult.GRANTED:
            return pending.finish()
        if result is PresenceResult.TIMEOUT:
            return bytes((ERR.USER_ACTION_TIMEOUT,))
        return bytes((ERR.OPERATION_DENIED,))

    # --- long responses ---------------------------------------------------------------

    def _respond(self, payload: bytes, apdu: CommandApdu) -> ResponseApdu:
        self._output = payload
        return self._next_output(apdu)

    def _next_output(self, apdu: CommandApdu) -> ResponseApdu:
        limit = apdu.le if apdu.le is not None else 256
        if apdu.extended and apdu.le is None:
            limit = 65536
        piece, self._output = self._output[:limit], self._output[limit:]
        if self._output:
            return ResponseApdu(piece, 0x6100 | min(len(self._output), 256) % 256)
        return ResponseApdu(piece, SW_OK)
