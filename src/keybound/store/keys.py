"""The master key and the keys derived from it.

The master key (32 random bytes per installation) is never stored in clear;
the keyslot file holds it wrapped.  Every use derives its own key with
HKDF-SHA256 under a distinct label, so no two purposes ever share a key.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MASTER_KEY_SIZE = 32


class KeyPurpose(enum.Enum):
    """What a derived key is for; the value is the HKDF label."""

    SQLCIPHER = b"keybound v1 sqlcipher raw key"
    PICKLE = b"keybound v1 olm megolm pickle key"
    ATTACHMENT_CACHE = b"keybound v1 attachment cache key"


@dataclass(frozen=True)
class MasterKey:
    """32 bytes that open everything; ``repr`` never shows them."""

    value: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.value) != MASTER_KEY_SIZE:
            raise ValueError("a master key is 32 bytes")

    @classmethod
    def generate(cls) -> MasterKey:
        """A fresh random master key for a new installation."""
        return cls(secrets.token_bytes(MASTER_KEY_SIZE))

    def derive(self, purpose: KeyPurpose) -> bytes:
        """The 32-byte key for ``purpose``."""
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.value).derive(
            self.value
        )
