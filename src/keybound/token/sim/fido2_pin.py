"""authenticatorClientPIN for the virtual FIDO2 authenticator (CTAP 2.1 §6.5).

Both PIN/UV auth protocols: protocol 1 (SHA-256(Z) as the key, AES-256-CBC
with a zero IV, HMAC truncated to 16 bytes) and protocol 2 (HKDF-split HMAC
and AES keys, a random IV per message, the full 32-byte HMAC). The card keeps
one key-agreement pair per protocol, regenerated at power-up and after each
PIN mismatch, and one pinUvAuthToken shared by both protocols, regenerated
at power-up and whenever a new token is handed out.

The PIN is stored as LEFT(SHA-256(PIN), 16), as the spec's reference
authenticator does. Retries: 8, persisted, decremented *before* the check so
pulling the card mid-check still costs an attempt; three mismatches in a row
block PIN use until a power cycle (CTAP2_ERR_PIN_AUTH_BLOCKED).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .fido2_status import ERR, CtapFailure

MAX_PIN_RETRIES = 8
MAX_CONSECUTIVE_MISMATCHES = 3
MIN_PIN_LENGTH = 4
MAX_PIN_BYTES = 63

# authenticatorClientPIN subcommands and parameter/response keys (§6.5.5).
SUB_GET_PIN_RETRIES = 0x01
SUB_GET_KEY_AGREEMENT = 0x02
SUB_SET_PIN = 0x03
SUB_CHANGE_PIN = 0x04
SUB_GET_PIN_TOKEN = 0x05
SUB_GET_TOKEN_USING_PIN_WITH_PERMISSIONS = 0x09

PERM_MC = 0x01
PERM_GA = 0x02
# Permissions this authenticator cannot honour (credMgmt, bioEnroll, largeBlobs, config).
_UNSUPPORTED_PERMISSIONS = 0x04 | 0x08 | 0x10 | 0x20 | 0x40


class PinProtocol:
    """pinUvAuthProtocol 1 (the class) and the common ECDH key agreement."""

    version = 1

    def kdf(self, z: bytes) -> bytes:
        return hashlib.sha256(z).digest()

    def encrypt(self, key: bytes, plaintext: bytes) -> bytes:
        enc = Cipher(algorithms.AES(key[-32:]), modes.CBC(b"\0" * 16)).encryptor()
        return enc.update(plaintext) + enc.finalize()

    def decrypt(self, key: bytes, ciphertext: bytes) -> bytes:
        if not ciphertext or len(ciphertext) % 16:
            raise CtapFailure(ERR.INVALID_PARAMETER)
        dec = Cipher(algorithms.AES(key[-32:]), modes.CBC(b"\0" * 16)).decryptor()
        return dec.update(ciphertext) + dec.finalize()

    def authenticate(self, key: bytes, message: bytes) -> bytes:
        return hmac.new(key[:32], message, hashlib.sha256).digest()[:16]

    def verify(self, key: bytes, message: bytes, signature: bytes) -> bool:
        return hmac.compare_digest(self.authenticate(key, message), signature)


class PinProtocolV2(PinProtocol):
    """pinUvAuthProtocol 2: HKDF-derived HMAC||AES keys, random IV, 32-byte MAC."""

    version = 2

    def kdf(self, z: bytes) -> bytes:
        def derive(info: bytes) -> bytes:
            return HKDF(hashes.SHA256(), 32, b"\0" * 32, info).derive(z)

        return derive(b"CTAP2 HMAC key") + derive(b"CTAP2 AES key")

    def encrypt(self, key: bytes, plaintext: bytes) -> bytes:
        iv = os.urandom(16)
        enc = Cipher(algorithms.AES(key[-32:]), modes.CBC(iv)).encryptor()
        return iv + enc.update(plaintext) + enc.finalize()

    def decrypt(self, key: bytes, ciphertext: bytes) -> bytes:
        if len(ciphertext) < 32 or len(ciphertext) % 16:
            raise CtapFailure(ERR.INVALID_PARAMETER)
        iv, body = ciphertext[:16], ciphertext[16:]
        dec = Cipher(algorithms.AES(key[-32:]), modes.CBC(iv)).decryptor()
        return dec.update(body) + dec.finalize()

    def authenticate(self, key: bytes, message: bytes) -> bytes:
        return hmac.new(key[:32], message, hashlib.sha256).digest()


PROTOCOLS: dict[int, PinProtocol] = {1: PinProtocol(), 2: PinProtocolV2()}


def protocol_for(version: Any) -> PinProtocol:
    """The protocol object for a request's pinUvAuthProtocol (INVALID_PARAMETER if unknown)."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
    if version not in PROTOCOLS:
        raise CtapFailure(ERR.INVALID_PARAMETER)
    return PROTOCOLS[version]


