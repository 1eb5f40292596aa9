"""What the virtual OpenPGP card remembers across power cycles, as JSON.

Kept apart from the command handling (``openpgp_applet``) so the file format
is visible in one place. PINs are stored salted and hashed: the state file of
a test card is not a secret store, but it should not show a PIN at a glance.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from ..openpgp.spec import (
    ATTR_ED25519,
    ATTR_X25519,
    DEFAULT_PW1,
    DEFAULT_PW3,
    PIN_TRIES,
    KeyRef,
)

STATE_VERSION = 1


@dataclass
class PinState:
    """One password: its salted hash, its length (to split CHANGE data), tries left."""

    salt: bytes
    digest: bytes
    length: int
    retries: int = PIN_TRIES

    @staticmethod
    def _hash(salt: bytes, pin: bytes) -> bytes:
        return hashlib.sha256(salt + pin).digest()

    @classmethod
    def new(cls, pin: bytes) -> PinState:
        salt = secrets.token_bytes(16)
        return cls(salt, cls._hash(salt, pin), len(pin))

    def matches(self, pin: bytes) -> bool:
        return hmac.compare_digest(self._hash(self.salt, pin), self.digest)

    def replace(self, pin: bytes) -> None:
        fresh = PinState.new(pin)
        self.salt, self.digest, self.length, self.retries = (
            fresh.salt,
            fresh.digest,
            fresh.length,
            PIN_TRIES,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "salt": self.salt.hex(),
            "digest": self.digest.hex(),
            "length": self.length,
            "retries": self.retries,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PinState:
        return cls(
            bytes.fromhex(data["salt"]),
            bytes.fromhex(data["digest"]),
            int(data["length"]),
            int(data["retries"]),
        )


KEY_ORIGIN_NONE = 0x00
KEY_ORIGIN_GENERATED = 0x01


@dataclass
class KeySlot:
    """One of the three keys (signature, decryption, authentication) and its DOs."""

    attributes: bytes
    private: bytes | None = None  # raw 32-byte Ed25519 seed or X25519 scalar
    fingerprint: bytes = bytes(20)
    ca_fingerprint: bytes = bytes(20)
    timestamp: bytes = bytes(4)
    origin: int = KEY_ORIGIN_NONE

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": self.attributes.hex(),
            "private": self.private.hex() if self.private is not None else None,
            "fingerprint": self.fingerprint.hex(),
            "ca_fingerprint": self.ca_fingerprint.hex(),
            "timestamp": self.timestamp.hex(),
            "origin": self.origin,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeySlot:
        private = data.get("private")
        return cls(
            bytes.fromhex(data["attributes"]),
            bytes.fromhex(private) if private else None,
            bytes.fromhex(data["fingerprint"]),
            bytes.fromhex(data["ca_fingerprint"]),
            bytes.fromhex(data["timestamp"]),
            int(data["origin"]),
        )


def _factory_keys() -> dict[KeyRef, KeySlot]:
    # This card only does Curve25519, so that is also its factory setting.
    return {
        KeyRef.SIG: KeySlot(ATTR_ED25519),
        KeyRef.DEC: KeySlot(ATTR_X25519),
        KeyRef.AUT: KeySlot(ATTR_ED25519),
    }


@dataclass
class OpenPgpState:
    serial: bytes
    pw1: PinState = field(default_factory=lambda: PinState.new(DEFAULT_PW1.encode()))
    pw3: PinState = field(default_factory=lambda: PinState.new(DEFAULT_PW3.encode()))
    pw1_valid_multiple: bool = False  # C4 byte 1: 00 = PW1 (81) good for one signature
    keys: dict[KeyRef, KeySlot] = field(default_factory=_factory_keys)
    name: bytes = b""
    language: bytes = b""
    sex: bytes = b"9"  # ISO 5218 "not applicable"
    login: bytes = b""
    url: bytes = b""
    signature_counter: int = 0
    terminated: bool = False

    @classmethod
    def factory(cls, serial: bytes) -> OpenPgpState:
        return cls(serial)

    def factory_reset(self) -> None:
        """What ACTIVATE FILE after TERMINATE DF does: everything but the serial."""
        fresh = OpenPgpState(self.serial)
        self.__dict__.update(fresh.__dict__)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "serial": self.serial.hex(),
            "pw1": self.pw1.to_json(),
            "pw3": self.pw3.to_json(),
            "pw1_valid_multiple": self.pw1_valid_multiple,
            "keys": {f"{ref.value:02X}": slot.to_json() for ref, slot in self.keys.items()},
            "name": self.name.hex(),
            "language": self.language.hex(),
            "sex": self.sex.hex(),
            "login": self.login.hex(),
            "url": self.url.hex(),
            "signature_counter": self.signature_counter,
            "terminated": self.terminated,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OpenPgpState:
        if data.get("version") != STATE_VERSION:
            raise ValueError("unknown OpenPGP applet state version")
        return cls(
            serial=bytes.fromhex(data["serial"]),
            pw1=PinState.from_json(data["pw1"]),
            pw3=PinState.from_json(data["pw3"]),
            pw1_valid_multiple=bool(data["pw1_valid_multiple"]),
            keys={KeyRef(int(k, 16)): KeySlot.from_json(v) for k, v in data["keys"].items()},
            name=bytes.fromhex(data["name"]),
            language=bytes.fromhex(data["language"]),
            sex=bytes.fromhex(data["sex"]),
            login=bytes.fromhex(data["login"]),
            url=bytes.fromhex(data["url"]),
            signature_counter=int(data["signature_counter"]),
            terminated=bool(data["terminated"]),
        )
