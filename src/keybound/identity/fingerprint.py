"""Fingerprints, safety numbers, QR payloads and ``keybound://`` invite links.

Fingerprint (32 bytes) of an identity, after Signal's NumericFingerprint:
``keys = the identity's current token IDs, sorted, concatenated``;
``h = SHA-512(b"\\x00\\x00" || keys || identity_id)``, then 5200 times
``h = SHA-512(h || keys)``; the fingerprint is ``h[:32]``.  It covers the
current tokens, not only the identity ID, so that two people comparing
numbers also catch a forked history that kept a token the real one removed.
Devices are left out: they come and go too often to re-compare each time.

Safety number of a pair: each fingerprint gives 30 digits (six 5-byte
big-endian chunks of its first 30 bytes, each mod 100000); the two 30-digit
strings are sorted and joined: 60 digits shown as 12 groups of 5.  Both sides
therefore see the same number.

QR payload: canonical CBOR ``{"v": 1, "relay": str, "id": bytes, "fp": bytes}``.
Invite link: ``keybound://invite?v=1&relay=<percent-encoded URL>&id=<b64url>&fp=<b64url>``
(base64url without padding).  Both ignore unknown fields or parameters, and
refuse a higher ``v`` as needing a newer Keybound.  Both may carry ``name``:
what the inviter calls themselves, a suggestion for the new contact's name
only.  It is not covered by the fingerprint (anyone passing the link on can
change it), so it must never be shown as proof of who someone is.

Safety code (the QR code of a safety number, scanned from the other person's
screen or a picture of it): canonical CBOR ``{"v": 1, "safety": [fp_shower,
fp_scanner]}``: the fingerprint of whoever shows it first, then the one they
hold for the person meant to scan it.  The scanner checks both against its own
view, so a mismatch also says on which side the keys differ.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, quote, urlsplit

from ..errors import (
    InvalidInvite,
    InvalidSafetyCode,
    MalformedData,
    NewerIdentityFormat,
    WrongIdentity,
)
from ..wire import cbor
from .chain import VerifiedIdentity

FINGERPRINT_VERSION = b"\x00\x00"
FINGERPRINT_ITERATIONS = 5200
INVITE_FORMAT = 1
SAFETY_CODE_FORMAT = 1
MAX_INVITE_NAME = 64
RELAY_SCHEMES = ("wss", "ws")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def fingerprint(verified: VerifiedIdentity) -> bytes:
    """The 32-byte fingerprint of an identity's current state (see the module docstring)."""
    return fingerprint_of(verified.identity_id, verified.token_ids)


def fingerprint_of(identity_id: bytes, token_ids: tuple[bytes, ...]) -> bytes:
    keys = b"".join(sorted(token_ids))
    digest = hashlib.sha512(FINGERPRINT_VERSION + keys + identity_id).digest()
    for _ in range(FINGERPRINT_ITERATIONS):
        digest = hashlib.sha512(digest + keys).digest()
    return digest[:32]


def fingerprint_digits(fp: bytes) -> str:
    """One person's half of a safety number: 30 digits in 6 groups of 5."""
    digits = _digits(fp)
    return " ".join(digits[i : i + 5] for i in range(0, 30, 5))


def _digits(fp: bytes) -> str:
    if len(fp) < 30:
        raise ValueError("a fingerprint has at least 30 bytes")
    return "".join(f"{int.from_bytes(fp[i : i + 5], 'big') % 100000:05d}" for i in range(0, 30, 5))


def safety_number(fingerprint_a: bytes, fingerprint_b: bytes) -> str:
    """60 digits in 12 groups of 5, the same whichever side computes it."""
    digits = "".join(sorted((_digits(fingerprint_a), _digits(fingerprint_b))))
    return " ".join(digits[i : i + 5] for i in range(0, 60, 5))


@dataclass(frozen=True)
class Invite:
    """How to reach and recognize someone: their relay, identity ID and fingerprint."""

    relay: str
    identity_id: bytes
    fingerprint: bytes
    name: str = ""  # what they call themselves: a suggestion, not covered by anything


def invite_for(verified: VerifiedIdentity, relay: str, name: str = "") -> Invite:
    return _checked(Invite(relay, verified.identity_id, fingerprint(verified), name))


def check_invite(invite: Invite, verified: VerifiedIdentity) -> None:
    """Raise ``WrongIdentity`` unless ``verified`` is the identity the invite names."""
    if invite.identity_id != verified.identity_id or invite.fingerprint != fingerprint(verified):
        raise WrongIdentity()


def _checked(invite: Invite) -> Invite:
    if len(invite.identity_id) != 32:
        raise InvalidInvite("the identity ID must be 32 bytes")
    if len(invite.fingerprint) != 32:
        raise InvalidInvite("the fingerprint must be 32 bytes")
    if len(invite.relay) > 512:
        raise InvalidInvite("the relay address is too long")
    try:
        relay = urlsplit(invite.relay)
        host = relay.hostname
        relay.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InvalidInvite("the relay address is not a URL") from None
    if relay.scheme not in RELAY_SCHEMES or not host:
        raise InvalidInvite("the relay address must be a wss:// URL")
    return replace(invite, name=_clean_name(invite.name))


