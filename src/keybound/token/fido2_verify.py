"""Verify a FIDO2 assertion made by ``Fido2Token.sign`` (pure: no token, no I/O).

What the token signed is WebAuthn's ``authenticatorData || clientDataHash``
with ``clientDataHash = SHA-256(message)``. A signature alone is not enough:
the authenticator data must name our RP (rpIdHash), show that a person was
present (UP), and, for a credential enrolled with user verification, that
the PIN was checked (UV). Otherwise a valid signature for another site, or
one made without the PIN, would pass.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ..errors import BadSignature
from .base import PublicKey, Signature, SignatureScheme

FLAG_UP = 0x01
FLAG_UV = 0x04
_AUTH_DATA_MIN = 37  # rpIdHash (32) + flags (1) + signCount (4)


def verify_fido2(public_key: PublicKey, message: bytes, signature: Signature) -> None:
    """Raise ``BadSignature`` unless ``signature`` is a valid assertion over ``message``."""
    if public_key.scheme not in (SignatureScheme.FIDO2_ES256, SignatureScheme.FIDO2_EDDSA):
        raise BadSignature(f"Not a FIDO2 key (scheme {public_key.scheme}).")
    if signature.scheme != public_key.scheme:
        raise BadSignature(
            f"The signature scheme {signature.scheme} does not match the key's {public_key.scheme}."
        )
    auth_data = signature.authenticator_data
    if len(auth_data) < _AUTH_DATA_MIN:
        raise BadSignature("The FIDO2 authenticator data is too short.")
    if auth_data[:32] != hashlib.sha256(public_key.rp_id.encode()).digest():
        raise BadSignature(
            f"The FIDO2 signature was made for another site than {public_key.rp_id!r}."
        )
    flags = auth_data[32]
    if not flags & FLAG_UP:
        raise BadSignature(
            "The FIDO2 signature was made without the user present (UP flag not set)."
        )
    if public_key.user_verification and not flags & FLAG_UV:
        raise BadSignature("The FIDO2 signature was made without the PIN (UV flag not set).")
    signed = auth_data + hashlib.sha256(message).digest()
    try:
        if public_key.scheme is SignatureScheme.FIDO2_EDDSA:
            if len(public_key.key) != 32:
                raise BadSignature("The Ed25519 public key is not 32 bytes.")
            ed25519.Ed25519PublicKey.from_public_bytes(public_key.key).verify(
                signature.signature, signed
            )
        else:
            if len(public_key.key) != 65 or public_key.key[0] != 4:
                raise BadSignature("The P-256 public key is not an uncompressed point.")
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key.key)
            point.verify(signature.signature, signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise BadSignature("The FIDO2 signature does not match the message and key.") from None
    except ValueError:
        raise BadSignature("The FIDO2 public key is malformed.") from None
