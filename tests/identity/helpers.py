"""Test helpers: a software FIDO2 signer (EdDSA assertions, as a security key makes them)."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from keybound.identity.document import (
    SignedDocument,
    TokenEntry,
    UnsignedDocument,
    attach_cosignature,
    attach_signature,
    signing_bytes,
)
from keybound.token.base import PublicKey, Signature, SignatureScheme

NOW = 1_700_000_000


class SoftwareFido2:
    """Signs WebAuthn-style: Ed25519 over authenticatorData || SHA-256(message)."""

    def __init__(self, label: str = "fido2", rp_id: str = "keybound.local") -> None:
        self._key = Ed25519PrivateKey.generate()
        raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._public = PublicKey(SignatureScheme.FIDO2_EDDSA, raw, rp_id, b"cred-" + raw[:8], True)
        self.entry = TokenEntry(self._public, label)
        self.counter = 0

    def public_key(self) -> PublicKey:
        return self._public

    def sign(self, message: bytes) -> Signature:
        self.counter += 1
        auth = (
            hashlib.sha256(self._public.rp_id.encode()).digest()
            + bytes([0x05])  # UP | UV
            + self.counter.to_bytes(4, "big")
        )
        signature = self._key.sign(auth + hashlib.sha256(message).digest())
        return Signature(SignatureScheme.FIDO2_EDDSA, signature, auth)

    def sign_document(self, doc: UnsignedDocument) -> SignedDocument:
        return attach_signature(doc, self._public, self.sign(signing_bytes(doc)))

    def cosign(self, doc: SignedDocument) -> SignedDocument:
        return attach_cosignature(doc, self._public, self.sign(signing_bytes(doc)))
