"""age recipient stanzas: scrypt (a passphrase), X25519, and the fido2-hmac plugin's v2 stanza.

Each is written by hand from the specifications with vetted primitives only
(``hashlib.scrypt``, ``cryptography``'s X25519, HKDF and ChaCha20-Poly1305):

- ``scrypt``: wrap key = scrypt(passphrase, "age-encryption.org/v1/scrypt" ||
  salt, N = 2^logN, r = 8, p = 1); the only stanza in its file.
- ``X25519``: wrap key = HKDF-SHA256(X25519(e, R), salt = e·G || R,
  info = "age-encryption.org/v1/X25519").
- ``fido2-hmac`` (age-plugin-fido2-hmac, stanza format 2): an X25519 stanza to
  the public key whose secret is the security key's hmac-secret output for a
  (credential, salt), with the PIN flag, salt and credential ID as arguments.

Stanzas of a known type that break its rules are header failures
(:class:`BackupHeaderInvalid`), whoever tries to open the file; a stanza that
simply does not open with the key offered is "no match".

The file key is wrapped with ChaCha20-Poly1305 under an all-zero nonce
(each wrap key is used once).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keybound.errors import BackupError, BackupHeaderInvalid

from . import bech32
from .age_header import FILE_KEY_SIZE, Stanza, b64decode, b64encode

SCRYPT = "scrypt"
X25519 = "X25519"
FIDO2_HMAC = "fido2-hmac"
SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
X25519_LABEL = b"age-encryption.org/v1/X25519"
# Writing: 2^16 (64 MiB, ~0.2 s) keeps a backup under its memory bound; the
# passphrase strength check makes up for it. Reading: age's own ceiling.
SCRYPT_WRITE_LOG_N = 16
SCRYPT_MAX_LOG_N = 22
FIDO2_STANZA_VERSION = 2
FIDO2_SALT_SIZE = 32
_ZERO_NONCE = bytes(12)
_WRAPPED_SIZE = FILE_KEY_SIZE + 16
_DECIMAL = re.compile(r"[1-9][0-9]*")


def _seal(key: bytes, file_key: bytes) -> bytes:
    return ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, file_key, None)


def _open(key: bytes, body: bytes) -> bytes | None:
    try:
        return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        return None


class Recipient(Protocol):
    """Something a file key can be wrapped to."""

    def wrap(self, file_key: bytes) -> Stanza: ...


class Identity(Protocol):
    """Something that may open one of a file's stanzas; None when none is for it."""

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None: ...


# --- validation -------------------------------------------------------------------


def check_stanzas(stanzas: Sequence[Stanza]) -> None:
    """Enforce the rules of the stanza types we know, before any key is tried."""
    if not stanzas:
        raise BackupHeaderInvalid("the header has no recipients")
    kinds = [s.type for s in stanzas]
    if SCRYPT in kinds and len(kinds) > 1:
        raise BackupHeaderInvalid("a passphrase stanza must be the only one in its file")
    for stanza in stanzas:
        if stanza.type == SCRYPT:
            _scrypt_params(stanza)
        elif stanza.type == X25519:
            _x25519_share(stanza)
        elif stanza.type == FIDO2_HMAC and stanza.args[:1] == (b64encode(b"\x00\x02"),):
            _fido2_params(stanza)


def _check_body(stanza: Stanza) -> None:
    if len(stanza.body) != _WRAPPED_SIZE:
        raise BackupHeaderInvalid(f"a {stanza.type} stanza does not hold a 16-byte file key")


def _scrypt_params(stanza: Stanza) -> tuple[bytes, int]:
    if len(stanza.args) != 2:
        raise BackupHeaderInvalid("a passphrase stanza has the wrong number of arguments")
    salt = b64decode(stanza.args[0], "a passphrase stanza")
    if len(salt) != 16:
        raise BackupHeaderInvalid("a passphrase stanza's salt has the wrong size")
    if not _DECIMAL.fullmatch(stanza.args[1]) or int(stanza.args[1]) > SCRYPT_MAX_LOG_N:
        raise BackupHeaderInvalid("a passphrase stanza's work factor is not allowed")
    _check_body(stanza)
    return salt, int(stanza.args[1])


