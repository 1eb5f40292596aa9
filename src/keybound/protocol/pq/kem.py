"""ML-KEM-768 (FIPS 203) from ``cryptography``: the only KEM Keybound uses.

Private keys are kept as their 64-byte FIPS 203 seed (``d || z``), which is
what ``from_seed_bytes`` takes back, so stored state stays small and a key can
be rebuilt exactly (the known-answer tests rely on it).
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey, MLKEM768PublicKey

from keybound.errors import DecryptionFailed, PostQuantumUnavailable

PUBLIC_KEY_SIZE = 1184
CIPHERTEXT_SIZE = 1088
SEED_SIZE = 64
SECRET_SIZE = 32


def mlkem_supported() -> bool:
    """Whether the installed ``cryptography`` backend offers ML-KEM-768."""
    try:
        from cryptography.hazmat.backends.openssl.backend import backend
    except ImportError:  # pragma: no cover - cryptography without an OpenSSL backend
        return False
    check = getattr(backend, "mlkem_supported", None)
    return bool(check()) if check is not None else False


def require_mlkem() -> None:
    """Raise :class:`PostQuantumUnavailable` unless ML-KEM-768 works here (checked at start)."""
    if not mlkem_supported():
        raise PostQuantumUnavailable()


def generate() -> tuple[bytes, bytes]:
    """A fresh key pair as (seed, public key bytes)."""
    try:
        private = MLKEM768PrivateKey.generate()
    except UnsupportedAlgorithm as exc:
        raise PostQuantumUnavailable() from exc
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def public_from_seed(seed: bytes) -> bytes:
    return MLKEM768PrivateKey.from_seed_bytes(seed).public_key().public_bytes_raw()


def encapsulate(public_key: bytes) -> tuple[bytes, bytes]:
    """(shared secret, ciphertext) to ``public_key``; a malformed key is ValueError."""
    try:
        public = MLKEM768PublicKey.from_public_bytes(public_key)
    except UnsupportedAlgorithm as exc:
        raise PostQuantumUnavailable() from exc
    return public.encapsulate()


def decapsulate(seed: bytes, ciphertext: bytes) -> bytes:
    """The shared secret in ``ciphertext`` for the key of ``seed``."""
    if len(ciphertext) != CIPHERTEXT_SIZE:
        raise DecryptionFailed("post-quantum key exchange")
    try:
        return MLKEM768PrivateKey.from_seed_bytes(seed).decapsulate(ciphertext)
    except ValueError as exc:
        raise DecryptionFailed("post-quantum key exchange") from exc
