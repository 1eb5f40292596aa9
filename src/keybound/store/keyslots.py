"""The keyslot file: the master key wrapped once per enrolled token and once per recovery code.

Layout (version 1)::

    magic "KBSLOTS\\0" | version u16 BE | body length u32 BE | body | SHA-256 of all before

The body is canonical CBOR (``keybound.wire.cbor``): ``{"vault_id": 16 bytes,
"key_check": 32 bytes, "slots": [slot, ...]}``. The length field tells a
truncated file from a damaged one; the SHA-256 catches accidental damage
(it is a checksum, not a seal: anyone can recompute it). Decoding is strict:
an unknown version, field or slot kind is refused, never skipped.

Every slot has ``id``, ``kind``, ``label``, ``created`` (Unix seconds),
``salt``, ``nonce`` and ``wrapped``: the 32-byte master key sealed with
XChaCha20-Poly1305-IETF (libsodium) under the slot's key-encryption key (KEK).
The associated data is the magic, the version, the vault id and the canonical
CBOR of the slot without ``wrapped``, so changing any metadata byte of a slot,
or moving it into another vault, makes unwrapping fail.

- ``fido2`` slots: ``salt`` (32 bytes) for hmac-secret and the credential
  (``scheme``, ``public_key``, ``rp_id``, ``credential_id``, ``uv``).
- ``openpgp`` slots: ``salt`` (32 bytes), the card's ``serial`` and its
  signing key (``scheme``, ``public_key``), which tell which card and which
  enrollment the slot belongs to. Deviation from the original plan of an
  ephemeral X25519 public key per slot: ``OpenPgpToken.unlock_secret(salt)``
  already runs PSO:DECIPHER on a Curve25519 point *hashed* from the salt (see
  ``keybound.token.openpgp.unlock``). A point ``e·G`` with a stored ``e``-derived
  public key would let anyone compute the same ECDH from the card's public key
  without the PIN; a hashed point has no known discrete log. So both token
  kinds store a salt and use the same KEK rule.
- Token KEK: ``HKDF-SHA256(ikm=token.unlock_secret(salt), salt=vault_id)``.
- ``recovery`` slots: ``salt`` (16 bytes), Argon2id ``opslimit`` and
  ``memlimit``; KEK = Argon2id(the code's canonical text).

``key_check`` (HKDF of the master key, one-way) lets the vault refuse a master
key from another vault before it wraps it into a new slot.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass, field, replace
from typing import TypeVar

import nacl.bindings
import nacl.exceptions
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl.pwhash import argon2id

from ..errors import KeyslotFileDamaged, KeyslotFileTruncated, KeyslotVersionUnsupported
from ..errors import MalformedData as _Malformed
from ..token.base import PublicKey, SignatureScheme
from ..wire import cbor
from .keys import MasterKey
from .recovery import RecoveryCode

MAGIC = b"KBSLOTS\x00"
VERSION = 1
_HEADER = struct.Struct(">8sHI")
_CHECKSUM = 32
MAX_BODY = 64 * 1024
MAX_SLOTS = 32
VAULT_ID_SIZE = 16
TOKEN_SALT_SIZE = 32
RECOVERY_SALT_SIZE = argon2id.SALTBYTES
NONCE_SIZE = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
WRAPPED_SIZE = 32 + nacl.bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES
_E = TypeVar("_E", bound=enum.StrEnum)
_KEK_INFO = b"keybound v1 keyslot kek"
_CHECK_INFO = b"keybound v1 keyslot key check"


class SlotKind(enum.StrEnum):
    FIDO2 = "fido2"
    OPENPGP = "openpgp"
    RECOVERY = "recovery"


_SCHEMES = {
    SlotKind.FIDO2: {SignatureScheme.FIDO2_ES256, SignatureScheme.FIDO2_EDDSA},
    SlotKind.OPENPGP: {SignatureScheme.OPENPGP_ED25519},
}


@dataclass(frozen=True)
class RecoveryCost:
    """Argon2id work factors, stored in the slot so they can change later."""

    opslimit: int
    memlimit: int


# libsodium's "moderate" level: about 0.5 s and 256 MiB on a 2020s desktop.
INTERACTIVE_COST = RecoveryCost(argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE)
# The cheapest libsodium accepts: for tests only (the code has 140 bits anyway).
TEST_COST = RecoveryCost(argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN)
_MAX_OPSLIMIT = 64
_MAX_MEMLIMIT = 1 << 30


@dataclass(frozen=True)
class Keyslot:
    id: int
    kind: SlotKind
    label: str
    created: int
    salt: bytes
    nonce: bytes = b""
    wrapped: bytes = field(default=b"", repr=False)
    public_key: PublicKey | None = None  # token slots
    serial: str = ""  # token slots (OpenPGP card serial; "" for most FIDO2 keys)
    cost: RecoveryCost | None = None  # recovery slots


@dataclass(frozen=True)
class KeyslotFile:
    vault_id: bytes
    key_check: bytes
    slots: tuple[Keyslot, ...]


# --- keys ---------------------------------------------------------------------------------


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def token_kek(unlock_secret: bytes, vault_id: bytes) -> bytes:
    return _hkdf(unlock_secret, vault_id, _KEK_INFO)


def recovery_kek(code: RecoveryCode, salt: bytes, cost: RecoveryCost) -> bytes:
    return argon2id.kdf(32, code.kdf_input(), salt, cost.opslimit, cost.memlimit)


def key_check(master_key: MasterKey, vault_id: bytes) -> bytes:
    return _hkdf(master_key.value, vault_id, _CHECK_INFO)


def key_matches(master_key: MasterKey, keyslots: KeyslotFile) -> bool:
    return hmac.compare_digest(key_check(master_key, keyslots.vault_id), keyslots.key_check)


def _associated_data(vault_id: bytes, slot: Keyslot) -> bytes:
    return MAGIC + VERSION.to_bytes(2, "big") + vault_id + cbor.encode(_slot_fields(slot))


def seal(vault_id: bytes, slot: Keyslot, kek: bytes, master_key: MasterKey) -> Keyslot:
    """``slot`` with a fresh nonce and the master key wrapped under ``kek``."""
    slot = replace(slot, nonce=secrets.token_bytes(NONCE_SIZE), wrapped=b"")
    wrapped = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        master_key.value, _associated_data(vault_id, slot), slot.nonce, kek
    )
    return replace(slot, wrapped=wrapped)


def unseal(vault_id: bytes, slot: Keyslot, kek: bytes) -> MasterKey | None:
    """The master key, or None when the KEK is wrong or the slot was changed."""
    try:
        value = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            slot.wrapped, _associated_data(vault_id, slot), slot.nonce, kek
        )
    except nacl.exceptions.CryptoError:
        return None
    return MasterKey(value)


# --- encoding -----------------------------------------------------------------------------

_COMMON: set[int | str] = {"id", "kind", "label", "created", "salt", "nonce", "wrapped"}
_TOKEN: set[int | str] = {"scheme", "public_key", "rp_id", "credential_id", "uv", "serial"}
_RECOVERY: set[int | str] = {"opslimit", "memlimit"}


def _slot_fields(slot: Keyslot) -> dict[str, cbor.Value]:
    fields: dict[str, cbor.Value] = {
        "id": slot.id,
        "kind": slot.kind.value,
        "label": slot.label,
        "created": slot.created,
        "salt": slot.salt,
        "nonce": slot.nonce,
    }
    if slot.cost is not None:
        fields |= {"opslimit": slot.cost.opslimit, "memlimit": slot.cost.memlimit}
    if slot.public_key is not None:
        key = slot.public_key
        fields |= {
            "scheme": key.scheme.value,
            "public_key": key.key,
            "rp_id": key.rp_id,
            "credential_id": key.credential_id,
            "uv": key.user_verification,
            "serial": slot.serial,
        }
    return fields


def encode_file(keyslots: KeyslotFile) -> bytes:
    body = cbor.encode(
        {
            "vault_id": keyslots.vault_id,
            "key_check": keyslots.key_check,
            "slots": [_slot_fields(s) | {"wrapped": s.wrapped} for s in keyslots.slots],
        }
    )
    head = _HEADER.pack(MAGIC, VERSION, len(body)) + body
    return head + hashlib.sha256(head).digest()


def _enum(enum_type: type[_E], value: str, name: str) -> _E:
    try:
        return enum_type(value)
    except ValueError:
        raise _Malformed(f"unknown {name}") from None


def _decode_slot(value: cbor.Value) -> Keyslot:
    if not isinstance(value, dict):
        raise _Malformed("a slot must be a map")
    kind = _enum(SlotKind, cbor.get_str(value, "kind", max_size=16), "slot kind")
    recovery = kind is SlotKind.RECOVERY
    cbor.reject_unknown(value, _COMMON | (_RECOVERY if recovery else _TOKEN), what="a slot")
    slot = Keyslot(
        id=cbor.get_int(value, "id", min_value=1, max_value=2**31),
        kind=kind,
        label=cbor.get_str(value, "label", max_size=200),
        created=cbor.get_int(value, "created", min_value=0, max_value=2**63),
        salt=cbor.get_bytes(
            value, "salt", size=RECOVERY_SALT_SIZE if recovery else TOKEN_SALT_SIZE
        ),
        nonce=cbor.get_bytes(value, "nonce", size=NONCE_SIZE),
        wrapped=cbor.get_bytes(value, "wrapped", size=WRAPPED_SIZE),
    )
    if recovery:
        cost = RecoveryCost(
            cbor.get_int(
                value, "opslimit", min_value=argon2id.OPSLIMIT_MIN, max_value=_MAX_OPSLIMIT
            ),
            cbor.get_int(
                value, "memlimit", min_value=argon2id.MEMLIMIT_MIN, max_value=_MAX_MEMLIMIT
            ),
        )
        return replace(slot, cost=cost)
    scheme = _enum(SignatureScheme, cbor.get_str(value, "scheme", max_size=32), "scheme")
    if scheme not in _SCHEMES[kind]:
        raise _Malformed("the signature scheme does not fit the slot kind")
    public_key = PublicKey(
        scheme,
        cbor.get_bytes(value, "public_key", max_size=133),
        cbor.get_str(value, "rp_id", max_size=253),
        cbor.get_bytes(value, "credential_id", max_size=1024),
        cbor.get_bool(value, "uv"),
    )
    return replace(slot, public_key=public_key, serial=cbor.get_str(value, "serial", max_size=64))


def _decode_body(body: bytes) -> KeyslotFile:
    m = cbor.decode_map(body, max_size=MAX_BODY)
    cbor.reject_unknown(m, {"vault_id", "key_check", "slots"}, what="the keyslot file")
    slots = tuple(map(_decode_slot, cbor.get_list(m, "slots", max_items=MAX_SLOTS)))
    if len({s.id for s in slots}) != len(slots):
        raise _Malformed("two slots have the same id")
    return KeyslotFile(
        cbor.get_bytes(m, "vault_id", size=VAULT_ID_SIZE),
        cbor.get_bytes(m, "key_check", size=32),
        slots,
    )


def _damaged(detail: str) -> KeyslotFileDamaged:
    return KeyslotFileDamaged(f"The keyslot file was changed or is damaged ({detail}).")


def decode_file(data: bytes) -> KeyslotFile:
    """Parse a keyslot file; every failure is a Keyslot* error saying what is wrong."""
    truncated = KeyslotFileTruncated(
        "The keyslot file is incomplete (cut off by a crash or an unfinished copy)."
    )
    if not data:
        raise truncated
    if data[: len(MAGIC)] != MAGIC[: len(data)]:
        raise _damaged("it is not a Keybound keyslot file")
    if len(data) < _HEADER.size:
        raise truncated
    _, version, length = _HEADER.unpack_from(data)
    if version > VERSION:
        raise KeyslotVersionUnsupported(
            f"The keyslot file has format version {version}, made by a newer Keybound. "
            "Update Keybound to open it."
        )
    if version != VERSION:
        raise _damaged(f"unknown format version {version}")
    if length > MAX_BODY:
        raise _damaged("impossible length")
    end = _HEADER.size + length
    if len(data) < end + _CHECKSUM:
        raise truncated
    if len(data) > end + _CHECKSUM:
        raise _damaged("extra bytes at the end")
    if not hmac.compare_digest(hashlib.sha256(data[:end]).digest(), data[end:]):
        raise _damaged("checksum mismatch")
    try:
        return _decode_body(data[_HEADER.size : end])
    except _Malformed as exc:
        raise _damaged(exc.detail) from None
