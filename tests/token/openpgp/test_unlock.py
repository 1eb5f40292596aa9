"""The unlock derivation: hashed curve points, and why the card is needed."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from keybound.errors import InternalError, TokenCommunicationError
from keybound.token.openpgp.unlock import P, on_curve, unlock_point, unlock_secret_from_shared


def test_point_is_deterministic_on_the_curve_and_per_salt() -> None:
    points = {unlock_point(bytes([i]) * 16) for i in range(50)}
    assert len(points) == 50
    for point in points:
        u = int.from_bytes(point, "little")
        assert u < P
        assert on_curve(u)
    assert unlock_point(b"salt") == unlock_point(b"salt")


def test_known_twist_point_is_rejected() -> None:
    # u = 2 lies on the quadratic twist of Curve25519, not on the curve
    assert not on_curve(2)
    assert on_curve(9)  # the base point


def test_empty_salt_is_a_bug() -> None:
    with pytest.raises(InternalError):
        unlock_point(b"")


def test_output_needs_the_private_key() -> None:
    """Knowing the salt and the card's public key is not enough (the flaw of e·G points)."""
    card = X25519PrivateKey.generate()
    salt = b"keyslot salt"
    point = X25519PublicKey.from_public_bytes(unlock_point(salt))
    secret = unlock_secret_from_shared(card.exchange(point), salt)
    assert len(secret) == 32
    other = X25519PrivateKey.generate()
    assert unlock_secret_from_shared(other.exchange(point), salt) != secret
    assert unlock_secret_from_shared(card.exchange(point), b"other salt") != secret


def test_all_zero_answer_is_refused() -> None:
    with pytest.raises(TokenCommunicationError):
        unlock_secret_from_shared(bytes(32), b"salt")
