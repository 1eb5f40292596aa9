"""The token interface: what every backend (OpenPGP card, FIDO2) offers.

Kept deliberately small, like python-fido2's ``CtapDevice``: list, info,
verify/change PIN, create keys, public key, sign, unlock secret, close.
All calls block and must run on the token worker thread (see ``worker``).
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass


class TokenKind(enum.StrEnum):
    OPENPGP = "openpgp"
    FIDO2 = "fido2"


class Transport(enum.StrEnum):
    PCSC = "pcsc"
    HID = "hid"
    INPROCESS = "inprocess"


class SignatureScheme(enum.StrEnum):
    """How a signature was made; tells ``verify`` what to check.

    - ``openpgp-ed25519``: the card's Ed25519 key signs SHA-256(message)
      (PSO:COMPUTE DIGITAL SIGNATURE over the 32-byte digest).
    - ``fido2-es256`` / ``fido2-eddsa``: a WebAuthn assertion whose
      clientDataHash is SHA-256(message); the signature covers
      authenticatorData || clientDataHash.
    """

    OPENPGP_ED25519 = "openpgp-ed25519"
    FIDO2_ES256 = "fido2-es256"
    FIDO2_EDDSA = "fido2-eddsa"


class PinKind(enum.StrEnum):
    USER = "user"  # OpenPGP PW1, FIDO2 ClientPIN
    ADMIN = "admin"  # OpenPGP PW3


@dataclass(frozen=True)
class TokenRef:
    """Which token: enough to find it again and to show it to a person."""

    kind: TokenKind
    transport: Transport
    reader: str  # PC/SC reader name, HID path, or in-process name
    serial: str  # OpenPGP: manufacturer+serial hex; FIDO2: "" (CTAP has none) or AAGUID-based
    label: str  # human-readable, e.g. "OpenPGP card 3.4 (0000:1234ABCD)"


@dataclass(frozen=True)
class TokenInfo:
    ref: TokenRef
    version: str  # spec/firmware version, e.g. "3.4" or "FIDO_2_1"
    pin_set: bool
    pin_retries: int | None  # user PIN attempts left (None: unknown)
    admin_pin_retries: int | None  # OpenPGP PW3 attempts left; None for FIDO2
    has_keys: bool  # Keybound keys exist (OpenPGP: sig+dec keys; FIDO2: credential known)
    details: tuple[tuple[str, str], ...] = ()  # extra lines for `token info`


@dataclass(frozen=True)
class PublicKey:
    """A token's public signing key and what a verifier needs with it.

    ``key`` is raw Ed25519 (32 bytes) or an uncompressed P-256 point (65 bytes).
    For FIDO2, ``rp_id`` and ``credential_id`` name the credential.
    """

    scheme: SignatureScheme
    key: bytes
    rp_id: str = ""
    credential_id: bytes = b""
    user_verification: bool = False  # FIDO2: UV fixed at enrollment


@dataclass(frozen=True)
class Signature:
    scheme: SignatureScheme
    signature: bytes
    authenticator_data: bytes = b""  # FIDO2 only


@dataclass(frozen=True)
class EnrollOptions:
    """What `token init` sets up.

    ``user_pin``/``admin_pin``: the PINs to set (OpenPGP: PW1/PW3; FIDO2: the
    ClientPIN when none is set yet). ``None`` keeps the current PIN.
    ``current_admin_pin``: the OpenPGP PW3 in force (factory default 12345678).
    """

    user_pin: str | None = None
    admin_pin: str | None = None
    current_user_pin: str | None = None
    current_admin_pin: str | None = None
    force: bool = False
    rp_id: str = "keybound.local"
    user_verification: bool = True


class Token(ABC):
    """One present token. Methods block; call them on the token worker thread."""

    ref: TokenRef

    @abstractmethod
    def info(self) -> TokenInfo: ...

    @abstractmethod
    def verify_pin(self, pin: str, kind: PinKind = PinKind.USER) -> None:
        """Check a PIN now (raises WrongPin with retries left, PinBlocked)."""

    @abstractmethod
    def change_pin(self, old: str, new: str, kind: PinKind = PinKind.USER) -> None: ...

    @abstractmethod
    def enroll(self, options: EnrollOptions) -> PublicKey:
        """Create Keybound keys on the token; refuse a non-blank token unless forced."""

    @abstractmethod
    def public_key(self) -> PublicKey:
        """The signing key (raises NoKeysOnToken before enrollment)."""

    @abstractmethod
    def sign(self, message: bytes) -> Signature: ...

    @abstractmethod
    def unlock_secret(self, salt: bytes) -> bytes:
        """32 bytes, the same for the same token and salt, different otherwise."""

    @abstractmethod
    def close(self) -> None: ...
