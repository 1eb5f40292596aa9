"""Credentials of the virtual FIDO2 authenticator: keys, wrapped IDs, COSE, signatures.

Design choice: the credential ID *is* the credential. It is the private key
and its parameters (algorithm, credProtect level, the two hmac-secret
CredRandom values) encrypted with AES-256-GCM under the card's master secret,
with SHA-256(rpId) as associated data, so an ID only opens for the RP it was
made for. Non-resident credentials therefore need no storage at all (like
most real keys); resident ones are additionally listed in the state with
their user entity. An authenticatorReset replaces the master secret, which
kills every ID ever issued.

Layout: version (1) || nonce (12) || AES-GCM(CBOR {1: alg, 2: private,
3: credProtect, 4: credRandomWithUV, 5: credRandomWithoutUV}).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fido2 import cbor

ALG_ES256 = -7
ALG_EDDSA = -8
SUPPORTED_ALGORITHMS = (ALG_EDDSA, ALG_ES256)
_ID_VERSION = 1


@dataclass(frozen=True)
class Credential:
    """One credential, as unwrapped from its ID."""

    credential_id: bytes
    alg: int
    private: bytes  # Ed25519 seed or P-256 scalar, 32 bytes
    cred_protect: int  # 1, 2 or 3
    cred_random_uv: bytes | None  # hmac-secret CredRandomWithUV (None: no hmac-secret)
    cred_random_no_uv: bytes | None

    def cose_public_key(self) -> dict[int, Any]:
        if self.alg == ALG_EDDSA:
            public = _ed25519(self.private).public_key()
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return {1: 1, 3: ALG_EDDSA, -1: 6, -2: raw}
        numbers = _p256(self.private).public_key().public_numbers()
        return {
            1: 2,
            3: ALG_ES256,
            -1: 1,
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }

    def sign(self, data: bytes) -> bytes:
        """EdDSA: raw 64-byte signature; ES256: DER ECDSA over SHA-256 (WebAuthn §6.5.6)."""
        if self.alg == ALG_EDDSA:
            return _ed25519(self.private).sign(data)
        return _p256(self.private).sign(data, ec.ECDSA(hashes.SHA256()))


def _ed25519(private: bytes) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(private)


def _p256(private: bytes) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(private, "big"), ec.SECP256R1())


def new_credential(
    master: bytes, rp_id_hash: bytes, alg: int, cred_protect: int, hmac_secret: bool
) -> Credential:
    """Generate a key pair and its wrapped ID."""
    if alg == ALG_EDDSA:
        private = ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
    else:
        scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
        private = scalar.to_bytes(32, "big")
    body: dict[int, Any] = {1: alg, 2: private, 3: cred_protect}
    if hmac_secret:
        body[4] = os.urandom(32)
        body[5] = os.urandom(32)
    nonce = os.urandom(12)
    sealed = AESGCM(master).encrypt(nonce, cbor.encode(body), rp_id_hash)
    credential_id = bytes((_ID_VERSION,)) + nonce + sealed
    return _from_body(credential_id, body)


def open_credential(master: bytes, rp_id_hash: bytes, credential_id: bytes) -> Credential | None:
    """The credential behind an ID, or None if it is not ours or not for this RP."""
    if len(credential_id) < 1 + 12 + 16 or credential_id[0] != _ID_VERSION:
        return None
    try:
        plain = AESGCM(master).decrypt(credential_id[1:13], credential_id[13:], rp_id_hash)
    except InvalidTag:
        return None
    body = cbor.decode(plain)
    assert isinstance(body, dict)
    return _from_body(credential_id, body)


def _from_body(credential_id: bytes, body: dict[int, Any]) -> Credential:
    return Credential(
        credential_id=credential_id,
        alg=int(body[1]),
        private=bytes(body[2]),
        cred_protect=int(body[3]),
        cred_random_uv=body.get(4),
        cred_random_no_uv=body.get(5),
    )
