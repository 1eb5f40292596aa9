"""Contacts: invites, adding someone from an invite, safety numbers, verification, blocking.

Adding a contact fetches their identity chain from the relay (the messenger
does the fetch), verifies it from its genesis, checks that it is the identity
and fingerprint the invite names, and pins it.  From then on the chain can
only move forward; a change of their security keys turns a verified contact
into "changed" (verify again), which the UI must show loudly.

These functions run on the database thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from keybound.client import conversations as convs
from keybound.client import identity_alerts
from keybound.client.core import Core
from keybound.client.identities import ChainUpdate
from keybound.client.values import ContactInfo, DeviceInfo
from keybound.errors import (
    ContactAlreadyAdded,
    IdentityError,
    InviteForAnotherRelay,
    TamperedInvite,
    UnknownContact,
    WrongIdentity,
)
from keybound.identity.chain import verify_chain
from keybound.identity.document import SignedDocument
from keybound.identity.fingerprint import Invite, check_invite, invite_for, invite_uri
from keybound.store.models import Device, Verification


def device_info(d: Device) -> DeviceInfo:
    return DeviceInfo(
        d.identity_id, d.device_id, d.name, d.added_at, d.is_current, d.removed_at is not None
    )


def contact_info(core: Core, identity_id: bytes) -> ContactInfo:
    row = core.repo.identity(identity_id)
    if row is None or row.is_self:
        raise UnknownContact("There is no such contact.")
    verified = core.book.get(identity_id)
    return ContactInfo(
        identity_id=identity_id,
        display_name=row.display_name,
        verification=row.verification,
        blocked=row.blocked,
        safety_number=core.book.safety_number(core.own_id, identity_id),
        devices=tuple(device_info(d) for d in core.repo.devices(identity_id)),
        chain_version=verified.version if verified else -1,
    )


def contacts(core: Core) -> list[ContactInfo]:
    return [contact_info(core, row.identity_id) for row in core.repo.contacts()]


def find(core: Core, name_or_id: str | bytes) -> bytes:
    """A contact's identity ID from its ID, its display name, or a hex prefix of its ID."""
    rows = core.repo.contacts()
    if isinstance(name_or_id, bytes):
        if any(r.identity_id == name_or_id for r in rows):
            return name_or_id
        raise UnknownContact("There is no such contact.")
    exact = [r for r in rows if r.display_name == name_or_id]
    if len(exact) == 1:
        return exact[0].identity_id
    folded = [r for r in rows if r.display_name.casefold() == name_or_id.casefold()]
    if len(folded) == 1:
        return folded[0].identity_id
    text = name_or_id.lower()
    if len(text) >= 8 and all(ch in "0123456789abcdef" for ch in text):
        by_hex = [r for r in rows if r.identity_id.hex().startswith(text)]
        if len(by_hex) == 1:
            return by_hex[0].identity_id
    if len(exact) > 1 or len(folded) > 1:
        raise UnknownContact(f"Several contacts are named {name_or_id!r}; use the ID instead.")
    raise UnknownContact(f"There is no contact named {name_or_id!r}.")


def own_invite(core: Core) -> Invite:
    verified = core.book.get(core.own_id)
    assert verified is not None
    return invite_for(verified, core.settings.relay_url, core.settings.display_name)


def own_invite_uri(core: Core) -> str:
    return invite_uri(own_invite(core))


def same_relay(a: str, b: str) -> bool:
    """Two relay URLs naming the same relay (scheme, host and port; case and default
    ports aside)."""

    def key(url: str) -> tuple[str, str, int | None]:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        default = {"wss": 443, "ws": 80}.get(scheme)
        return scheme, (parts.hostname or "").lower(), parts.port or default

    return key(a) == key(b)


def check_new(core: Core, invite: Invite, name: str) -> None:
    """Before fetching anything: an invite for another relay, or for someone who is a
    contact already under another name, is refused with the reason."""
    if not same_relay(invite.relay, core.settings.relay_url):
        raise InviteForAnotherRelay(invite.relay, core.settings.relay_url)
    row = core.repo.identity(invite.identity_id)
    if row is not None and not row.is_request and row.display_name and row.display_name != name:
        raise ContactAlreadyAdded(row.display_name, name)


def add(
    core: Core, invite: Invite, documents: Sequence[SignedDocument], name: str
) -> tuple[ContactInfo, ChainUpdate]:
    """Verify the fetched chain against the invite, then pin it and name the contact."""
    if invite.identity_id == core.own_id:
        raise IdentityError("This invite is your own.")
    pinned = core.book.get(invite.identity_id)
    verified = verify_chain(documents, pinned.pinned if pinned else None, core.env.now_s())
    try:
        check_invite(invite, verified)
    except WrongIdentity:
        raise TamperedInvite() from None
    update = core.book.accept(
        core.repo,
        documents,
        core.env.now_s(),
        core.now(),
        expected=invite.identity_id,
        display_name=name,
    )
    with core.db.transaction():
        row = core.repo.identity(invite.identity_id)
        if row is not None and row.is_request:  # a message request, now added by invite
            core.repo.upsert_identity(replace(row, is_request=False, blocked=False))
        convs.ensure_direct(core.repo, core.own_id, invite.identity_id, core.now())
    return contact_info(core, invite.identity_id), update


def set_verified(core: Core, identity_id: bytes, verified: bool = True) -> ContactInfo:
    """After comparing safety numbers (or SAS emoji) in person."""
    row = core.repo.identity(identity_id)
    if row is None or row.is_self:
        raise UnknownContact("There is no such contact.")
    state = Verification.VERIFIED if verified else Verification.UNVERIFIED
    with core.tx():
        core.repo.upsert_identity(replace(row, verification=state, updated_at=core.now()))
        if verified:
            identity_alerts.clear(core, identity_id)  # looked at the keys now: banner goes
    return contact_info(core, identity_id)


def set_blocked(core: Core, identity_id: bytes, blocked: bool) -> ContactInfo:
    row = core.repo.identity(identity_id)
    if row is None or row.is_self:
        raise UnknownContact("There is no such contact.")
    core.repo.upsert_identity(replace(row, blocked=blocked, updated_at=core.now()))
    return contact_info(core, identity_id)


def rename(core: Core, identity_id: bytes, name: str) -> ContactInfo:
    row = core.repo.identity(identity_id)
    if row is None or row.is_self:
        raise UnknownContact("There is no such contact.")
    core.repo.upsert_identity(replace(row, display_name=name[:256], updated_at=core.now()))
    return contact_info(core, identity_id)
