"""The OpenPGP card as a Keybound ``Token``, over any ``ApduTransport``.

pyscard-independent: ``PcscTransport`` (real readers, vpcd) and the
in-process virtual card both fit. Every public method runs on the token
worker thread, re-selects the application (another program, or the FIDO2
applet on the same card, may have selected something else), and checks for
cancellation before each APDU.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from ...errors import (
    NoKeysOnToken,
    OperationCancelled,
    PinBlocked,
    PinPolicyError,
    TokenCommunicationError,
    TokenNotBlank,
    TokenNotFound,
)
from ..apdu import ApduTransport, CommandApdu, ResponseApdu, exchange
from ..base import (
    EnrollOptions,
    PinKind,
    PublicKey,
    Signature,
    SignatureScheme,
    Token,
    TokenInfo,
    TokenKind,
    TokenRef,
    Transport,
)
from ..prompter import PinRequest, Prompter
from ..worker import assert_token_thread, check_cancelled
from . import tlv
from .fingerprint import ecdh_fingerprint, eddsa_fingerprint
from .spec import (
    ATTR_ED25519,
    ATTR_X25519,
    GENERATE,
    MAX_PIN,
    MIN_PW1,
    MIN_PW3,
    PSO_CDS,
    PSO_DECIPHER,
    READ_PUBLIC_KEY,
    RID_PIX,
    RRC_BY_ADMIN,
    Ins,
    KeyRef,
    PwRef,
    Sw,
    Tag,
    pw_status_retries,
)
from .status import check
from .unlock import unlock_point, unlock_secret_from_shared

_SELECT = CommandApdu(0x00, 0xA4, 0x04, 0x00, RID_PIX)
_NO_KEYS = "This OpenPGP card has no Keybound keys yet. Run `keybound token init`."


@dataclass(frozen=True)
class CardCapabilities:
    """What the card says about APDU sizes (historical bytes and DO 7F66)."""

    extended: bool = False
    max_response: int = 256

    @classmethod
    def from_application_data(cls, app: bytes) -> CardCapabilities:
        historical = tlv.find(app, Tag.HISTORICAL) or b""
        extended = _historical_extended(historical)
        info = tlv.find(app, Tag.EXTENDED_LENGTH)
        max_response = 256
        if extended and info is not None:
            sizes = [item.value for item in tlv.parse(info) if item.tag == 0x02]
            if len(sizes) == 2:
                max_response = int.from_bytes(sizes[1], "big")
        return cls(extended, max(256, max_response) if extended else 256)


def _historical_extended(historical: bytes) -> bool:
    """Bit 7 of the third card-capabilities byte (compact TLV 73) of the historical bytes."""
    if not historical or historical[0] != 0x00:
        return False
    body = historical[1:-3]  # category 00: the last 3 bytes are the status indicator
    offset = 0
    while offset < len(body):
        tag, length = body[offset] >> 4, body[offset] & 0x0F
        value = body[offset + 1 : offset + 1 + length]
        if tag == 0x7 and len(value) >= 3:
            return bool(value[2] & 0x40)
        offset += 1 + length
    return False


def _serial_text(aid: bytes) -> str:
    return f"{aid[8:10].hex().upper()}:{aid[10:14].hex().upper()}"


def _version_text(aid: bytes) -> str:
    return f"{aid[6]}.{aid[7]}"


def _ref_from_aid(aid: bytes, reader: str, transport_kind: Transport) -> TokenRef:
    if len(aid) != 16 or not aid.startswith(RID_PIX):
        raise TokenCommunicationError("The card's OpenPGP application identifier is malformed.")
    serial = _serial_text(aid)
    return TokenRef(
        kind=TokenKind.OPENPGP,
        transport=transport_kind,
        reader=reader,
        serial=serial,
        label=f"OpenPGP card {_version_text(aid)} ({serial})",
    )


def _send(
    transport: ApduTransport,
    command: CommandApdu,
    capabilities: CardCapabilities = CardCapabilities(),
) -> ResponseApdu:
    return exchange(
        transport.transmit,
        command,
        use_extended=capabilities.extended,
        before_each=check_cancelled,
    )


def probe(transport: ApduTransport, transport_kind: Transport = Transport.PCSC) -> TokenRef | None:
    """The card's ``TokenRef`` if it has an active OpenPGP application, else None."""
    assert_token_thread()
    if _send(transport, _SELECT).sw != Sw.OK:
        return None
    response = _send(transport, CommandApdu(0x00, Ins.GET_DATA, 0x00, Tag.AID, le=256))
    if response.sw != Sw.OK:
        return None
    return _ref_from_aid(response.data, transport.name, transport_kind)


