"""Identity changes that cannot be missed: the alert a conversation shows, and the hold.

Signal and Nheko show a changed identity as one grey line in the chat; here it
stays on screen until the person has looked.  Three kinds of alert, kept per
contact in the vault's settings table (``identity_alert:<id hex>``, CBOR),
so they survive a restart and travel in backups like any other setting:

- ``changed``: their set of security keys changed (a routine event: a new
  spare key, a lost one removed).  For a contact that was verified the
  identity row is ``Verification.CHANGED`` and **sending is held**
  (:func:`check_send` raises ``SendingHeld``) until the person verifies again
  or accepts the change (:func:`accept_change`).
- ``attack``: the relay offered a fork or a rollback of their chain, which an
  honest owner never produces.  The offered history was refused (we still
  talk to the pinned one); a verified contact is held as above.
- ``suspect``: an emoji verification ended in "they don't match" (here or on
  their side), or their keys did not verify: someone may sit in the middle.

Verifying the contact again clears any alert (``contacts.set_verified``).
Everything here runs on the database thread.
"""

from __future__ import annotations

from dataclasses import replace

from keybound.client.core import Core
from keybound.client.values import ALERT_ATTACK, ALERT_CHANGED, ALERT_SUSPECT, IdentityAlert
from keybound.errors import MalformedData, SendingHeld
from keybound.store.models import Conversation, ConversationKind, Verification
from keybound.wire import cbor

CHANGED, ATTACK, SUSPECT = ALERT_CHANGED, ALERT_ATTACK, ALERT_SUSPECT
_KINDS = (CHANGED, ATTACK, SUSPECT)
_PREFIX = "identity_alert:"
_STRENGTH = {CHANGED: 0, SUSPECT: 1, ATTACK: 2}  # a stronger alert is not replaced by a weaker


def _key(identity_id: bytes) -> str:
    return _PREFIX + identity_id.hex()


def get(core: Core, identity_id: bytes) -> IdentityAlert | None:
    raw = core.repo.setting(_key(identity_id))
    row = core.repo.identity(identity_id)
    held = row is not None and row.verification is Verification.CHANGED
    return _alert(identity_id, raw, held)


def _alert(identity_id: bytes, raw: bytes | None, held: bool) -> IdentityAlert | None:
    if raw is None:
        return IdentityAlert(identity_id, CHANGED, 0, "", True) if held else None
    try:
        m = cbor.decode_map(raw, max_size=4096)
        kind = cbor.get_str(m, "kind", name="kind", max_size=16)
        at = cbor.get_int(m, "at", name="at", min_value=0)
        detail = cbor.get_str(m, "detail", name="detail", max_size=1024)
    except MalformedData:
        return None
    if kind not in _KINDS:
        return None
    return IdentityAlert(identity_id, kind, at, detail, held)


def alerted(core: Core) -> set[bytes]:
    """The identities with a stored alert that :func:`get` would return (one query, for
    the conversation list; an identity held without a stored alert is not among them)."""
    out = set()
    for key, raw in core.repo.settings_with_prefix(_PREFIX).items():
        try:
            identity_id = bytes.fromhex(key[len(_PREFIX) :])
        except ValueError:
            continue
        if _alert(identity_id, raw, False) is not None:
            out.add(identity_id)
    return out


def record(core: Core, identity_id: bytes, kind: str, detail: str = "") -> IdentityAlert | None:
    """Note an alert (a weaker one does not replace a stronger one still shown); an
    ``attack`` holds sending to a verified contact.  The alert as it now stands."""
    current = get(core, identity_id)
    if current is not None and current.at and _STRENGTH[current.kind] > _STRENGTH[kind]:
        return current
    with core.tx():
        row = core.repo.identity(identity_id)
        if kind == ATTACK and row is not None and row.verification is Verification.VERIFIED:
            core.repo.upsert_identity(
                replace(row, verification=Verification.CHANGED, updated_at=core.now())
            )
        value = {"kind": kind, "at": core.now(), "detail": detail[:1024]}
        core.repo.set_setting(_key(identity_id), cbor.encode(value))
    return get(core, identity_id)


def clear(core: Core, identity_id: bytes) -> None:
    with core.tx():
        core.repo.delete_setting(_key(identity_id))


def mark_suspect(core: Core, identity_id: bytes, detail: str) -> IdentityAlert | None:
    """A verification said "they don't match": no longer verified, and the banner says so.
    (A held contact stays held: the mismatch is no reason to let sending go.)"""
    with core.tx():
        row = core.repo.identity(identity_id)
        if row is not None and row.verification is Verification.VERIFIED:
            core.repo.upsert_identity(
                replace(row, verification=Verification.UNVERIFIED, updated_at=core.now())
            )
        return record(core, identity_id, SUSPECT, detail)


def accept_change(core: Core, identity_id: bytes) -> None:
    """The person looked and accepts the new keys without verifying: the alert goes, the
    hold is released, and the contact is no longer marked verified (it was not, for these)."""
    with core.tx():
        row = core.repo.identity(identity_id)
        if row is not None and row.verification is Verification.CHANGED:
            core.repo.upsert_identity(
                replace(row, verification=Verification.UNVERIFIED, updated_at=core.now())
            )
        core.repo.delete_setting(_key(identity_id))


def check_send(core: Core, conversation_id: bytes, conv: Conversation | None = None) -> None:
    """``SendingHeld`` if a recipient of the conversation is a held (changed) contact
    (``conv``: its row, when the caller read it already)."""
    conv = conv or core.repo.conversation(conversation_id)
    if conv is None:
        return
    if conv.kind is ConversationKind.DIRECT:
        people = [conv.peer_identity] if conv.peer_identity else []
    else:
        people = [m.identity_id for m in core.repo.members(conv.conversation_id)]
    for identity_id in people:
        if identity_id == core.own_id:
            continue
        row = core.repo.identity(identity_id)
        if row is not None and row.verification is Verification.CHANGED:
            raise SendingHeld(row.display_name or identity_id.hex()[:16])
