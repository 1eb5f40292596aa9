"""The outer layer's key schedule: HKDF-SHA256 roots, HMAC-SHA256 chains, ChaCha20-Poly1305.

Every function is pure, so the known-answer tests pin the exact bytes
(docs/post-quantum.md gives the same formulas).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keybound.errors import DecryptionFailed
from keybound.protocol.devices import DeviceKeys
from keybound.wire import cbor

SESSION_ID_SIZE = 16
_ROOT_INFO = b"keybound pq root v1\x00"
_REKEY_INFO = b"keybound pq rekey v1\x00"
_SESSION_ID_DOMAIN = b"keybound pq session id v1\x00"
_NONCE = bytes(12)  # every message key encrypts exactly one message


@dataclass(frozen=True)
class Keys:
    """A root key and the two chain keys it starts (initiator->responder, and back)."""

    root: bytes
    forward: bytes
    backward: bytes


def _device(d: DeviceKeys) -> list[bytes]:
    return [d.identity_id, d.device_id, d.curve25519, d.ed25519]


def transcript(
    initiator: DeviceKeys, responder: DeviceKeys, key_id: str, pq_key: bytes, ciphertext: bytes
) -> bytes:
    """What the session's first keys are bound to: both devices, the PQ key and the ciphertext."""
    return cbor.encode(
        {
            "purpose": "keybound pq session v1",
            "initiator": _device(initiator),
            "responder": _device(responder),
            "key_id": key_id,
            "pq_key": pq_key,
            "ciphertext": ciphertext,
        }
    )


def session_id(transcript_bytes: bytes) -> bytes:
    return hashlib.sha256(_SESSION_ID_DOMAIN + transcript_bytes).digest()[:SESSION_ID_SIZE]


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> Keys:
    okm = HKDF(hashes.SHA256(), 96, salt, info).derive(ikm)
    return Keys(okm[:32], okm[32:64], okm[64:])


def initial_keys(shared_secret: bytes, transcript_bytes: bytes) -> Keys:
    return _hkdf(shared_secret, bytes(32), _ROOT_INFO + transcript_bytes)


def rekey_keys(
    root: bytes, shared_secret: bytes, sid: bytes, epoch: int, offer: bytes, ciphertext: bytes
) -> Keys:
    """The keys of ``epoch`` from the previous root and a fresh in-band KEM secret."""
    info = (
        _REKEY_INFO
        + sid
        + epoch.to_bytes(8, "big")
        + hashlib.sha256(offer).digest()
        + hashlib.sha256(ciphertext).digest()
    )
    return _hkdf(shared_secret, root, info)


def step(chain_key: bytes) -> tuple[bytes, bytes]:
    """(message key, next chain key): Signal's KDF_CK with HMAC-SHA256."""
    return hmac.digest(chain_key, b"\x01", "sha256"), hmac.digest(chain_key, b"\x02", "sha256")


def seal(message_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    return ChaCha20Poly1305(message_key).encrypt(_NONCE, plaintext, aad)


def open_sealed(message_key: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    try:
        return ChaCha20Poly1305(message_key).decrypt(_NONCE, ciphertext, aad)
    except InvalidTag:
        raise DecryptionFailed() from None
