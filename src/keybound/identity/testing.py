"""Software stand-ins for tokens and devices: for tests and benchmarks only.

``SoftwareToken`` signs exactly as an OpenPGP card does (Ed25519 over
SHA-256 of the message, scheme ``openpgp-ed25519``), so its signatures verify
with the same code; it just keeps its key in memory, which a real identity
never does.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ..token.base import PublicKey, Signature, SignatureScheme
from .document import (
    DeviceCertificate,
    SignedDocument,
    TokenEntry,
    UnsignedDocument,
    attach_cosignature,
    attach_signature,
    build_genesis,
    build_next,
    certify_device,
    signing_bytes,
)

_RAW = (Encoding.Raw, PublicFormat.Raw)


class SoftwareToken:
    """An in-memory Ed25519 signer with the ``openpgp-ed25519`` scheme."""

    def __init__(self, label: str = "software token") -> None:
        self._key = Ed25519PrivateKey.generate()
        self.entry = TokenEntry(self.public_key(), label)

    def public_key(self) -> PublicKey:
        return PublicKey(
            SignatureScheme.OPENPGP_ED25519, self._key.public_key().public_bytes(*_RAW)
        )

    def sign(self, message: bytes) -> Signature:
        digest = hashlib.sha256(message).digest()
        return Signature(SignatureScheme.OPENPGP_ED25519, self._key.sign(digest))

    def sign_document(self, doc: UnsignedDocument) -> SignedDocument:
        return attach_signature(doc, self.public_key(), self.sign(signing_bytes(doc)))

    def cosign(self, doc: SignedDocument) -> SignedDocument:
        """Co-sign a document that adds this token (format 2)."""
        return attach_cosignature(doc, self.public_key(), self.sign(signing_bytes(doc)))


class SoftwareDevice:
    """A device's Ed25519 and Curve25519 keys (what a vodozemac Account would hold)."""

    def __init__(self, device_id: bytes, mailbox: str = "wss://relay.test/mailbox") -> None:
        self.device_id, self.mailbox = device_id, mailbox
        self._ed25519 = Ed25519PrivateKey.generate()
        self.curve25519 = X25519PrivateKey.generate().public_key().public_bytes(*_RAW)
        self.ed25519 = self._ed25519.public_key().public_bytes(*_RAW)

    def certificate(
        self, root_token: bytes, created: int, expires: int | None = None, name: str = ""
    ) -> DeviceCertificate:
        unsigned = DeviceCertificate(
            self.device_id, self.curve25519, self.ed25519, self.mailbox, created, expires, name
        )
        return certify_device(root_token, unsigned, self._ed25519.sign)


def software_chain(n: int, created: int = 1_700_000_000) -> list[SignedDocument]:
    """A valid chain of ``n`` documents: devices are added, the oldest dropped past four."""
    token = SoftwareToken()
    root = token.entry.token_id
    devices = [SoftwareDevice(b"device-0").certificate(root, created)]
    chain = [token.sign_document(build_genesis([token.entry], devices, created))]
    for i in range(1, n):
        devices = [*devices[-3:], SoftwareDevice(f"device-{i}".encode()).certificate(root, created)]
        chain.append(token.sign_document(build_next(chain[-1], created + i, devices=devices)))
    return chain