def _pin_bytes(pin: str, kind: PinKind) -> bytes:
    """The PIN as the card sees it (UTF-8), refused early if the card would refuse it."""
    data = pin.encode("utf-8")
    minimum = MIN_PW3 if kind is PinKind.ADMIN else MIN_PW1
    if not minimum <= len(data) <= MAX_PIN:
        what = "admin PIN" if kind is PinKind.ADMIN else "PIN"
        raise PinPolicyError(f"The {what} must be {minimum} to {MAX_PIN} characters long.")
    return data


def _what(kind: PinKind) -> str:
    return "admin PIN" if kind is PinKind.ADMIN else "PIN"


class OpenPgpToken(Token):
    """An OpenPGP card (3.x) holding Keybound's Ed25519 signing and X25519 unlock keys.

    Construct it on the token worker thread: it selects the application and
    reads the card's identity and capabilities.
    """

    def __init__(
        self,
        transport: ApduTransport,
        prompter: Prompter,
        transport_kind: Transport = Transport.PCSC,
    ) -> None:
        assert_token_thread()
        self._transport = transport
        self._prompter = prompter
        self._caps = CardCapabilities()  # short APDUs until the card says more
        ref = probe(transport, transport_kind)
        if ref is None:
            raise TokenNotFound("This card has no active OpenPGP application.")
        self.ref = ref
        self._caps = CardCapabilities.from_application_data(self._application_data())

    # --- APDU plumbing -----------------------------------------------------------------

    def _command(
        self, ins: int, p1: int, p2: int, data: bytes = b"", *, expect_data: bool = True
    ) -> ResponseApdu:
        le = (self._caps.max_response if self._caps.extended else 256) if expect_data else None
        return _send(self._transport, CommandApdu(0x00, ins, p1, p2, data, le), self._caps)

    def _begin(self) -> None:
        """Start a public call: right thread, our application selected."""
        assert_token_thread()
        response = _send(self._transport, _SELECT)
        if response.sw != Sw.OK:
            check(response, "selecting the OpenPGP application")

    def _get_data(self, tag: int) -> bytes:
        response = self._command(Ins.GET_DATA, tag >> 8, tag & 0xFF)
        return check(response, f"reading data object {tag:04X}")

    def _application_data(self) -> bytes:
        try:
            return tlv.unwrap(self._get_data(Tag.APPLICATION), Tag.APPLICATION)
        except ValueError:
            raise TokenCommunicationError("The card's application data is malformed.") from None

    def _find(self, data: bytes, tag: int) -> bytes | None:
        try:
            return tlv.find(data, tag)
        except ValueError:
            raise TokenCommunicationError("The card sent malformed data.") from None

    def _retries(self) -> tuple[int, int]:
        """(PW1, PW3) tries left, from the PW status bytes."""
        try:
            pw1, _, pw3 = pw_status_retries(self._get_data(Tag.PW_STATUS))
        except ValueError:
            raise TokenCommunicationError("The card's PIN status is malformed.") from None
        return pw1, pw3

    # --- PINs ------------------------------------------------------------------------------

    def _verify(self, ref: PwRef, pin: bytes, kind: PinKind) -> None:
        response = self._command(Ins.VERIFY, 0x00, ref, pin, expect_data=False)
        check(response, "PIN verification", what=_what(kind))

    def _ensure_verified(self, ref: PwRef, kind: PinKind, purpose: str) -> None:
        """Ask the person for the PIN unless the card already holds it verified."""
        status = self._command(Ins.VERIFY, 0x00, ref, expect_data=False)
        if status.sw == Sw.OK:
            return
        pw1, pw3 = self._retries()
        retries = pw3 if kind is PinKind.ADMIN else pw1
        if retries == 0:
            raise PinBlocked(_what(kind))
        pin = self._prompter.ask_pin(PinRequest(self.ref, kind, retries, purpose))
        if pin is None:
            raise OperationCancelled()
        self._verify(ref, pin.encode("utf-8"), kind)

    def verify_pin(self, pin: str, kind: PinKind = PinKind.USER) -> None:
        """Check a PIN now. The user PIN is checked as PW1 for decryption (82),
        which does not use up the one-signature validity of PW1 (81)."""
        self._begin()
        ref = PwRef.PW3 if kind is PinKind.ADMIN else PwRef.PW1_OTHER
        self._verify(ref, pin.encode("utf-8"), kind)

    def change_pin(self, old: str, new: str, kind: PinKind = PinKind.USER) -> None:
        self._begin()
        new_bytes = _pin_bytes(new, kind)
        ref = PwRef.PW3 if kind is PinKind.ADMIN else PwRef.PW1_SIGN
        response = self._command(
            Ins.CHANGE_REFERENCE_DATA, 0x00, ref, old.encode("utf-8") + new_bytes, expect_data=False
        )
        policy = PinPolicyError(f"The card refused the new {_what(kind)}.")
        check(response, "changing the PIN", what=_what(kind), wrong_data=policy)

    # --- information ------------------------------------------------------------------------

    def info(self) -> TokenInfo:
        self._begin()
        app = self._application_data()
        pw1, _, pw3 = pw_status_retries(self._find(app, Tag.PW_STATUS) or bytes(7))
        fingerprints = self._find(app, Tag.FINGERPRINTS) or bytes(60)
        sig_fpr, dec_fpr = fingerprints[0:20], fingerprints[20:40]
        counter_do = self._find(self._get_data(Tag.SECURITY_SUPPORT), Tag.SIGNATURE_COUNTER)
        cardholder = self._get_data(Tag.CARDHOLDER)
        name = self._find(cardholder, Tag.NAME) or b""
        details: list[tuple[str, str]] = [("Serial number", self.ref.serial)]
        if name:
            details.append(("Name", name.decode("utf-8", "replace")))
        details += [
            ("Signature key", sig_fpr.hex().upper() if any(sig_fpr) else "none"),
            ("Decryption key", dec_fpr.hex().upper() if any(dec_fpr) else "none"),
            ("Signatures made", str(int.from_bytes(counter_do or b"", "big"))),
        ]
        return TokenInfo(
            ref=self.ref,
            version=_version_text(self._find(app, Tag.AID) or bytes(16)),
            pin_set=True,
            pin_retries=pw1,
            admin_pin_retries=pw3,
            has_keys=any(sig_fpr) and any(dec_fpr),
            details=tuple(details),
        )

    def _read_public(self, key: KeyRef) -> bytes:
        response = self._command(
            Ins.GENERATE_ASYMMETRIC_KEY_PAIR, READ_PUBLIC_KEY, 0x00, bytes((key, 0))
        )
        return self._point(check(response, "reading a public key", missing=NoKeysOnToken(_NO_KEYS)))

    def _point(self, public_key_do: bytes) -> bytes:
        point = self._find(public_key_do, Tag.ECC_POINT)
        if point is None or len(point) != 32:
            raise TokenCommunicationError("The card returned a public key Keybound cannot use.")
        return point

    def public_key(self) -> PublicKey:
        self._begin()
        return PublicKey(SignatureScheme.OPENPGP_ED25519, self._read_public(KeyRef.SIG))

    # --- keys ---------------------------------------------------------------------------------

    def enroll(self, options: EnrollOptions) -> PublicKey:
        """Generate Ed25519 (signature) and X25519 (decryption) keys on the card.

        Writes their v4 fingerprints and creation times so GnuPG recognises
        them, then sets the PINs asked for (PW1 through the admin, so the
        current user PIN is not needed).
        """
        self._begin()
        new_user = _pin_bytes(options.user_pin, PinKind.USER) if options.user_pin else None
        new_admin = _pin_bytes(options.admin_pin, PinKind.ADMIN) if options.admin_pin else None
        if self._has_keys() and not options.force:
            raise TokenNotBlank("This OpenPGP card already has keys. Use --force to replace them.")
        admin = options.current_admin_pin
        if admin is None:
            _, pw3 = self._retries()
            if pw3 == 0:
                raise PinBlocked("admin PIN")
            request = PinRequest(self.ref, PinKind.ADMIN, pw3, "enroll")
            admin = self._prompter.ask_pin(request)
            if admin is None:
                raise OperationCancelled()
        self._verify(PwRef.PW3, admin.encode("utf-8"), PinKind.ADMIN)
        self._put(Tag.ATTR_SIG, ATTR_ED25519)
        self._put(Tag.ATTR_DEC, ATTR_X25519)
        created = int(time.time())
        sig = self._generate(KeyRef.SIG)
        dec = self._generate(KeyRef.DEC)
        self._put(Tag.FPR_SIG, eddsa_fingerprint(sig, created))
        self._put(Tag.FPR_DEC, ecdh_fingerprint(dec, created))
        self._put(Tag.TIME_SIG, created.to_bytes(4, "big"))
        self._put(Tag.TIME_DEC, created.to_bytes(4, "big"))
        if new_user is not None:
            response = self._command(
                Ins.RESET_RETRY_COUNTER, RRC_BY_ADMIN, PwRef.PW1_SIGN, new_user, expect_data=False
            )
            check(
                response,
                "setting the PIN",
                wrong_data=PinPolicyError("The card refused the new PIN."),
            )
        if new_admin is not None:
            response = self._command(
                Ins.CHANGE_REFERENCE_DATA,
                0x00,
                PwRef.PW3,
                admin.encode("utf-8") + new_admin,
                expect_data=False,
            )
            refused = PinPolicyError("The card refused the new admin PIN.")
            check(response, "setting the admin PIN", what="admin PIN", wrong_data=refused)
        return PublicKey(SignatureScheme.OPENPGP_ED25519, sig)

    def _has_keys(self) -> bool:
        fingerprints = self._find(self._application_data(), Tag.FINGERPRINTS) or bytes(60)
        return any(fingerprints[0:20]) or any(fingerprints[20:40])

    def _put(self, tag: int, value: bytes) -> None:
        response = self._command(Ins.PUT_DATA, tag >> 8, tag & 0xFF, value, expect_data=False)
        check(response, "writing card data", what="admin PIN")

    def _generate(self, key: KeyRef) -> bytes:
        response = self._command(Ins.GENERATE_ASYMMETRIC_KEY_PAIR, GENERATE, 0x00, bytes((key, 0)))
        return self._point(check(response, "generating a key", what="admin PIN"))

    def sign(self, message: bytes) -> Signature:
        """Ed25519 over SHA-256(message), made by the card (PSO:COMPUTE DIGITAL SIGNATURE)."""
        self._begin()
        self._ensure_verified(PwRef.PW1_SIGN, PinKind.USER, "sign")
        digest = hashlib.sha256(message).digest()
        response = self._command(Ins.PSO, PSO_CDS >> 8, PSO_CDS & 0xFF, digest)
        signature = check(response, "signing", missing=NoKeysOnToken(_NO_KEYS))
        if len(signature) != 64:
            raise TokenCommunicationError("The card returned a signature of the wrong size.")
        return Signature(SignatureScheme.OPENPGP_ED25519, signature)

    def unlock_secret(self, salt: bytes) -> bytes:
        """32 bytes from the card's X25519 key and ``salt``; see ``unlock`` for why it is sound."""
        self._begin()
        point = unlock_point(salt)
        self._ensure_verified(PwRef.PW1_OTHER, PinKind.USER, "unlock")
        cipher = tlv.encode(
            Tag.CIPHER, tlv.encode(Tag.PUBLIC_KEY, tlv.encode(Tag.ECC_POINT, point))
        )
        response = self._command(Ins.PSO, PSO_DECIPHER >> 8, PSO_DECIPHER & 0xFF, cipher)
        shared = check(response, "unlocking", missing=NoKeysOnToken(_NO_KEYS))
        return unlock_secret_from_shared(shared, salt)

    # --- age (backups) ----------------------------------------------------------------------

    def decryption_key(self) -> bytes:
        """The card's Curve25519 decryption public key: an age X25519 recipient (no PIN)."""
        self._begin()
        return self._read_public(KeyRef.DEC)

    def x25519(self, share: bytes) -> bytes:
        """X25519(the card's decryption key, ``share``) by PSO:DECIPHER; asks for the PIN.

        What age's X25519 recipient needs to unwrap a file key (the way
        age-plugin-openpgp-card does it). It reveals nothing the card would not
        give anyone holding the PIN, and the unlock points stay unknowable.
        """
        self._begin()
        if len(share) != 32:
            raise TokenCommunicationError("An X25519 share is 32 bytes.")
        self._ensure_verified(PwRef.PW1_OTHER, PinKind.USER, "decrypt backup")
        cipher = tlv.encode(
            Tag.CIPHER, tlv.encode(Tag.PUBLIC_KEY, tlv.encode(Tag.ECC_POINT, share))
        )
        response = self._command(Ins.PSO, PSO_DECIPHER >> 8, PSO_DECIPHER & 0xFF, cipher)
        shared = check(response, "decrypting", missing=NoKeysOnToken(_NO_KEYS))
        if len(shared) != 32:
            raise TokenCommunicationError(
                "The card returned a decryption result of the wrong size."
            )
        return shared

    def close(self) -> None:
        assert_token_thread()
        self._transport.close()


__all__ = ["CardCapabilities", "OpenPgpToken", "probe"]