class KeyAgreement:
    """The authenticator's P-256 key-agreement pair for one protocol."""

    def __init__(self, protocol: PinProtocol) -> None:
        self.protocol = protocol
        self._key = ec.generate_private_key(ec.SECP256R1())

    def cose(self) -> dict[int, Any]:
        numbers = self._key.public_key().public_numbers()
        # alg -25 (ECDH-ES+HKDF-256) "although this is NOT the algorithm actually used".
        return {
            1: 2,
            3: -25,
            -1: 1,
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }

    def shared_secret(self, peer: Any) -> bytes:
        """decapsulate(): ECDH with the platform's COSE key, then the protocol's KDF."""
        if not isinstance(peer, Mapping):
            raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
        try:
            if peer.get(1) != 2 or peer.get(-1) != 1:
                raise ValueError("not an EC2 P-256 key")
            x, y = peer[-2], peer[-3]
            if not (isinstance(x, bytes) and isinstance(y, bytes)):
                raise ValueError("coordinates are not bytes")
            point = ec.EllipticCurvePublicNumbers(
                int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
            ).public_key()
            z = self._key.exchange(ec.ECDH(), point)
        except (KeyError, ValueError):
            raise CtapFailure(ERR.INVALID_PARAMETER) from None
        return self.protocol.kdf(z)


@dataclass
class PinUvAuthToken:
    """The current pinUvAuthToken and what it may be used for."""

    value: bytes
    permissions: int = 0
    rp_id: str | None = None
    in_use: bool = False


