"""OpenPGP v4 fingerprints of the card's Curve25519 keys (RFC 4880 §12.2).

The card stores fingerprints (C7/C8) that the host computes; GnuPG compares
them with the keys in its keyring, so they must be the real v4 fingerprints:
SHA-1 over 0x99, a two-byte length and the public-key packet body
``04 | created(4) | algo | OID length | OID | MPI(0x40 || point) [| KDF params]``
with the EdDSA and ECDH formats of RFC 6637 / draft-ietf-openpgp-rfc4880bis
(0x40 marks a native Curve25519 point).
"""

from __future__ import annotations

import hashlib

from .spec import ALGO_ECDH, ALGO_EDDSA, OID_CURVE25519, OID_ED25519

# KDF parameters GnuPG uses for Curve25519 ECDH: reserved 01, SHA-256, AES-128.
ECDH_KDF_PARAMS = bytes.fromhex("03010807")


def _mpi(value: bytes) -> bytes:
    stripped = value.lstrip(b"\x00")
    bits = len(stripped) * 8 - (8 - stripped[0].bit_length()) if stripped else 0
    return bits.to_bytes(2, "big") + stripped


def _native_point(point: bytes) -> bytes:
    if len(point) != 32:
        raise ValueError("a Curve25519 point is 32 bytes")
    return _mpi(b"\x40" + point)


def _oid(oid: bytes) -> bytes:
    return bytes((len(oid),)) + oid


def key_packet_body(algo: int, created: int, fields: bytes) -> bytes:
    return b"\x04" + created.to_bytes(4, "big") + bytes((algo,)) + fields


def v4_fingerprint(packet_body: bytes) -> bytes:
    prefix = b"\x99" + len(packet_body).to_bytes(2, "big")
    return hashlib.sha1(prefix + packet_body, usedforsecurity=False).digest()


def eddsa_packet_body(point: bytes, created: int) -> bytes:
    return key_packet_body(ALGO_EDDSA, created, _oid(OID_ED25519) + _native_point(point))


def ecdh_packet_body(point: bytes, created: int) -> bytes:
    fields = _oid(OID_CURVE25519) + _native_point(point) + ECDH_KDF_PARAMS
    return key_packet_body(ALGO_ECDH, created, fields)


def eddsa_fingerprint(point: bytes, created: int) -> bytes:
    """Fingerprint of an Ed25519 signing key created at ``created`` (Unix time)."""
    return v4_fingerprint(eddsa_packet_body(point, created))


def ecdh_fingerprint(point: bytes, created: int) -> bytes:
    """Fingerprint of an X25519 decryption key created at ``created`` (Unix time)."""
    return v4_fingerprint(ecdh_packet_body(point, created))
