"""FIDO2 security keys as a Keybound token (python-fido2 over PC/SC, HID or in-process).

The signing key is one resident credential (rk, credProtect level 2,
hmac-secret) for ``rp_id`` (default ``keybound.local``); the unlock secret is
its hmac-secret output for a per-slot salt.

Things FIDO2 cannot tell us, and what we do about them:

- *Is the key blank?* CTAP has no way to list credentials without the
  credential-management PIN dance, so ``enroll`` refuses only when this object
  already knows a credential (``credential`` given); pass ``force`` to enroll
  anyway. A new credential for the same RP and user never overwrites another
  user's, because every enrollment uses a fresh random user ID.
- *UV or not?* hmac-secret gives different secrets with and without user
  verification, so the choice is made once at enrollment, recorded in
  ``PublicKey.user_verification`` and used identically ever after.
- *Salt size.* hmac-secret takes exactly 32-byte salts; other salts are hashed
  with SHA-256 first (so a 32-byte salt is used as it is).

CTAP errors become Keybound errors in one place, ``fido2_errors.map_error``;
the APDU plumbing under python-fido2 is in ``fido2_device``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from fido2.cose import CoseKey
from fido2.ctap import STATUS, CtapDevice
from fido2.ctap2.base import AttestationResponse, Ctap2
from fido2.ctap2.pin import ClientPin, PinProtocol, PinProtocolV1, PinProtocolV2
from fido2.hid import CAPABILITY, CtapHidDevice, list_devices, open_device

from ..errors import (
    InternalError,
    NoKeysOnToken,
    OperationCancelled,
    PinPolicyError,
    PinRequired,
    TokenCommunicationError,
    TokenNotBlank,
    TokenRemoved,
    UnsupportedToken,
    WrongToken,
)
from .base import (
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
from .fido2_device import inprocess_device
from .fido2_errors import map_error
from .fido2_verify import verify_fido2
from .pcsc import PcscTransport
from .prompter import PinRequest, Prompter
from .worker import assert_token_thread, check_cancelled, current_cancel_event

T = TypeVar("T")

ALG_EDDSA = -8
ALG_ES256 = -7
HMAC_SALT_LEN = 32
AGE_RP_ID = "age-encryption.org"  # age-plugin-fido2-hmac's relying party

__all__ = [
    "Fido2Token",
    "inprocess_device",
    "inprocess_ref",
    "list_hid",
    "map_error",
    "open_hid",
    "open_pcsc",
    "probe_pcsc",
]


def inprocess_ref(name: str = "virtual") -> TokenRef:
    """A TokenRef for a FIDO2 device reached through ``inprocess_device``."""
    return TokenRef(TokenKind.FIDO2, Transport.INPROCESS, name, "", f"Virtual FIDO2 key ({name})")


def _pcsc_ref(reader: str) -> TokenRef:
    return TokenRef(TokenKind.FIDO2, Transport.PCSC, reader, "", f"FIDO2 security key ({reader})")


def probe_pcsc(reader: str) -> TokenRef | None:
    """The FIDO2 token in ``reader``, or None if the card there has no FIDO2 applet."""
    assert_token_thread()
    try:
        device = inprocess_device(PcscTransport(reader))
    except (UnsupportedToken, TokenRemoved):
        return None
    device.close()
    return _pcsc_ref(reader)


def open_pcsc(reader: str, prompter: Prompter, credential: PublicKey | None = None) -> Fido2Token:
    """Open the FIDO2 applet of the card in a PC/SC reader (NFC or contact)."""
    assert_token_thread()
    device = inprocess_device(PcscTransport(reader))
    return Fido2Token(device, _pcsc_ref(reader), prompter, credential)


def _hid_ref(device: CtapHidDevice) -> TokenRef:
    name = device.product_name or "FIDO2 security key"
    serial = device.serial_number or ""
    return TokenRef(
        TokenKind.FIDO2, Transport.HID, str(device.descriptor.path), serial, f"{name} (USB)"
    )


def list_hid() -> list[TokenRef]:
    """FIDO2 keys on USB HID that speak CTAP2 (U2F-only keys are left out)."""
    assert_token_thread()
    refs = []
    for device in list_devices():
        try:
            if device.capabilities & CAPABILITY.CBOR:
                refs.append(_hid_ref(device))
        finally:
            device.close()
    return refs


def open_hid(path: str, prompter: Prompter, credential: PublicKey | None = None) -> Fido2Token:
    assert_token_thread()
    try:
        device = open_device(path)
    except Exception:  # python-fido2 raises OSError or its own errors per platform
        raise TokenRemoved() from None
    return Fido2Token(device, _hid_ref(device), prompter, credential)


# --- the token --------------------------------------------------------------------------


class Fido2Token(Token):
    """A FIDO2 authenticator holding (or about to hold) the Keybound credential."""

    def __init__(
        self,
        device: CtapDevice,
        ref: TokenRef,
        prompter: Prompter,
        credential: PublicKey | None = None,
    ) -> None:
        self.ref = ref
        self.credential = credential
        self._device = device
        self._prompter = prompter
        self._ctap: Ctap2 | None = None

    # --- plumbing ---------------------------------------------------------------------

    def _ctap2(self) -> Ctap2:
        if self._ctap is None:
            self._ctap = self._call(lambda: Ctap2(self._device))
        return self._ctap

    def _protocol(self) -> PinProtocol:
        versions = self._ctap2().info.pin_uv_protocols
        if 2 in versions:
            return PinProtocolV2()
        return PinProtocolV1()

    def _client_pin(self) -> ClientPin:
        return ClientPin(self._ctap2(), self._protocol())

    def _retries(self) -> int | None:
        try:
            return int(self._client_pin().get_pin_retries()[0])
        except Exception:  # only decoration for the WrongPin message
            return None

    def _call(self, fn: Callable[[], T]) -> T:
        """Run one device exchange, translating every failure in ``map_error``."""
        check_cancelled()
        try:
            return fn()
        except InternalError:
            raise
        except Exception as exc:
            raise map_error(exc, self._retries) from None

    @contextmanager
    def _touch(self) -> Iterator[dict[str, Any]]:
        """python-fido2 keyword arguments that cancel with the job and report touches."""
        asked = threading.Event()

        def on_keepalive(status: int) -> None:
            if status == STATUS.UPNEEDED and not asked.is_set():
                asked.set()
                self._prompter.touch_needed(self.ref)

        try:
            yield {"event": current_cancel_event(), "on_keepalive": on_keepalive}
        finally:
            if asked.is_set():
                self._prompter.touch_done(self.ref)

    def _ask_pin(self, purpose: str) -> str:
        retries = self._retries()
        pin = self._prompter.ask_pin(PinRequest(self.ref, PinKind.USER, retries, purpose))
        if pin is None:
            raise OperationCancelled()
        return pin

    def _pin_token(
        self, pin: str, permissions: ClientPin.PERMISSION, rp_id: str | None
    ) -> tuple[PinProtocol, bytes]:
        protocol = self._protocol()
        client_pin = ClientPin(self._ctap2(), protocol)
        token = self._call(lambda: client_pin.get_pin_token(pin, permissions, rp_id))
        return protocol, token

    def _pin_set(self) -> bool:
        info = self._call(self._ctap2().get_info)
        return bool(info.options.get("clientPin"))

    # --- Token interface ------------------------------------------------------------------

    def info(self) -> TokenInfo:
        assert_token_thread()
        info = self._call(self._ctap2().get_info)
        pin_set = bool(info.options.get("clientPin"))
        retries = self._call(lambda: self._client_pin().get_pin_retries()[0]) if pin_set else None
        algorithms = ", ".join(str(a.get("alg")) for a in info.algorithms)
        return TokenInfo(
            ref=self.ref,
            version=info.versions[-1] if info.versions else "",
            pin_set=pin_set,
            pin_retries=retries,
            admin_pin_retries=None,
            has_keys=self.credential is not None,
            details=(
                ("AAGUID", bytes(info.aaguid).hex()),
                ("Algorithms", algorithms),
                ("Extensions", ", ".join(info.extensions)),
            ),
        )

    def verify_pin(self, pin: str, kind: PinKind = PinKind.USER) -> None:
        assert_token_thread()
        if kind is not PinKind.USER:
            raise UnsupportedToken("FIDO2 security keys have no admin PIN.")
        rp_id = self.credential.rp_id if self.credential else None
        self._pin_token(pin, ClientPin.PERMISSION.GET_ASSERTION, rp_id)

    def change_pin(self, old: str, new: str, kind: PinKind = PinKind.USER) -> None:
        assert_token_thread()
        if kind is not PinKind.USER:
            raise UnsupportedToken("FIDO2 security keys have no admin PIN.")
        _check_pin_policy(new)
        client_pin = self._client_pin()
        self._call(lambda: client_pin.change_pin(old, new))

    def set_pin(self, pin: str) -> None:
        """Set the first PIN of a key that has none."""
        assert_token_thread()
        _check_pin_policy(pin)
        client_pin = self._client_pin()
        self._call(lambda: client_pin.set_pin(pin))

    def enroll(self, options: EnrollOptions) -> PublicKey:
        assert_token_thread()
        if self.credential is not None and not options.force:
            raise TokenNotBlank(
                "This security key already holds a Keybound credential. "
                "Use --force to make a new one."
            )
        pin = self._enroll_pin(options)
        if options.user_verification and pin is None:
            raise PinRequired(
                "User verification needs a PIN on the security key; choose one first."
            )
        client_data_hash = hashlib.sha256(b"keybound enroll " + os.urandom(16)).digest()
        pin_param: dict[str, Any] = {}
        if pin is not None:
            protocol, token = self._pin_token(
                pin, ClientPin.PERMISSION.MAKE_CREDENTIAL, options.rp_id
            )
            pin_param = {
                "pin_uv_param": protocol.authenticate(token, client_data_hash),
                "pin_uv_protocol": protocol.VERSION,
            }
        ctap = self._ctap2()
        with self._touch() as touch:
            attestation = self._call(
                lambda: ctap.make_credential(
                    client_data_hash,
                    {"id": options.rp_id, "name": "Keybound"},
                    {"id": os.urandom(16), "name": "keybound", "displayName": "Keybound"},
                    [
                        {"type": "public-key", "alg": ALG_EDDSA},
                        {"type": "public-key", "alg": ALG_ES256},
                    ],
                    extensions={"hmac-secret": True, "credProtect": 2},
                    options={"rk": True},
                    **pin_param,
                    **touch,
                )
            )
        self.credential = _public_key(attestation, client_data_hash, options)
        return self.credential

    def _enroll_pin(self, options: EnrollOptions) -> str | None:
        """The PIN to use for enrollment, setting or changing it as the options ask."""
        if not self._pin_set():
            if options.user_pin is None:
                return None
            self.set_pin(options.user_pin)
            return options.user_pin
        if options.user_pin is not None and options.current_user_pin is not None:
            if options.user_pin != options.current_user_pin:
                self.change_pin(options.current_user_pin, options.user_pin)
            return options.user_pin
        return options.current_user_pin or options.user_pin or self._ask_pin("enroll")

    def find_credential(self, known: Sequence[PublicKey]) -> PublicKey | None:
        """Which remembered credential this key holds, asked silently (up=false, no PIN).

        credProtect level 2 lets a credential be found by its ID without UV,
        so this needs neither a touch nor a PIN.
        """
        assert_token_thread()
        ctap = self._ctap2()
        for rp_id in sorted(
            {k.rp_id for k in known if k.scheme is not SignatureScheme.OPENPGP_ED25519}
        ):
            candidates = [k for k in known if k.rp_id == rp_id]
            allow: list[Mapping[str, Any]] = [
                {"type": "public-key", "id": k.credential_id} for k in candidates
            ]
            probe = functools.partial(
                ctap.get_assertion,
                rp_id,
                hashlib.sha256(b"keybound probe").digest(),
                allow,
                options={"up": False},
            )
            try:
                assertion = self._call(probe)
            except WrongToken:
                continue
            found = bytes(assertion.credential["id"])
            for key in candidates:
                if key.credential_id == found:
                    return key
        return None

    def public_key(self) -> PublicKey:
        assert_token_thread()
        if self.credential is None:
            raise NoKeysOnToken("This security key has no Keybound credential yet.")
        return self.credential

    def _assert(
        self, client_data_hash: bytes, purpose: str, extensions: Callable[[], dict[str, Any] | None]
    ) -> Any:
        """getAssertion for our credential, with UV exactly as fixed at enrollment."""
        credential = self.public_key()
        return self._assert_with(
            credential.rp_id, credential.credential_id, credential.user_verification,
            client_data_hash, purpose, extensions,
        )  # fmt: skip

    def _assert_with(
        self,
        rp_id: str,
        credential_id: bytes,
        user_verification: bool,
        client_data_hash: bytes,
        purpose: str,
        extensions: Callable[[], dict[str, Any] | None],
    ) -> Any:
        """getAssertion for one credential, with a PIN (UV) or without, and a touch."""
        pin_param: dict[str, Any] = {}
        if user_verification:
            pin = self._ask_pin(purpose)
            protocol, token = self._pin_token(pin, ClientPin.PERMISSION.GET_ASSERTION, rp_id)
            pin_param = {
                "pin_uv_param": protocol.authenticate(token, client_data_hash),
                "pin_uv_protocol": protocol.VERSION,
            }
        ext = extensions()
        ctap = self._ctap2()
        with self._touch() as touch:
            return self._call(
                lambda: ctap.get_assertion(
                    rp_id,
                    client_data_hash,
                    [{"type": "public-key", "id": credential_id}],
                    extensions=ext,
                    options={"up": True},
                    **pin_param,
                    **touch,
                )
            )

    def sign(self, message: bytes) -> Signature:
        assert_token_thread()
        credential = self.public_key()
        assertion = self._assert(hashlib.sha256(message).digest(), "sign", lambda: None)
        signature = Signature(
            credential.scheme, bytes(assertion.signature), bytes(assertion.auth_data)
        )
        verify_fido2(credential, message, signature)  # a wrong or broken key fails here, not later
        return signature

    def unlock_secret(self, salt: bytes) -> bytes:
        assert_token_thread()
        credential = self.public_key()
        if len(salt) != HMAC_SALT_LEN:
            salt = hashlib.sha256(salt).digest()
        return self._hmac_secret(
            credential.rp_id, credential.credential_id, credential.user_verification, salt,
            hashlib.sha256(b"keybound unlock").digest(), "unlock",
        )  # fmt: skip

    def _hmac_secret(
        self,
        rp_id: str,
        credential_id: bytes,
        user_verification: bool,
        salt: bytes,
        client_data_hash: bytes,
        purpose: str,
    ) -> bytes:
        """The hmac-secret output of one credential for one raw 32-byte salt."""
        protocol = self._protocol()
        shared: list[bytes] = []

        def extensions() -> dict[str, Any]:
            # After any PIN exchange: a wrong PIN regenerates the key's key agreement.
            ctap = self._ctap2()
            response = self._call(
                lambda: ctap.client_pin(protocol.VERSION, ClientPin.CMD.GET_KEY_AGREEMENT)
            )
            key_agreement, secret = protocol.encapsulate(
                CoseKey(response[ClientPin.RESULT.KEY_AGREEMENT])
            )
            shared.append(secret)
            salt_enc = protocol.encrypt(secret, salt)
            hmac_input: dict[int, Any] = {
                1: key_agreement,
                2: salt_enc,
                3: protocol.authenticate(secret, salt_enc),
            }
            if protocol.VERSION != 1:  # CTAP 2.0 keys know only protocol 1 and no key 4
                hmac_input[4] = protocol.VERSION
            return {"hmac-secret": hmac_input}

        assertion = self._assert_with(
            rp_id, credential_id, user_verification, client_data_hash, purpose, extensions
        )
        output = (assertion.auth_data.extensions or {}).get("hmac-secret")
        if not isinstance(output, bytes):
            raise UnsupportedToken("The security key did not return an hmac-secret.")
        secret = protocol.decrypt(shared[0], output)
        if len(secret) != HMAC_SALT_LEN:
            raise TokenCommunicationError("The security key returned a malformed hmac-secret.")
        return secret

    # --- age (age-plugin-fido2-hmac) credentials for backups ------------------------------

    def make_age_credential(self) -> bytes:
        """A new non-discoverable credential with hmac-secret for rp ID ``age-encryption.org``.

        The layout of age-plugin-fido2-hmac: nothing is stored on the key (the
        credential ID wraps it), so stock age with that plugin opens what is
        encrypted to it. Asks for the PIN (if set) and a touch. Returns the
        credential ID.
        """
        assert_token_thread()
        client_data_hash = hashlib.sha256(b"keybound age credential " + os.urandom(16)).digest()
        pin_param: dict[str, Any] = {}
        if self._pin_set():
            pin = self._ask_pin("backup key")
            protocol, token = self._pin_token(pin, ClientPin.PERMISSION.MAKE_CREDENTIAL, AGE_RP_ID)
            pin_param = {
                "pin_uv_param": protocol.authenticate(token, client_data_hash),
                "pin_uv_protocol": protocol.VERSION,
            }
        ctap = self._ctap2()
        with self._touch() as touch:
            attestation = self._call(
                lambda: ctap.make_credential(
                    client_data_hash,
                    {"id": AGE_RP_ID, "name": AGE_RP_ID},
                    {"id": os.urandom(16), "name": "age", "displayName": "age"},
                    [
                        {"type": "public-key", "alg": ALG_EDDSA},
                        {"type": "public-key", "alg": ALG_ES256},
                    ],
                    extensions={"hmac-secret": True},
                    options={"rk": False},
                    **pin_param,
                    **touch,
                )
            )
        data = attestation.auth_data.credential_data
        if data is None:
            raise TokenCommunicationError("The security key returned no credential.")
        if (attestation.auth_data.extensions or {}).get("hmac-secret") is not True:
            raise UnsupportedToken("The security key does not support the hmac-secret extension.")
        return bytes(data.credential_id)

    def holds_credential(self, rp_id: str, credential_id: bytes) -> bool:
        """Whether this key made ``credential_id`` (asked silently: no touch, no PIN)."""
        assert_token_thread()
        ctap = self._ctap2()
        probe = functools.partial(
            ctap.get_assertion,
            rp_id,
            hashlib.sha256(b"keybound probe").digest(),
            [{"type": "public-key", "id": credential_id}],
            options={"up": False},
        )
        try:
            self._call(probe)
        except WrongToken:
            return False
        return True

    def age_hmac_secret(self, credential_id: bytes, salt: bytes, user_verification: bool) -> bytes:
        """hmac-secret (raw 32-byte salt, not PRF) of an age credential; asks for a touch."""
        assert_token_thread()
        if len(salt) != HMAC_SALT_LEN:
            raise UnsupportedToken("An age credential's salt must be 32 bytes.")
        return self._hmac_secret(
            AGE_RP_ID, credential_id, user_verification, salt,
            hashlib.sha256(b"keybound age " + os.urandom(16)).digest(), "decrypt backup",
        )  # fmt: skip

    def close(self) -> None:
        assert_token_thread()
        with contextlib.suppress(Exception):  # closing a vanished device is no error to show
            self._device.close()


def _check_pin_policy(pin: str) -> None:
    """CTAP's own rule (4 to 63 bytes), checked before python-fido2 raises a bare ValueError."""
    if len(pin) < 4 or len(pin.encode()) > 63:
        raise PinPolicyError("A security key PIN must have 4 to 63 characters.")