def _clean_name(name: str) -> str:
    """The suggested name without control characters, trimmed to a sensible length."""
    kept = "".join(ch for ch in name if ch.isprintable() or ch == " ")
    return " ".join(kept.split())[:MAX_INVITE_NAME]


def _version(value: int, what: str) -> None:
    if value < 1:
        raise InvalidInvite("unknown format version")
    if value > INVITE_FORMAT:
        raise NewerIdentityFormat(what, value)


def encode_qr(invite: Invite) -> bytes:
    invite = _checked(invite)
    fields: dict[str, cbor.Value] = {
        "v": INVITE_FORMAT, "relay": invite.relay, "id": invite.identity_id,
        "fp": invite.fingerprint,
    }  # fmt: skip
    if invite.name:
        fields["name"] = invite.name
    return cbor.encode(fields)


def decode_qr(data: bytes) -> Invite:
    """Parse a QR payload; unknown fields are ignored (they are optional by rule)."""
    try:
        m = cbor.decode_map(data, max_size=4096)
        _version(cbor.get_int(m, "v", name="v"), "QR code")
        return _checked(
            Invite(
                cbor.get_str(m, "relay", name="relay", max_size=512),
                cbor.get_bytes(m, "id", name="id"),
                cbor.get_bytes(m, "fp", name="fp"),
                _optional_name(m),
            )
        )
    except MalformedData as exc:
        raise InvalidInvite(exc.detail) from None


def _optional_name(m: cbor.CborMap) -> str:
    value = m.get("name", "")
    return value[: MAX_INVITE_NAME * 4] if isinstance(value, str) else ""


def invite_uri(invite: Invite) -> str:
    invite = _checked(invite)
    name = f"&name={quote(invite.name, safe='')}" if invite.name else ""
    return (
        f"keybound://invite?v={INVITE_FORMAT}&relay={quote(invite.relay, safe='')}"
        f"&id={_b64(invite.identity_id)}&fp={_b64(invite.fingerprint)}{name}"
    )


def parse_invite(uri: str) -> Invite:
    """Parse an invite link; unknown parameters are ignored."""
    if not isinstance(uri, str) or len(uri) > 2048:
        raise InvalidInvite("it is not a keybound:// link of a sensible length")
    try:
        parts = urlsplit(uri.strip())
        pairs = parse_qsl(parts.query, strict_parsing=True, max_num_fields=32, errors="strict")
    except ValueError:
        raise InvalidInvite("the link cannot be read") from None
    if parts.scheme != "keybound" or parts.netloc != "invite" or parts.path not in ("", "/"):
        raise InvalidInvite("it is not a keybound://invite link")
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:
            raise InvalidInvite(f"parameter {key} appears twice")
        params[key] = value
    for key in ("v", "relay", "id", "fp"):
        if key not in params:
            raise InvalidInvite(f"parameter {key} is missing")
    if not params["v"].isascii() or not params["v"].isdigit() or len(params["v"]) > 4:
        raise InvalidInvite("parameter v must be a number")
    _version(int(params["v"]), "invite link")
    return _checked(
        Invite(
            params["relay"], _unb64(params["id"], "id"), _unb64(params["fp"], "fp"),
            params.get("name", "")[: MAX_INVITE_NAME * 4],
        )
    )  # fmt: skip


@dataclass(frozen=True)
class SafetyCode:
    """What a safety-number QR code states: the shower's and the scanner's fingerprints."""

    shower: bytes
    scanner: bytes


def encode_safety_code(own: bytes, theirs: bytes) -> bytes:
    """The QR payload one side shows: its own fingerprint, then the other's as it sees it."""
    return cbor.encode({"v": SAFETY_CODE_FORMAT, "safety": [own, theirs]})


def decode_safety_code(data: bytes) -> SafetyCode:
    """Parse a scanned safety code (``InvalidSafetyCode`` for anything else)."""
    try:
        m = cbor.decode_map(data, max_size=1024)
        version = cbor.get_int(m, "v", name="v")
        pair = m.get("safety")
    except MalformedData:
        raise InvalidSafetyCode() from None
    if version > SAFETY_CODE_FORMAT:
        raise NewerIdentityFormat("safety code", version)
    if (
        version < 1
        or not isinstance(pair, list)
        or len(pair) != 2
        or not all(isinstance(fp, bytes) and len(fp) == 32 for fp in pair)
    ):
        raise InvalidSafetyCode()
    shower, scanner = pair
    assert isinstance(shower, bytes) and isinstance(scanner, bytes)
    return SafetyCode(shower, scanner)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str, name: str) -> bytes:
    if len(text) > 64 or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise InvalidInvite(f"parameter {name} is not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInvite(f"parameter {name} is not base64url") from None
    if _b64(data) != text:
        raise InvalidInvite(f"parameter {name} is not canonical base64url")
    return data
