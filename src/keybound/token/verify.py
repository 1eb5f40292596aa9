"""Verify a token signature without the token (anyone holding the public key can)."""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..errors import BadSignature
from .base import PublicKey, Signature, SignatureScheme
from .fido2_verify import verify_fido2


def verify(public_key: PublicKey, message: bytes, signature: Signature) -> None:
    """Raise ``BadSignature`` unless ``signature`` is ``public_key``'s over ``message``."""
    if signature.scheme is not public_key.scheme:
        raise BadSignature("The signature was made with a different kind of key.")
    if public_key.scheme is SignatureScheme.OPENPGP_ED25519:
        _verify_openpgp_ed25519(public_key.key, message, signature.signature)
    else:
        verify_fido2(public_key, message, signature)


def _verify_openpgp_ed25519(key: bytes, message: bytes, signature: bytes) -> None:
    if len(key) != 32:
        raise BadSignature("The Ed25519 public key has the wrong length.")
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, hashlib.sha256(message).digest())
    except InvalidSignature:
        raise BadSignature("The signature does not match the message and key.") from None
