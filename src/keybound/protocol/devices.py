"""Device keys, and the signed one-time keys a device publishes on the relay.

The identity layer certifies each device's Curve25519 and Ed25519 keys; the
protocol layer only needs the result, so it takes a caller-supplied
:data:`DeviceLookup` (identity ID -> currently certified devices) and never
reads identity documents itself.

A one-time key travels through the relay, which must not be able to swap in a
key of its own: each key is signed by the publishing device's Ed25519 key,
over the device's identity and keys, and the claimer checks that signature
against the certified :class:`DeviceKeys` before starting a session.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import vodozemac

from keybound.errors import BadKeyBundle, MalformedData
from keybound.identity.chain import VerifiedIdentity
from keybound.wire import cbor

ID_MAX = 64
KEY_SIZE = 32
SIGNATURE_SIZE = 64
MAX_UPLOAD_KEYS = 128


@dataclass(frozen=True)
class DeviceKeys:
    """A device certified by an identity: the same attribute names as a DeviceCertificate."""

    identity_id: bytes
    device_id: bytes
    curve25519: bytes
    ed25519: bytes
    pq: bool = False  # the certificate states the post-quantum layer: never talk to it without


DeviceLookup = Callable[[bytes], Iterable[DeviceKeys]]
"""identity ID -> the devices that identity currently certifies (empty when unknown)."""


def certified_devices(verified: VerifiedIdentity) -> tuple[DeviceKeys, ...]:
    """The devices a verified identity chain currently certifies (expired ones left out)."""
    return tuple(
        DeviceKeys(d.identity_id, d.device_id, d.curve25519, d.ed25519, d.pq >= 1)
        for d in verified.devices
    )


def find_device(lookup: DeviceLookup, identity_id: bytes, device_id: bytes) -> DeviceKeys | None:
    """The certified device ``device_id`` of ``identity_id``, or None."""
    for device in lookup(identity_id):
        if device.identity_id == identity_id and device.device_id == device_id:
            return device
    return None


@dataclass(frozen=True)
class SignedKey:
    """One published Curve25519 key (one-time or fallback), signed by its device."""

    key_id: str
    key: bytes
    fallback: bool
    signature: bytes

    def encode(self) -> bytes:
        return cbor.encode({0: self.key_id, 1: self.key, 2: self.fallback, 3: self.signature})

    @classmethod
    def decode(cls, data: bytes) -> SignedKey:
        return cls._from_map(cbor.decode_map(data, max_size=1024))

    @classmethod
    def _from_map(cls, m: cbor.CborMap) -> SignedKey:
        return cls(
            key_id=cbor.get_str(m, 0, name="key id", max_size=64),
            key=cbor.get_bytes(m, 1, name="key", size=KEY_SIZE),
            fallback=cbor.get_bool(m, 2, name="fallback"),
            signature=cbor.get_bytes(m, 3, name="signature", size=SIGNATURE_SIZE),
        )


@dataclass(frozen=True)
class KeyUpload:
    """What a device publishes: fresh one-time keys and possibly a new fallback key."""

    keys: tuple[SignedKey, ...]

    def encode(self) -> bytes:
        return cbor.encode(
            [{0: k.key_id, 1: k.key, 2: k.fallback, 3: k.signature} for k in self.keys]
        )

    @classmethod
    def decode(cls, data: bytes) -> KeyUpload:
        items = cbor.decode(data, max_size=MAX_UPLOAD_KEYS * 200)
        if not isinstance(items, list) or len(items) > MAX_UPLOAD_KEYS:
            raise MalformedData(f"a key upload is a list of at most {MAX_UPLOAD_KEYS} keys")
        keys = []
        for item in items:
            if not isinstance(item, dict):
                raise MalformedData("a published key must be a map")
            keys.append(SignedKey._from_map(item))
        return cls(tuple(keys))


def key_signing_payload(device: DeviceKeys, key_id: str, key: bytes, fallback: bool) -> bytes:
    """The bytes a device signs to vouch for one of its published keys."""
    return cbor.encode(
        {
            "purpose": "keybound one-time key v1",
            "identity": device.identity_id,
            "device": device.device_id,
            "curve25519": device.curve25519,
            "ed25519": device.ed25519,
            "key_id": key_id,
            "key": key,
            "fallback": fallback,
        }
    )


def verify_signed_key(signed: SignedKey, device: DeviceKeys) -> None:
    """Raise :class:`BadKeyBundle` unless ``device`` signed ``signed``."""
    payload = key_signing_payload(device, signed.key_id, signed.key, signed.fallback)
    try:
        public = vodozemac.Ed25519PublicKey.from_base64(b64(device.ed25519))
        signature = vodozemac.Ed25519Signature.from_base64(b64(signed.signature))
        public.verify_signature(payload, signature)
    except (vodozemac.KeyException, vodozemac.SignatureException, ValueError) as exc:
        raise BadKeyBundle() from exc


def b64(data: bytes) -> str:
    """Unpadded standard base64, the form vodozemac takes keys and signatures in."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def unb64(text: str) -> bytes:
    """Inverse of :func:`b64`."""
    return base64.b64decode(text + "=" * (-len(text) % 4))
