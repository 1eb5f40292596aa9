"""ML-KEM-768 prekeys: signed one-time keys and a last-resort key, like Olm's one-time keys.

The relay must not be able to swap in a key of its own, so each public key is
signed by the publishing device's Ed25519 key over the device's identity and
keys; the claimer checks the signature against the certified device before it
encapsulates.  The private side is kept as the 64-byte seed, stored sealed
with the pickle key, and a one-time key is deleted once a session used it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import vodozemac

from keybound.errors import BadKeyBundle, DecryptionFailed
from keybound.protocol.devices import SIGNATURE_SIZE, DeviceKeys, b64
from keybound.protocol.pq import kem
from keybound.protocol.pq.sealed import StateKey, open_state, seal_state
from keybound.protocol.state import StateChange
from keybound.wire import cbor

KIND_PQ_PREKEY = "pq.prekey"
ONE_TIME_TARGET = 20
MAX_PQ_UPLOAD = 64


@dataclass(frozen=True)
class SignedPqKey:
    """One published ML-KEM-768 public key (one-time or last-resort), signed by its device."""

    key_id: str
    key: bytes
    last_resort: bool
    signature: bytes

    def encode(self) -> bytes:
        return cbor.encode({0: self.key_id, 1: self.key, 2: self.last_resort, 3: self.signature})

    @classmethod
    def decode(cls, data: bytes) -> SignedPqKey:
        m = cbor.decode_map(data, max_size=2048)
        cbor.reject_unknown(m, {0, 1, 2, 3}, what="post-quantum prekey")
        return cls(
            key_id=cbor.get_str(m, 0, name="pq key id", max_size=64),
            key=cbor.get_bytes(m, 1, name="pq key", size=kem.PUBLIC_KEY_SIZE),
            last_resort=cbor.get_bool(m, 2, name="last resort"),
            signature=cbor.get_bytes(m, 3, name="signature", size=SIGNATURE_SIZE),
        )


def pq_signing_payload(device: DeviceKeys, key_id: str, key: bytes, last_resort: bool) -> bytes:
    """The bytes a device signs to vouch for one of its PQ prekeys."""
    return cbor.encode(
        {
            "purpose": "keybound pq prekey v1",
            "identity": device.identity_id,
            "device": device.device_id,
            "curve25519": device.curve25519,
            "ed25519": device.ed25519,
            "key_id": key_id,
            "key": key,
            "last_resort": last_resort,
        }
    )


def verify_pq_key(signed: SignedPqKey, device: DeviceKeys) -> None:
    """Raise :class:`BadKeyBundle` unless ``device`` signed ``signed``."""
    if len(signed.key) != kem.PUBLIC_KEY_SIZE:
        raise BadKeyBundle()
    payload = pq_signing_payload(device, signed.key_id, signed.key, signed.last_resort)
    try:
        public = vodozemac.Ed25519PublicKey.from_base64(b64(device.ed25519))
        signature = vodozemac.Ed25519Signature.from_base64(b64(signed.signature))
        public.verify_signature(payload, signature)
    except (vodozemac.KeyException, vodozemac.SignatureException, ValueError) as exc:
        raise BadKeyBundle() from exc


@dataclass
class _Prekey:
    seed: bytes
    public: bytes
    last_resort: bool
    published: bool


class PqPrekeys:
    """This device's PQ prekeys: what to publish, and the private keys sessions open with."""

    def __init__(self, own: DeviceKeys, sign: Callable[[bytes], bytes], key: StateKey) -> None:
        self._own = own
        self._sign = sign
        self._key = key
        self._keys: dict[str, _Prekey] = {}

    def restore(self, records: Mapping[bytes, bytes]) -> None:
        for record, value in records.items():
            m = cbor.decode_map(open_state(self._key, KIND_PQ_PREKEY, record, value))
            seed = cbor.get_bytes(m, 0, size=kem.SEED_SIZE)
            self._keys[record.decode()] = _Prekey(
                seed, kem.public_from_seed(seed), cbor.get_bool(m, 1), cbor.get_bool(m, 2)
            )

    def _change(self, key_id: str) -> StateChange:
        k = self._keys[key_id]
        record = key_id.encode()
        plain = cbor.encode({0: k.seed, 1: k.last_resort, 2: k.published})
        return StateChange(
            KIND_PQ_PREKEY, record, seal_state(self._key, KIND_PQ_PREKEY, record, plain)
        )

    def prepare_upload(
        self, remaining: int, *, need_last_resort: bool
    ) -> tuple[list[SignedPqKey], list[StateChange]]:
        """Keys to publish so the relay holds ``ONE_TIME_TARGET`` one-time keys and a
        last-resort key; ones made earlier but not confirmed published come again."""
        changes = []
        unpublished = [k for k in self._keys.values() if not k.published and not k.last_resort]
        for _ in range(max(0, ONE_TIME_TARGET - max(remaining, 0) - len(unpublished))):
            changes.append(self._new(last_resort=False))
        if need_last_resort and not any(
            k.last_resort and not k.published for k in self._keys.values()
        ):
            for key_id in [i for i, k in self._keys.items() if k.last_resort]:
                del self._keys[key_id]  # the relay lost it; a new one replaces it
                changes.append(StateChange(KIND_PQ_PREKEY, key_id.encode(), None))
            changes.append(self._new(last_resort=True))
        keys = [self._signed(i, k) for i, k in sorted(self._keys.items()) if not k.published]
        return keys, changes

    def _new(self, *, last_resort: bool) -> StateChange:
        seed, public = kem.generate()
        key_id = secrets.token_hex(8)
        self._keys[key_id] = _Prekey(seed, public, last_resort, False)
        return self._change(key_id)

    def _signed(self, key_id: str, k: _Prekey) -> SignedPqKey:
        payload = pq_signing_payload(self._own, key_id, k.public, k.last_resort)
        return SignedPqKey(key_id, k.public, k.last_resort, self._sign(payload))

    def mark_published(self) -> list[StateChange]:
        changes = []
        for key_id, k in self._keys.items():
            if not k.published:
                k.published = True
                changes.append(self._change(key_id))
        return changes

    def private(self, key_id: str) -> tuple[bytes, bytes]:
        """(seed, public key) of one of our prekeys; a key we do not hold cannot be used."""
        k = self._keys.get(key_id)
        if k is None:
            raise DecryptionFailed()  # meant for another device, or its one-time key was used
        return k.seed, k.public

    def used(self, key_id: str) -> list[StateChange]:
        """A session was opened with ``key_id``: a one-time key is deleted, a last-resort stays."""
        k = self._keys.get(key_id)
        if k is None or k.last_resort:
            return []
        del self._keys[key_id]
        return [StateChange(KIND_PQ_PREKEY, key_id.encode(), None)]
