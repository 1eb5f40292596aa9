"""Outer-layer state at rest: ChaCha20-Poly1305 under a key derived from the pickle key.

vodozemac encrypts its own pickles with the pickle key; the PQ layer's state
(chain keys, skipped keys, KEM seeds) gets the same treatment, bound to the
record it is stored under, so a record copied to another key does not open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keybound.errors import ProtocolStateError

_INFO = b"keybound pq state v1\x00"


StateKey = ChaCha20Poly1305


def state_key(pickle_key: bytes) -> StateKey:
    """The AEAD keyed for PQ state (built once: it is used for every message)."""
    return ChaCha20Poly1305(HKDF(hashes.SHA256(), 32, None, _INFO).derive(pickle_key))


def seal_state(key: StateKey, kind: str, record: bytes, plaintext: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + key.encrypt(nonce, plaintext, kind.encode() + b"\x00" + record)


def open_state(key: StateKey, kind: str, record: bytes, value: bytes) -> bytes:
    try:
        return key.decrypt(value[:12], value[12:], kind.encode() + b"\x00" + record)
    except (InvalidTag, ValueError):
        raise ProtocolStateError(kind) from None
