"""The OpenPGP card application (specification 3.4), for the virtual card.

A conformant subset: Curve25519 only (Ed25519 for signature and
authentication, X25519 for decryption), on-card key generation, PW1/PW3 with
retry counters, PSO:CDS, PSO:DECIPHER, INTERNAL AUTHENTICATE, command chaining,
GET RESPONSE, extended length and TERMINATE/ACTIVATE for a factory reset.
It aims to behave like a real card to tools we did not write (GnuPG's
scdaemon, OpenSC), so status words and DO layouts follow the spec exactly.

Handlers raise ``_CardError(sw)``; ``process`` turns that into the response.
Nothing here logs: the commands carry PINs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from ..apdu import CommandApdu, ResponseApdu
from ..openpgp import tlv
from ..openpgp.spec import (
    ALGO_ECDH,
    ALGO_EDDSA,
    ATTR_ED25519,
    ATTR_X25519,
    GENERATE,
    IMPORT_FORMAT_WITH_PUBLIC,
    MAX_PIN,
    MIN_PW1,
    MIN_PW3,
    PIN_TRIES,
    PSO_CDS,
    PSO_DECIPHER,
    READ_PUBLIC_KEY,
    RID_PIX,
    RRC_BY_ADMIN,
    TEST_MANUFACTURER,
    VERSION_3_4,
    Ins,
    KeyRef,
    PwRef,
    Sw,
    Tag,
)
from .card import random_serial
from .openpgp_state import KEY_ORIGIN_GENERATED, KeySlot, OpenPgpState, PinState
from .presence import UserPresence

MAX_COMMAND = 2048  # advertised in 7F66; also the limit for a chained command
MAX_RESPONSE = 2048
MAX_SIGN_INPUT = 64  # up to a SHA-512 digest

# Historical bytes: category 00, card capabilities (73): selection by full and
# partial DF name, data coding 21, command chaining + extended Lc/Le; then the
# status indicator (life cycle 05 "operational", SW 9000).
HISTORICAL_BYTES = bytes.fromhex("0073C021C0059000")

# Extended capabilities (C0), 10 bytes: PW status changeable (0x10) and
# algorithm attributes changeable (0x04); no SM, no GET CHALLENGE, no key
# import, no private DOs, no KDF; max special DO length 255.
EXTENDED_CAPABILITIES = bytes.fromhex("14000000000000FF0000")

_SLOT_BY_TAG = {
    Tag.ATTR_SIG: KeyRef.SIG,
    Tag.ATTR_DEC: KeyRef.DEC,
    Tag.ATTR_AUT: KeyRef.AUT,
}
_FPR_TAGS = {Tag.FPR_SIG: KeyRef.SIG, Tag.FPR_DEC: KeyRef.DEC, Tag.FPR_AUT: KeyRef.AUT}
_CA_FPR_TAGS = {Tag.CA_FPR_1: KeyRef.SIG, Tag.CA_FPR_2: KeyRef.DEC, Tag.CA_FPR_3: KeyRef.AUT}
_TIME_TAGS = {Tag.TIME_SIG: KeyRef.SIG, Tag.TIME_DEC: KeyRef.DEC, Tag.TIME_AUT: KeyRef.AUT}
_KEY_ORDER = (KeyRef.SIG, KeyRef.DEC, KeyRef.AUT)
_KEY_NUMBER = {KeyRef.SIG: 1, KeyRef.DEC: 2, KeyRef.AUT: 3}


class _CardError(Exception):
    def __init__(self, sw: int) -> None:
        super().__init__(f"SW {sw:04X}")
        self.sw = sw


def _accepted_attributes(slot: KeyRef) -> tuple[bytes, ...]:
    base = ATTR_X25519 if slot is KeyRef.DEC else ATTR_ED25519
    return (base, base + bytes((IMPORT_FORMAT_WITH_PUBLIC,)))


def _public_key(slot: KeySlot) -> bytes:
    if slot.private is None:
        raise _CardError(Sw.DATA_NOT_FOUND)
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    if slot.attributes[0] == ALGO_EDDSA:
        return Ed25519PrivateKey.from_private_bytes(slot.private).public_key().public_bytes(*raw)
    return X25519PrivateKey.from_private_bytes(slot.private).public_key().public_bytes(*raw)


class OpenPgpApplet:
    """The ``Applet`` for OpenPGP; ``state`` is what ``to_state`` returned before."""

    def __init__(self, state: dict[str, Any] | None, presence: UserPresence) -> None:
        if state:
            self._state = OpenPgpState.from_json(state)
            self._dirty = False
        else:
            self._state = OpenPgpState.factory(random_serial())
            self._dirty = True
        # No touch policy (UIF) is offered, so presence is never asked; kept for
        # the Applet constructor contract shared with the FIDO2 applet.
        self._presence = presence
        self._verified: set[PwRef] = set()
        self._chain_header: tuple[int, int, int] | None = None
        self._chain_data = b""
        self._pending = b""
        self.aid = RID_PIX + VERSION_3_4 + TEST_MANUFACTURER + self._state.serial + b"\x00\x00"
        self._handlers: dict[int, Callable[[CommandApdu], bytes]] = {
            Ins.VERIFY: self._verify,
            Ins.CHANGE_REFERENCE_DATA: self._change_reference_data,
            Ins.RESET_RETRY_COUNTER: self._reset_retry_counter,
            Ins.GET_DATA: self._get_data,
            Ins.PUT_DATA: self._put_data,
            Ins.GENERATE_ASYMMETRIC_KEY_PAIR: self._generate,
            Ins.PSO: self._pso,
            Ins.INTERNAL_AUTHENTICATE: self._internal_authenticate,
            Ins.TERMINATE_DF: self._terminate,
            Ins.ACTIVATE_FILE: self._activate,
        }

    # --- Applet protocol ---------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return self._dirty

    def mark_saved(self) -> None:
        self._dirty = False

    def to_state(self) -> dict[str, Any]:
        return self._state.to_json()

    def reset(self) -> None:
        self._verified.clear()
        self._clear_transients()

    def select(self) -> ResponseApdu:
        self._clear_transients()
        if self._state.terminated:
            return ResponseApdu(b"", Sw.TERMINATED)
        return ResponseApdu(b"", Sw.OK)

    def process(self, apdu: CommandApdu) -> ResponseApdu:
        pending, self._pending = self._pending, b""
        if apdu.cla & ~0x10 != 0:
            self._clear_transients()
            return ResponseApdu(b"", Sw.CLA_NOT_SUPPORTED)
        if apdu.ins == Ins.GET_RESPONSE:
            if not pending:
                return ResponseApdu(b"", Sw.CONDITIONS)
            return self._output(pending, apdu)
        try:
            complete = self._collect_chain(apdu)
            if complete is None:
                return ResponseApdu(b"", Sw.OK)
            if self._state.terminated and complete.ins != Ins.ACTIVATE_FILE:
                raise _CardError(Sw.TERMINATED)
            handler = self._handlers.get(complete.ins)
            if handler is None:
                raise _CardError(Sw.INS_NOT_SUPPORTED)
            data = handler(complete)
        except _CardError as exc:
            return ResponseApdu(b"", exc.sw)
        return self._output(data, complete)

    # --- framing -------------------------------------------------------------------

    def _clear_transients(self) -> None:
        self._chain_header = None
        self._chain_data = b""
        self._pending = b""

    def _collect_chain(self, apdu: CommandApdu) -> CommandApdu | None:
        """Command chaining (CLA bit 0x10): gather pieces, return the whole command."""
        header = (apdu.ins, apdu.p1, apdu.p2)
        if self._chain_header is not None and self._chain_header != header:
            self._clear_transients()
            raise _CardError(Sw.LAST_OF_CHAIN_EXPECTED)
        data = self._chain_data + apdu.data
        if len(data) > MAX_COMMAND:
            self._clear_transients()
            raise _CardError(Sw.WRONG_LENGTH)
        if apdu.cla & 0x10:
            self._chain_header, self._chain_data = header, data
            return None
        self._chain_header, self._chain_data = None, b""
        return replace(apdu, cla=0x00, data=data)

    def _output(self, data: bytes, apdu: CommandApdu) -> ResponseApdu:
        """Send what fits Le; keep the rest for GET RESPONSE and say 61xx."""
        ceiling = MAX_RESPONSE if apdu.extended else 256
        limit = min(apdu.le or ceiling, ceiling)
        if len(data) <= limit:
            return ResponseApdu(data, Sw.OK)
        self._pending = data[limit:]
        return ResponseApdu(data[:limit], 0x6100 | min(len(self._pending), 256) % 256)

    # --- passwords -------------------------------------------------------------------

    def _pin(self, ref: PwRef) -> PinState:
        return self._state.pw3 if ref is PwRef.PW3 else self._state.pw1

    def _check_pin(self, ref: PwRef, candidate: bytes) -> None:
        pin = self._pin(ref)
        if pin.retries == 0:
            raise _CardError(Sw.AUTH_BLOCKED)
        minimum = MIN_PW3 if ref is PwRef.PW3 else MIN_PW1
        if not (minimum <= len(candidate) <= MAX_PIN and pin.matches(candidate)):
            pin.retries -= 1
            self._dirty = True
            self._verified.discard(ref)
            raise _CardError(0x63C0 | pin.retries)
        if pin.retries != PIN_TRIES:
            pin.retries = PIN_TRIES
            self._dirty = True

    def _require(self, ref: PwRef) -> None:
        if ref not in self._verified:
            raise _CardError(Sw.SECURITY_STATUS)

    def _verify(self, apdu: CommandApdu) -> bytes:
        if apdu.p2 not in PwRef.__members__.values() or apdu.p1 not in (0x00, 0xFF):
            raise _CardError(Sw.WRONG_P1P2)
        ref = PwRef(apdu.p2)
        if apdu.p1 == 0xFF:  # 3.x: reset the verification status
            if apdu.data:
                raise _CardError(Sw.WRONG_DATA)
            self._verified.discard(ref)
            return b""
        if not apdu.data:  # status query: no try is spent
            if ref in self._verified:
                return b""
            retries = self._pin(ref).retries
            raise _CardError(Sw.AUTH_BLOCKED if retries == 0 else 0x63C0 | retries)
        self._check_pin(ref, apdu.data)
        self._verified.add(ref)
        return b""

    def _change_reference_data(self, apdu: CommandApdu) -> bytes:
        if apdu.p1 != 0x00 or apdu.p2 not in (PwRef.PW1_SIGN, PwRef.PW3):
            raise _CardError(Sw.WRONG_P1P2)
        ref = PwRef(apdu.p2)
        pin = self._pin(ref)
        old, new = apdu.data[: pin.length], apdu.data[pin.length :]
        self._check_pin(ref, old)
        minimum = MIN_PW3 if ref is PwRef.PW3 else MIN_PW1
        if not minimum <= len(new) <= MAX_PIN:
            raise _CardError(Sw.WRONG_DATA)
        pin.replace(new)
        self._dirty = True
        if ref is PwRef.PW3:
            self._verified.discard(PwRef.PW3)
        else:
            self._verified -= {PwRef.PW1_SIGN, PwRef.PW1_OTHER}
        return b""

    def _reset_retry_counter(self, apdu: CommandApdu) -> bytes:
        if apdu.p2 != PwRef.PW1_SIGN or apdu.p1 not in (0x00, RRC_BY_ADMIN):
            raise _CardError(Sw.WRONG_P1P2)
        if apdu.p1 == 0x00:  # by resetting code: this card never has one set
            raise _CardError(Sw.AUTH_BLOCKED)
        self._require(PwRef.PW3)
        if not MIN_PW1 <= len(apdu.data) <= MAX_PIN:
            raise _CardError(Sw.WRONG_DATA)
        self._state.pw1.replace(apdu.data)
        self._verified -= {PwRef.PW1_SIGN, PwRef.PW1_OTHER}
        self._dirty = True
        return b""

    # --- data objects ------------------------------------------------------------------

    def _pw_status(self) -> bytes:
        s = self._state
        return bytes(
            (
                0x01 if s.pw1_valid_multiple else 0x00,
                MAX_PIN,
                MAX_PIN,  # resetting code max length
                MAX_PIN,
                s.pw1.retries,
                0,  # resetting code: not set
                s.pw3.retries,
            )
        )

    def _cardholder(self) -> bytes:
        s = self._state
        body = tlv.encode_all(((Tag.NAME, s.name), (Tag.LANGUAGE, s.language), (Tag.SEX, s.sex)))
        return tlv.encode(Tag.CARDHOLDER, body)

    def _extended_length(self) -> bytes:
        body = tlv.encode(0x02, MAX_COMMAND.to_bytes(2, "big")) + tlv.encode(
            0x02, MAX_RESPONSE.to_bytes(2, "big")
        )
        return tlv.encode(Tag.EXTENDED_LENGTH, body)

    def _general_features(self) -> bytes:
        return tlv.encode(Tag.GENERAL_FEATURES, tlv.encode(0x81, b"\x00"))

    def _key_information(self) -> bytes:
        return b"".join(
            bytes((_KEY_NUMBER[ref], self._state.keys[ref].origin)) for ref in _KEY_ORDER
        )

    def _joined(self, attr: str) -> bytes:
        return b"".join(getattr(self._state.keys[ref], attr) for ref in _KEY_ORDER)

    def _security_support(self) -> bytes:
        counter = self._state.signature_counter.to_bytes(3, "big")
        return tlv.encode(Tag.SECURITY_SUPPORT, tlv.encode(Tag.SIGNATURE_COUNTER, counter))

    def _application_related(self) -> bytes:
        keys = self._state.keys
        discretionary = tlv.encode_all(
            (
                (Tag.EXTENDED_CAPABILITIES, EXTENDED_CAPABILITIES),
                (Tag.ATTR_SIG, keys[KeyRef.SIG].attributes),
                (Tag.ATTR_DEC, keys[KeyRef.DEC].attributes),
                (Tag.ATTR_AUT, keys[KeyRef.AUT].attributes),
                (Tag.PW_STATUS, self._pw_status()),
                (Tag.FINGERPRINTS, self._joined("fingerprint")),
                (Tag.CA_FINGERPRINTS, self._joined("ca_fingerprint")),
                (Tag.TIMESTAMPS, self._joined("timestamp")),
                (Tag.KEY_INFORMATION, self._key_information()),
            )
        )
        body = (
            tlv.encode(Tag.AID, self.aid)
            + tlv.encode(Tag.HISTORICAL, HISTORICAL_BYTES)
            + self._general_features()
            + self._extended_length()
            + tlv.encode(Tag.DISCRETIONARY, discretionary)
        )
        return tlv.encode(Tag.APPLICATION, body)

    def _get_data(self, apdu: CommandApdu) -> bytes:
        tag = apdu.p1 << 8 | apdu.p2
        s = self._state
        readers: dict[int, Callable[[], bytes]] = {
            Tag.AID: lambda: self.aid,
            Tag.HISTORICAL: lambda: HISTORICAL_BYTES,
            Tag.CARDHOLDER: self._cardholder,
            Tag.APPLICATION: self._application_related,
            Tag.PW_STATUS: self._pw_status,
            Tag.LOGIN: lambda: s.login,
            Tag.URL: lambda: s.url,
            Tag.NAME: lambda: s.name,
            Tag.SECURITY_SUPPORT: self._security_support,
            Tag.EXTENDED_CAPABILITIES: lambda: EXTENDED_CAPABILITIES,
            Tag.ATTR_SIG: lambda: s.keys[KeyRef.SIG].attributes,
            Tag.ATTR_DEC: lambda: s.keys[KeyRef.DEC].attributes,
            Tag.ATTR_AUT: lambda: s.keys[KeyRef.AUT].attributes,
            Tag.FINGERPRINTS: lambda: self._joined("fingerprint"),
            Tag.CA_FINGERPRINTS: lambda: self._joined("ca_fingerprint"),
            Tag.TIMESTAMPS: lambda: self._joined("timestamp"),
            Tag.KEY_INFORMATION: self._key_information,
            Tag.EXTENDED_LENGTH: self._extended_length,
            Tag.GENERAL_FEATURES: self._general_features,
        }
        reader = readers.get(tag)
        if reader is None:
            raise _CardError(Sw.DATA_NOT_FOUND)
        return reader()

    def _put_data(self, apdu: CommandApdu) -> bytes:
        tag = apdu.p1 << 8 | apdu.p2
        self._require(PwRef.PW3)
        data = apdu.data
        s = self._state
        if tag in _SLOT_BY_TAG:
            self._put_attributes(_SLOT_BY_TAG[Tag(tag)], data)
        elif tag in _FPR_TAGS:
            s.keys[_FPR_TAGS[Tag(tag)]].fingerprint = _exact(data, 20)
        elif tag in _CA_FPR_TAGS:
            s.keys[_CA_FPR_TAGS[Tag(tag)]].ca_fingerprint = _exact(data, 20)
        elif tag in _TIME_TAGS:
            s.keys[_TIME_TAGS[Tag(tag)]].timestamp = _exact(data, 4)
        elif tag == Tag.NAME:
            s.name = _at_most(data, 39)
        elif tag == Tag.LOGIN:
            s.login = _at_most(data, 254)
        elif tag == Tag.URL:
            s.url = _at_most(data, 254)
        elif tag == Tag.LANGUAGE:
            s.language = _at_most(data, 8)
        elif tag == Tag.SEX:
            s.sex = _exact(data, 1)
        elif tag == Tag.PW_STATUS:
            if data not in (b"\x00", b"\x01"):
                raise _CardError(Sw.WRONG_DATA)
            s.pw1_valid_multiple = data == b"\x01"
        else:
            raise _CardError(Sw.DATA_NOT_FOUND)
        self._dirty = True
        return b""

    def _put_attributes(self, ref: KeyRef, data: bytes) -> None:
        if data not in _accepted_attributes(ref):
            raise _CardError(Sw.WRONG_DATA)  # RSA, NIST curves, ...: not on this card
        # Each slot accepts one algorithm (with or without the import-format
        # byte), so a change never invalidates the key in it.
        self._state.keys[ref].attributes = data

    # --- keys -------------------------------------------------------------------------

    def _crt(self, data: bytes) -> KeyRef:
        try:
            items = tlv.parse(data)
        except ValueError:
            raise _CardError(Sw.WRONG_DATA) from None
        if not items or items[0].tag not in KeyRef.__members__.values():
            raise _CardError(Sw.WRONG_DATA)
        return KeyRef(items[0].tag)

    def _generate(self, apdu: CommandApdu) -> bytes:
        if apdu.p2 != 0x00 or apdu.p1 not in (GENERATE, READ_PUBLIC_KEY):
            raise _CardError(Sw.WRONG_P1P2)
        ref = self._crt(apdu.data)
        slot = self._state.keys[ref]
        if apdu.p1 == GENERATE:
            self._require(PwRef.PW3)
            if slot.attributes[0] == ALGO_ECDH:
                private = X25519PrivateKey.generate().private_bytes_raw()
            else:
                private = Ed25519PrivateKey.generate().private_bytes_raw()
            self._state.keys[ref] = KeySlot(
                slot.attributes,
                private,
                ca_fingerprint=slot.ca_fingerprint,
                origin=KEY_ORIGIN_GENERATED,
            )  # fingerprint and time are the host's to write for the new key
            if ref is KeyRef.SIG:
                self._state.signature_counter = 0
            self._dirty = True
            slot = self._state.keys[ref]
        point = tlv.encode(Tag.ECC_POINT, _public_key(slot))
        return tlv.encode(Tag.PUBLIC_KEY, point)

    def _pso(self, apdu: CommandApdu) -> bytes:
        operation = apdu.p1 << 8 | apdu.p2
        if operation == PSO_CDS:
            return self._sign(apdu.data)
        if operation == PSO_DECIPHER:
            return self._decipher(apdu.data)
        raise _CardError(Sw.WRONG_P1P2)

    def _sign(self, data: bytes) -> bytes:
        self._require(PwRef.PW1_SIGN)
        slot = self._state.keys[KeyRef.SIG]
        if slot.private is None:
            raise _CardError(Sw.DATA_NOT_FOUND)
        if not 1 <= len(data) <= MAX_SIGN_INPUT:
            raise _CardError(Sw.WRONG_DATA)
        signature = Ed25519PrivateKey.from_private_bytes(slot.private).sign(data)
        self._state.signature_counter = min(self._state.signature_counter + 1, 0xFFFFFF)
        self._dirty = True
        if not self._state.pw1_valid_multiple:
            self._verified.discard(PwRef.PW1_SIGN)
        return signature

    def _decipher(self, data: bytes) -> bytes:
        self._require(PwRef.PW1_OTHER)
        slot = self._state.keys[KeyRef.DEC]
        if slot.private is None:
            raise _CardError(Sw.DATA_NOT_FOUND)
        try:
            items = tlv.parse(data)
        except ValueError:
            raise _CardError(Sw.WRONG_DATA) from None
        if len(items) != 1 or items[0].tag != Tag.CIPHER:
            raise _CardError(Sw.WRONG_DATA)
        try:
            point = tlv.find(items[0].value, Tag.ECC_POINT)
        except ValueError:
            raise _CardError(Sw.WRONG_DATA) from None
        if point is not None and len(point) == 33 and point[0] == 0x40:
            point = point[1:]  # GnuPG's native-point prefix
        if point is None or len(point) != 32:
            raise _CardError(Sw.WRONG_DATA)
        try:
            private = X25519PrivateKey.from_private_bytes(slot.private)
            return private.exchange(X25519PublicKey.from_public_bytes(point))
        except ValueError:  # a low-order point gives an all-zero secret
            raise _CardError(Sw.WRONG_DATA) from None

    def _internal_authenticate(self, apdu: CommandApdu) -> bytes:
        if apdu.p1 != 0x00 or apdu.p2 != 0x00:
            raise _CardError(Sw.WRONG_P1P2)
        self._require(PwRef.PW1_OTHER)
        slot = self._state.keys[KeyRef.AUT]
        if slot.private is None:
            raise _CardError(Sw.DATA_NOT_FOUND)
        if not 1 <= len(apdu.data) <= MAX_SIGN_INPUT:
            raise _CardError(Sw.WRONG_DATA)
        return Ed25519PrivateKey.from_private_bytes(slot.private).sign(apdu.data)

    # --- life cycle -------------------------------------------------------------------

    def _terminate(self, apdu: CommandApdu) -> bytes:
        if apdu.p1 != 0x00 or apdu.p2 != 0x00:
            raise _CardError(Sw.WRONG_P1P2)
        if PwRef.PW3 not in self._verified and self._state.pw3.retries != 0:
            raise _CardError(Sw.SECURITY_STATUS)
        self._state.terminated = True
        self._verified.clear()
        self._dirty = True
        return b""

    def _activate(self, apdu: CommandApdu) -> bytes:
        if apdu.p1 != 0x00 or apdu.p2 != 0x00:
            raise _CardError(Sw.WRONG_P1P2)
        if self._state.terminated:
            self._state.factory_reset()
            self._verified.clear()
            self._dirty = True
        return b""


def _exact(data: bytes, length: int) -> bytes:
    if len(data) != length:
        raise _CardError(Sw.WRONG_DATA)
    return data


def _at_most(data: bytes, length: int) -> bytes:
    if len(data) > length:
        raise _CardError(Sw.WRONG_DATA)
    return data