def _public_key(
    attestation: AttestationResponse, client_data_hash: bytes, options: EnrollOptions
) -> PublicKey:
    """Our PublicKey from a makeCredential response, after checking what we asked for."""
    data = attestation.auth_data.credential_data
    if data is None:
        raise TokenCommunicationError("The security key returned no credential.")
    extensions = attestation.auth_data.extensions or {}
    if extensions.get("hmac-secret") is not True:
        raise UnsupportedToken("The security key does not support the hmac-secret extension.")
    cose = data.public_key
    alg = cose.get(3)
    if alg == ALG_EDDSA and cose.get(-1) == 6:
        scheme, key = SignatureScheme.FIDO2_EDDSA, bytes(cose[-2])
    elif alg == ALG_ES256:
        scheme, key = SignatureScheme.FIDO2_ES256, b"\x04" + bytes(cose[-2]) + bytes(cose[-3])
    else:
        raise UnsupportedToken("The security key made a key of a type Keybound does not use.")
    if attestation.fmt == "packed" and "x5c" not in attestation.att_stmt:
        try:  # self attestation: signed by the new key itself
            cose.verify(
                bytes(attestation.auth_data) + client_data_hash, attestation.att_stmt["sig"]
            )
        except Exception:
            raise TokenCommunicationError(
                "The security key's attestation does not verify."
            ) from None
    return PublicKey(
        scheme=scheme,
        key=key,
        rp_id=options.rp_id,
        credential_id=bytes(data.credential_id),
        user_verification=options.user_verification,
    )