def _x25519_share(stanza: Stanza) -> bytes:
    if len(stanza.args) != 1:
        raise BackupHeaderInvalid("an X25519 stanza has the wrong number of arguments")
    share = b64decode(stanza.args[0], "an X25519 stanza")
    if len(share) != 32:
        raise BackupHeaderInvalid("an X25519 stanza's share has the wrong size")
    _check_body(stanza)
    return share


@dataclass(frozen=True)
class Fido2Params:
    """What a fido2-hmac stanza names: which credential, which salt, whether UV is used."""

    share: bytes
    require_pin: bool
    salt: bytes
    credential_id: bytes


def _fido2_params(stanza: Stanza) -> Fido2Params:
    if len(stanza.args) != 5:
        raise BackupHeaderInvalid("a fido2-hmac stanza has the wrong number of arguments")
    share = b64decode(stanza.args[1], "a fido2-hmac stanza")
    pin = b64decode(stanza.args[2], "a fido2-hmac stanza")
    salt = b64decode(stanza.args[3], "a fido2-hmac stanza")
    credential_id = b64decode(stanza.args[4], "a fido2-hmac stanza")
    if len(share) != 32 or pin not in (b"\x00", b"\x01") or len(salt) != FIDO2_SALT_SIZE:
        raise BackupHeaderInvalid("a fido2-hmac stanza's arguments have the wrong size")
    if not credential_id:
        raise BackupHeaderInvalid("a fido2-hmac stanza names no credential")
    _check_body(stanza)
    return Fido2Params(share, pin == b"\x01", salt, credential_id)


# --- scrypt ---------------------------------------------------------------------------


def _scrypt_key(passphrase: str, salt: bytes, log_n: int) -> bytes:
    n = 1 << log_n
    try:
        return hashlib.scrypt(
            passphrase.encode("utf-8"),
            salt=SCRYPT_LABEL + salt,
            n=n,
            r=8,
            p=1,
            maxmem=129 * 8 * n + (1 << 20),
            dklen=32,
        )
    except (ValueError, MemoryError):
        raise BackupError(
            "This backup's passphrase protection needs more memory than this computer can give it."
        ) from None


@dataclass(frozen=True, repr=False)
class ScryptRecipient:
    passphrase: str
    log_n: int = SCRYPT_WRITE_LOG_N

    def wrap(self, file_key: bytes) -> Stanza:
        salt = os.urandom(16)
        key = _scrypt_key(self.passphrase, salt, self.log_n)
        return Stanza(SCRYPT, (b64encode(salt), str(self.log_n)), _seal(key, file_key))


@dataclass(frozen=True, repr=False)
class ScryptIdentity:
    passphrase: str

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        for stanza in stanzas:
            if stanza.type == SCRYPT:
                salt, log_n = _scrypt_params(stanza)
                return _open(_scrypt_key(self.passphrase, salt, log_n), stanza.body)
        return None


# --- X25519 ------------------------------------------------------------------------------


def _x25519_wrap_key(shared: bytes, share: bytes, public: bytes) -> bytes:
    if not any(shared):
        raise BackupHeaderInvalid("an X25519 stanza's share is a low-order point")
    return HKDF(hashes.SHA256(), 32, salt=share + public, info=X25519_LABEL).derive(shared)


def x25519_wrap(public: bytes, file_key: bytes) -> tuple[bytes, bytes]:
    """(ephemeral share, wrapped file key) for the X25519 public key ``public``."""
    ephemeral = X25519PrivateKey.generate()
    share = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
    return share, _seal(_x25519_wrap_key(shared, share, public), file_key)


def x25519_exchange(secret: bytes) -> Callable[[bytes], bytes]:
    """X25519(secret, share) as a function, so software keys and cards look alike."""
    key = X25519PrivateKey.from_private_bytes(secret)

    def exchange(share: bytes) -> bytes:
        try:
            return key.exchange(X25519PublicKey.from_public_bytes(share))
        except ValueError:  # cryptography refuses an all-zero result (a low-order share)
            return bytes(32)

    return exchange