class ClientPin:
    """PIN state and the authenticatorClientPIN command; also checks pinUvAuthParam."""

    def __init__(self, state: Mapping[str, Any] | None) -> None:
        state = state or {}
        pin_hash = state.get("pin_hash")
        self.pin_hash: bytes | None = bytes.fromhex(pin_hash) if pin_hash else None
        self.retries: int = int(state.get("retries", MAX_PIN_RETRIES))
        self.dirty = False
        self.power_cycle()

    # --- lifecycle -----------------------------------------------------------------

    def power_cycle(self) -> None:
        """Power-up: new key agreement keys, new token, mismatch block lifted."""
        self.mismatches = 0
        self.key_agreements = {v: KeyAgreement(p) for v, p in PROTOCOLS.items()}
        self.token = PinUvAuthToken(os.urandom(32))

    def factory_reset(self) -> None:
        self.pin_hash = None
        self.retries = MAX_PIN_RETRIES
        self.dirty = True
        self.power_cycle()

    def to_state(self) -> dict[str, Any]:
        return {
            "pin_hash": self.pin_hash.hex() if self.pin_hash else None,
            "retries": self.retries,
        }

    @property
    def is_set(self) -> bool:
        return self.pin_hash is not None

    # --- pinUvAuthParam checks (used by makeCredential / getAssertion) ---------------

    def check_param(
        self,
        protocol: PinProtocol,
        client_data_hash: bytes,
        param: bytes,
        permission: int,
        rp_id: str,
    ) -> None:
        """Verify pinUvAuthParam over clientDataHash and the token's permission for rp_id."""
        token = self.token
        if not token.in_use or not protocol.verify(token.value, client_data_hash, param):
            raise CtapFailure(ERR.PIN_AUTH_INVALID)
        if not token.permissions & permission:
            raise CtapFailure(ERR.PIN_AUTH_INVALID)
        if token.rp_id is not None and token.rp_id != rp_id:
            raise CtapFailure(ERR.PIN_AUTH_INVALID)
        if token.rp_id is None:
            token.rp_id = rp_id

    def clear_permissions(self) -> None:
        """After an operation that collected presence (§6.1.2 / §6.2.2, 'except lbw')."""
        self.token.permissions = 0

    # --- the command -----------------------------------------------------------------

    def handle(self, params: Mapping[int, Any]) -> dict[int, Any]:
        protocol_version = params.get(1)
        sub = params.get(2)
        if not isinstance(sub, int):
            raise CtapFailure(ERR.MISSING_PARAMETER)
        if sub == SUB_GET_PIN_RETRIES:
            return {3: self.retries, 4: self.mismatches >= MAX_CONSECUTIVE_MISMATCHES}
        if protocol_version is None:
            raise CtapFailure(ERR.MISSING_PARAMETER)
        protocol = protocol_for(protocol_version)
        if sub == SUB_GET_KEY_AGREEMENT:
            return {1: self.key_agreements[protocol.version].cose()}
        if sub == SUB_SET_PIN:
            self._set_pin(protocol, params)
            return {}
        if sub == SUB_CHANGE_PIN:
            self._change_pin(protocol, params)
            return {}
        if sub in (SUB_GET_PIN_TOKEN, SUB_GET_TOKEN_USING_PIN_WITH_PERMISSIONS):
            return self._get_token(protocol, sub, params)
        raise CtapFailure(ERR.INVALID_SUBCOMMAND)

    def _set_pin(self, protocol: PinProtocol, params: Mapping[int, Any]) -> None:
        key_agreement, param, new_pin_enc = params.get(3), params.get(4), params.get(5)
        if key_agreement is None or param is None or new_pin_enc is None:
            raise CtapFailure(ERR.MISSING_PARAMETER)
        if self.is_set:
            raise CtapFailure(ERR.NOT_ALLOWED)
        shared = self.key_agreements[protocol.version].shared_secret(key_agreement)
        if not protocol.verify(shared, _bytes(new_pin_enc), _bytes(param)):
            raise CtapFailure(ERR.PIN_AUTH_INVALID)
        self._store_new_pin(protocol, shared, new_pin_enc)

    def _change_pin(self, protocol: PinProtocol, params: Mapping[int, Any]) -> None:
        key_agreement, param = params.get(3), params.get(4)
        new_pin_enc, pin_hash_enc = params.get(5), params.get(6)
        if None in (key_agreement, param, new_pin_enc, pin_hash_enc):
            raise CtapFailure(ERR.MISSING_PARAMETER)
        if not self.is_set:
            raise CtapFailure(ERR.PIN_NOT_SET)
        self._check_not_blocked()
        shared = self.key_agreements[protocol.version].shared_secret(key_agreement)
        if not protocol.verify(shared, _bytes(new_pin_enc) + _bytes(pin_hash_enc), _bytes(param)):
            raise CtapFailure(ERR.PIN_AUTH_INVALID)
        self._verify_pin_hash(protocol, shared, _bytes(pin_hash_enc))
        self._store_new_pin(protocol, shared, new_pin_enc)
        self.token = PinUvAuthToken(os.urandom(32))

    def _get_token(
        self, protocol: PinProtocol, sub: int, params: Mapping[int, Any]
    ) -> dict[int, Any]:
        key_agreement, pin_hash_enc = params.get(3), params.get(6)
        if key_agreement is None or pin_hash_enc is None:
            raise CtapFailure(ERR.MISSING_PARAMETER)
        permissions: Any = PERM_MC | PERM_GA  # legacy getPinToken: mc + ga
        rp_id: Any = None
        if sub == SUB_GET_TOKEN_USING_PIN_WITH_PERMISSIONS:
            permissions, rp_id = params.get(9), params.get(10)
            if permissions is None:
                raise CtapFailure(ERR.MISSING_PARAMETER)
            if not isinstance(permissions, int) or permissions == 0:
                raise CtapFailure(ERR.INVALID_PARAMETER)
            if permissions & _UNSUPPORTED_PERMISSIONS:
                raise CtapFailure(ERR.UNAUTHORIZED_PERMISSION)
            if rp_id is not None and not isinstance(rp_id, str):
                raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
        else:
            if params.get(9) is not None or params.get(10) is not None:
                raise CtapFailure(ERR.INVALID_PARAMETER)
        if not self.is_set:
            raise CtapFailure(ERR.PIN_NOT_SET)
        self._check_not_blocked()
        shared = self.key_agreements[protocol.version].shared_secret(key_agreement)
        self._verify_pin_hash(protocol, shared, _bytes(pin_hash_enc))
        self.token = PinUvAuthToken(os.urandom(32), permissions, rp_id, in_use=True)
        return {2: protocol.encrypt(shared, self.token.value)}

    # --- helpers ---------------------------------------------------------------------

    def _check_not_blocked(self) -> None:
        if self.retries <= 0:
            raise CtapFailure(ERR.PIN_BLOCKED)
        if self.mismatches >= MAX_CONSECUTIVE_MISMATCHES:
            raise CtapFailure(ERR.PIN_AUTH_BLOCKED)

    def _verify_pin_hash(self, protocol: PinProtocol, shared: bytes, pin_hash_enc: bytes) -> None:
        """§6.5.5.7 steps: spend an attempt, compare, and answer the mismatch precisely."""
        self.retries -= 1
        self.dirty = True
        pin_hash = protocol.decrypt(shared, pin_hash_enc)
        assert self.pin_hash is not None
        if not hmac.compare_digest(pin_hash[:16], self.pin_hash) or len(pin_hash) != 16:
            self.key_agreements[protocol.version] = KeyAgreement(protocol)
            self.mismatches += 1
            if self.retries <= 0:
                raise CtapFailure(ERR.PIN_BLOCKED)
            if self.mismatches >= MAX_CONSECUTIVE_MISMATCHES:
                raise CtapFailure(ERR.PIN_AUTH_BLOCKED)
            raise CtapFailure(ERR.PIN_INVALID)
        self.retries = MAX_PIN_RETRIES
        self.mismatches = 0

    def _store_new_pin(self, protocol: PinProtocol, shared: bytes, new_pin_enc: Any) -> None:
        padded = protocol.decrypt(shared, _bytes(new_pin_enc))
        if len(padded) != 64:  # §6.5.5.5: paddedPin is exactly 64 bytes
            raise CtapFailure(ERR.INVALID_PARAMETER)
        pin = padded.rstrip(b"\0")
        try:
            code_points = len(pin.decode("utf-8"))
        except UnicodeDecodeError:
            raise CtapFailure(ERR.PIN_POLICY_VIOLATION) from None
        if code_points < MIN_PIN_LENGTH or len(pin) > MAX_PIN_BYTES:
            raise CtapFailure(ERR.PIN_POLICY_VIOLATION)
        self.pin_hash = hashlib.sha256(pin).digest()[:16]
        self.retries = MAX_PIN_RETRIES
        self.dirty = True


def _bytes(value: Any) -> bytes:
    if not isinstance(value, bytes):
        raise CtapFailure(ERR.CBOR_UNEXPECTED_TYPE)
    return value
