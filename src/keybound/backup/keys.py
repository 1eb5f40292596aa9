"""Hardware keys as backup recipients: enrolled once with the token, then used without it.

- OpenPGP card: its Curve25519 decryption key is a native age X25519
  recipient; reading it needs no PIN. Opening runs PSO:DECIPHER on the card.
- FIDO2 key: a dedicated non-discoverable credential for rp ID
  ``age-encryption.org`` and a random salt; the hmac-secret output for that
  salt is an X25519 secret whose public key is remembered (the layout of
  age-plugin-fido2-hmac v2). Making it needs the PIN and two touches.

A :class:`BackupKey` holds only public facts (no secret), so scheduled
backups encrypt to it with no token present. Enrolling and opening run on
the token worker thread; the engine passes ``call`` to get there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from keybound.errors import MalformedData, UnsupportedToken
from keybound.token.base import Token
from keybound.token.fido2_token import AGE_RP_ID, Fido2Token
from keybound.token.openpgp.card import OpenPgpToken

from .age_recipients import (
    FIDO2_SALT_SIZE,
    Fido2HmacIdentity,
    Fido2HmacRecipient,
    Identity,
    Recipient,
    X25519Identity,
    X25519Recipient,
    x25519_public,
)

T = TypeVar("T")
OnTokenThread = Callable[..., Any]

OPENPGP, FIDO2 = "openpgp", "fido2"


@dataclass(frozen=True)
class BackupKey:
    """A hardware key that backups are encrypted to (public facts only)."""

    kind: str  # "openpgp" or "fido2"
    label: str  # for people: the token's label when it was enrolled
    public: bytes  # the X25519 public key the stanza is made for
    require_pin: bool = False  # FIDO2: decrypting needs the PIN (UV) as well as a touch
    salt: bytes = b""  # FIDO2: the hmac-secret salt
    credential_id: bytes = b""  # FIDO2: the age credential

    def recipient(self) -> Recipient:
        if self.kind == OPENPGP:
            return X25519Recipient(self.public)
        return Fido2HmacRecipient(self.public, self.require_pin, self.salt, self.credential_id)

    def recipient_text(self) -> str:
        """``age1...``: what to give stock age (``-r``) to encrypt to this key too."""
        return str(self.recipient())

    def to_record(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "label": self.label, "public": self.public,
            "require_pin": self.require_pin, "salt": self.salt,
            "credential_id": self.credential_id,
        }  # fmt: skip

    @classmethod
    def from_record(cls, record: Any) -> BackupKey:
        try:
            key = cls(
                str(record["kind"]), str(record["label"]), bytes(record["public"]),
                bool(record["require_pin"]), bytes(record["salt"]),
                bytes(record["credential_id"]),
            )  # fmt: skip
        except (KeyError, TypeError, ValueError):
            raise MalformedData("a remembered backup key") from None
        if key.kind not in (OPENPGP, FIDO2) or len(key.public) != 32:
            raise MalformedData("a remembered backup key")
        return key


def enroll(token: Token) -> BackupKey:
    """Make ``token`` a backup recipient (token worker thread; FIDO2 asks PIN and touches)."""
    if isinstance(token, OpenPgpToken):
        return BackupKey(OPENPGP, token.ref.label, token.decryption_key())
    if isinstance(token, Fido2Token):
        require_pin = token.info().pin_set
        credential_id = token.make_age_credential()
        salt = os.urandom(FIDO2_SALT_SIZE)
        secret = token.age_hmac_secret(credential_id, salt, require_pin)
        return BackupKey(
            FIDO2, token.ref.label, x25519_public(secret), require_pin, salt, credential_id
        )
    raise UnsupportedToken("This kind of security key cannot hold backups.")


def identity(token: Token, call: OnTokenThread) -> Identity:
    """An age identity that opens stanzas with ``token``; each token call goes through ``call``."""
    if isinstance(token, OpenPgpToken):
        public: bytes = call(token.decryption_key)
        return X25519Identity(public, lambda share: call(token.x25519, share))
    if isinstance(token, Fido2Token):
        fido = token

        def hmac_secret(credential_id: bytes, salt: bytes, require_pin: bool) -> bytes | None:
            if not call(fido.holds_credential, AGE_RP_ID, credential_id):
                return None
            secret: bytes = call(fido.age_hmac_secret, credential_id, salt, require_pin)
            return secret

        return Fido2HmacIdentity(hmac_secret)
    raise UnsupportedToken("This kind of security key cannot open backups.")