def x25519_public(secret: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes_raw()


@dataclass(frozen=True)
class X25519Recipient:
    """A native X25519 recipient: the OpenPGP card's Curve25519 decryption key, for one."""

    public: bytes

    def wrap(self, file_key: bytes) -> Stanza:
        share, body = x25519_wrap(self.public, file_key)
        return Stanza(X25519, (b64encode(share),), body)

    def __str__(self) -> str:
        return bech32.encode("age", self.public)


@dataclass(frozen=True, repr=False)
class X25519Identity:
    """Opens X25519 stanzas with a key whose X25519 function is ``exchange``.

    ``exchange`` is a software key (:func:`x25519_exchange`) or an OpenPGP card's
    PSO:DECIPHER; ``public`` is the matching public key, part of the HKDF salt.
    """

    public: bytes
    exchange: Callable[[bytes], bytes]

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        for stanza in stanzas:
            if stanza.type != X25519:
                continue
            share = _x25519_share(stanza)
            key = _x25519_wrap_key(self.exchange(share), share, self.public)
            file_key = _open(key, stanza.body)
            if file_key is not None:
                return file_key
        return None


def parse_secret_key(text: str) -> bytes:
    """The 32-byte scalar of an ``AGE-SECRET-KEY-1...`` identity string."""
    hrp, data = bech32.decode(text.strip())
    if hrp != "age-secret-key-" or len(data) != 32:
        raise BackupError("This is not an age X25519 identity.")
    return data


def format_secret_key(secret: bytes) -> str:
    return bech32.encode("age-secret-key-", secret).upper()


# --- fido2-hmac (age-plugin-fido2-hmac, format 2) -------------------------------------------


@dataclass(frozen=True)
class Fido2HmacRecipient:
    """A FIDO2 credential made for age: encrypting needs only its public half."""

    public: bytes  # X25519 public key of the hmac-secret output
    require_pin: bool
    salt: bytes
    credential_id: bytes

    def wrap(self, file_key: bytes) -> Stanza:
        share, body = x25519_wrap(self.public, file_key)
        args = (
            b64encode(FIDO2_STANZA_VERSION.to_bytes(2, "big")),
            b64encode(share),
            b64encode(b"\x01" if self.require_pin else b"\x00"),
            b64encode(self.salt),
            b64encode(self.credential_id),
        )
        return Stanza(FIDO2_HMAC, args, body)

    def __str__(self) -> str:
        """The plugin's own recipient string (``age1fido2-hmac1...``)."""
        data = (
            FIDO2_STANZA_VERSION.to_bytes(2, "big")
            + self.public
            + (b"\x01" if self.require_pin else b"\x00")
            + self.salt
            + self.credential_id
        )
        return bech32.encode("age1fido2-hmac", data)


# (credential ID, salt, require PIN) -> the hmac-secret output, or None if this key
# does not hold that credential.
HmacSecret = Callable[[bytes, bytes, bool], "bytes | None"]


@dataclass(frozen=True, repr=False)
class Fido2HmacIdentity:
    """Opens fido2-hmac stanzas by asking a security key for the hmac-secret output."""

    hmac_secret: HmacSecret

    def unwrap(self, stanzas: Sequence[Stanza]) -> bytes | None:
        for stanza in stanzas:
            if stanza.type != FIDO2_HMAC:
                continue
            if stanza.args[:1] != (b64encode(FIDO2_STANZA_VERSION.to_bytes(2, "big")),):
                continue  # another format version of the plugin
            params = _fido2_params(stanza)
            secret = self.hmac_secret(params.credential_id, params.salt, params.require_pin)
            if secret is None:
                continue
            exchange = x25519_exchange(secret)
            key = _x25519_wrap_key(exchange(params.share), params.share, x25519_public(secret))
            file_key = _open(key, stanza.body)
            if file_key is not None:
                return file_key
        return None
