"""The unlock secret: a stable 32 bytes per (card, salt), with nothing stored.

The card's X25519 decryption key ``d`` never leaves it. For a salt we derive
a Curve25519 point ``U`` by hashing (try-and-increment until the u-coordinate
is on the curve), send ``U`` in PSO:DECIPHER and get ``X25519(d, U)``.

Why ``U`` is a hashed point and not the public key of a salt-derived scalar:
the card's public key ``D = d·G`` can be read by anyone holding the card,
without a PIN (GENERATE ASYMMETRIC KEY PAIR, P1=81). If ``U`` were ``e·G``
with ``e`` derived from the (non-secret) salt, then ``X25519(e, D)`` would
equal the card's answer, and a thief with the keyslot file and a minute with
the card would get the secret without the PIN. A hashed point has no known
discrete logarithm, so ``d·U`` is a Diffie-Hellman value only the card can
compute, and only after PW1 is verified. Deterministic: same card and salt,
same answer; another card (another ``d``) or salt (another ``U``) gives an
unrelated one.

The card's answer is then run through HKDF with the salt, so the 32 bytes
returned are uniform and bound to this use.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ...errors import InternalError, TokenCommunicationError

P = 2**255 - 19
A = 486662  # Curve25519: v^2 = u^3 + A u^2 + u
POINT_INFO = b"keybound openpgp unlock point v1"
SECRET_INFO = b"keybound unlock v1"
# u-coordinates of points of order 1, 2 and 4 (the order-8 ones are as unlikely
# as any other 2^-250 event, and the card's all-zero check catches them).
_LOW_ORDER_U = {0, 1, P - 1}


def _is_square(x: int) -> bool:
    return pow(x, (P - 1) // 2, P) == 1


def on_curve(u: int) -> bool:
    """True if ``u`` is the u-coordinate of a point on Curve25519 (not its twist)."""
    rhs = (u * u * u + A * u * u + u) % P
    return rhs != 0 and _is_square(rhs)


def unlock_point(salt: bytes) -> bytes:
    """The hashed Curve25519 point for ``salt``: 32 bytes, little-endian u."""
    if not salt:
        raise InternalError("unlock salt must not be empty")
    for counter in range(256):
        candidate = HKDF(
            hashes.SHA256(), 32, salt=None, info=POINT_INFO + bytes((counter,))
        ).derive(salt)
        u = int.from_bytes(candidate, "little") & ((1 << 255) - 1)
        if u < P and u not in _LOW_ORDER_U and on_curve(u):
            return u.to_bytes(32, "little")
    raise InternalError("no curve point found for the unlock salt")  # probability 2^-256


def unlock_secret_from_shared(shared: bytes, salt: bytes) -> bytes:
    """HKDF-SHA256(ikm = the card's X25519 answer, salt = salt) -> 32 bytes."""
    if len(shared) != 32 or not any(shared):
        raise TokenCommunicationError("The OpenPGP card returned an unusable decryption result.")
    return HKDF(hashes.SHA256(), 32, salt=salt, info=SECRET_INFO).derive(shared)
