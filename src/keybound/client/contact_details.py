"""What the contact pages show beyond :class:`ContactInfo`: an invite looked at before
adding, a contact's security keys, both halves of a safety number and its QR code.

An invite is previewed the way it is added (``contacts.add``): the chain the
relay holds under its ID is verified from its genesis and checked against the
invite's fingerprint, so a changed link is refused *before* the person names
anyone (``TamperedInvite``).  Nothing is stored by a preview.

These functions run on the database thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keybound.client.contacts import contact_info, same_relay
from keybound.client.core import Core
from keybound.errors import (
    IdentityError,
    InviteForAnotherRelay,
    SafetyCodeMismatch,
    TamperedInvite,
    UnknownContact,
    WrongIdentity,
)
from keybound.identity.chain import VerifiedIdentity, verify_chain
from keybound.identity.document import SignedDocument, token_id
from keybound.identity.fingerprint import (
    Invite,
    check_invite,
    decode_safety_code,
    encode_safety_code,
    fingerprint,
    fingerprint_digits,
)
from keybound.token.base import SignatureScheme

OPENPGP = "openpgp"
FIDO2 = "fido2"


@dataclass(frozen=True)
class InvitePreview:
    """Whose invite it is, checked against the relay, before they become a contact."""

    identity_id: bytes
    fingerprint: bytes
    relay: str
    suggested_name: str  # from the link: what they call themselves (not proof of anything)
    contact_name: str  # "" unless they are a contact already (under this name)
    token_kinds: tuple[str, ...]  # OPENPGP / FIDO2, one per security key of theirs
    devices: int

    @property
    def short_id(self) -> str:
        """The first 8 bytes of the identity ID in groups of four hex digits."""
        text = self.identity_id[:8].hex()
        return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@dataclass(frozen=True)
class ContactToken:
    """One of a contact's security keys, as their identity chain states it."""

    token_id: bytes
    kind: str  # OPENPGP or FIDO2 (from the key's scheme, not from a label they wrote)
    added_at: int  # seconds: when the chain first listed it (their clock, as signed)


@dataclass(frozen=True)
class SafetyNumbers:
    """A safety number with both people's halves, and the QR code this side shows."""

    number: str  # 60 digits in 12 groups of 5, the same on both sides
    own: str  # our half (30 digits in 6 groups), as the other side also computes it
    theirs: str  # theirs
    own_first: bool  # our half comes first in ``number``
    code: bytes  # the QR payload to show (identity.fingerprint.encode_safety_code)


def preview(core: Core, invite: Invite, documents: Sequence[SignedDocument]) -> InvitePreview:
    """Verify the chain fetched for ``invite`` and say whose it is (stores nothing)."""
    check_relay(core, invite)
    if not documents:
        raise TamperedInvite(unknown=True)
    pinned = core.book.get(invite.identity_id)
    try:
        verified = verify_chain(documents, pinned.pinned if pinned else None, core.env.now_s())
        check_invite(invite, verified)
    except WrongIdentity:
        raise TamperedInvite() from None
    row = core.repo.identity(invite.identity_id)
    known = row is not None and not row.is_request and not row.is_self
    return InvitePreview(
        identity_id=invite.identity_id,
        fingerprint=invite.fingerprint,
        relay=invite.relay,
        suggested_name=invite.name,
        contact_name=row.display_name if known and row is not None else "",
        token_kinds=tuple(_kind(t.public_key.scheme) for t in verified.tokens),
        devices=len(verified.devices),
    )


def check_relay(core: Core, invite: Invite) -> None:
    """Before fetching: our own invite, or one for another relay, is refused with why."""
    if invite.identity_id == core.own_id:
        raise IdentityError("This invite is your own.")
    if not same_relay(invite.relay, core.settings.relay_url):
        raise InviteForAnotherRelay(invite.relay, core.settings.relay_url)


def tokens(core: Core, identity_id: bytes) -> list[ContactToken]:
    """A contact's current security keys, each with when their chain first listed it."""
    verified = _contact(core, identity_id)
    first_seen: dict[bytes, int] = {}
    for doc in sorted(core.book.documents(identity_id), key=lambda d: d.version):
        for entry in doc.body.tokens:
            first_seen.setdefault(token_id(entry.public_key), doc.body.created)
    return [
        ContactToken(t.token_id, _kind(t.public_key.scheme), first_seen.get(t.token_id, 0))
        for t in verified.tokens
    ]


def safety_numbers(core: Core, identity_id: bytes) -> SafetyNumbers:
    theirs_fp = fingerprint(_contact(core, identity_id))
    own = core.book.get(core.own_id)
    assert own is not None
    own_fp = fingerprint(own)
    own_half, their_half = fingerprint_digits(own_fp), fingerprint_digits(theirs_fp)
    number = core.book.safety_number(core.own_id, identity_id)
    return SafetyNumbers(
        number=number,
        own=own_half,
        theirs=their_half,
        own_first=own_half <= their_half,  # the halves are sorted into the number
        code=encode_safety_code(own_fp, theirs_fp),
    )


def check_code(core: Core, identity_id: bytes, payload: bytes) -> None:
    """Whether a scanned safety code is the contact's for us (``SafetyCodeMismatch``)."""
    code = decode_safety_code(payload)
    verified = _contact(core, identity_id)
    own = core.book.get(core.own_id)
    assert own is not None
    if code.shower != fingerprint(verified) or code.scanner != fingerprint(own):
        raise SafetyCodeMismatch(contact_info(core, identity_id).display_name)


def _contact(core: Core, identity_id: bytes) -> VerifiedIdentity:
    contact_info(core, identity_id)  # UnknownContact for ourselves or a stranger
    verified = core.book.get(identity_id)
    if verified is None:
        raise UnknownContact("There is no such contact.")
    return verified


def _kind(scheme: SignatureScheme) -> str:
    return OPENPGP if scheme is SignatureScheme.OPENPGP_ED25519 else FIDO2
