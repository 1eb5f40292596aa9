"""Keeping a person's own devices in step: the contact-sync message.

When a new device joins an identity, the person's other devices send it what
it cannot learn from anyone else: the contacts with their pinned chains,
names and verification state, and the groups with their members.  The
message travels end-to-end encrypted to our own devices only, as an
engine-private content type (:data:`CONTACT_SYNC`); the protocol layer
carries it as an opaque body (``content.Unsupported``).  The receiver
verifies every chain itself, so a sync can add nothing a chain does not prove.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from keybound.errors import MalformedData
from keybound.protocol.content import Unsupported
from keybound.store.models import ConversationKind, Role, Verification
from keybound.store.repository import Repository
from keybound.wire import cbor

CONTACT_SYNC = 0x4B01  # engine-private content types start at 0x4B00 ("K")
CONTACTS_PER_MESSAGE = 16
MAX_NAME = 256


@dataclass(frozen=True)
class SyncedContact:
    identity_id: bytes
    display_name: str
    verification: Verification
    blocked: bool
    chain: bytes = field(repr=False)  # the pinned chain (identities.encode_chain)


@dataclass(frozen=True)
class SyncedGroup:
    group_id: bytes
    name: str
    members: tuple[bytes, ...]
    admins: tuple[bytes, ...]
    timer: int | None


@dataclass(frozen=True)
class ContactSync:
    contacts: tuple[SyncedContact, ...] = ()
    groups: tuple[SyncedGroup, ...] = ()
    direct_timers: tuple[tuple[bytes, int], ...] = ()  # (peer identity, seconds)

    def content(self) -> Unsupported:
        return Unsupported(CONTACT_SYNC, self.encode())

    def encode(self) -> bytes:
        return cbor.encode(
            {
                0: [
                    [c.identity_id, c.display_name, str(c.verification), c.blocked, c.chain]
                    for c in self.contacts
                ],
                1: [
                    [g.group_id, g.name, list(g.members), list(g.admins), g.timer or 0]
                    for g in self.groups
                ],
                2: [[peer, seconds] for peer, seconds in self.direct_timers],
            }
        )

    @classmethod
    def decode(cls, raw: bytes) -> ContactSync:
        m = cbor.decode_map(raw, max_size=4 << 20)
        contacts = []
        for item in cbor.get_list(m, 0, name="contacts"):
            identity_id, name, verification, blocked, chain = _tuple(item, 5)
            contacts.append(
                SyncedContact(
                    _bytes(identity_id),
                    _str(name),
                    _verification(verification),
                    _bool(blocked),
                    _bytes(chain, 4 << 20),
                )
            )
        groups = []
        for item in cbor.get_list(m, 1, name="groups"):
            group_id, name, members, admins, timer = _tuple(item, 5)
            groups.append(
                SyncedGroup(
                    _bytes(group_id),
                    _str(name),
                    _ids(members),
                    _ids(admins),
                    _int(timer) or None,
                )
            )
        timers = []
        for item in cbor.get_list(m, 2, name="timers") if 2 in m else []:
            peer, seconds = _tuple(item, 2)
            timers.append((_bytes(peer), _int(seconds)))
        return cls(tuple(contacts), tuple(groups), tuple(timers))


def build(repo: Repository, own: bytes) -> list[ContactSync]:
    """Everything a new device of ours needs, split into messages of a sensible size."""
    contacts = [
        SyncedContact(c.identity_id, c.display_name, c.verification, c.blocked, c.chain)
        for c in repo.contacts()
        if c.chain is not None
    ]
    groups = []
    timers = []
    for summary in repo.conversations(archived=False) + repo.conversations(archived=True):
        conv = summary.conversation
        if conv.kind is ConversationKind.GROUP:
            members = repo.members(conv.conversation_id)
            if not any(m.identity_id == own for m in members):
                continue
            groups.append(
                SyncedGroup(
                    conv.conversation_id,
                    conv.name,
                    tuple(m.identity_id for m in members),
                    tuple(m.identity_id for m in members if m.role is Role.ADMIN),
                    conv.disappearing_seconds,
                )
            )
        elif conv.disappearing_seconds and conv.peer_identity is not None:
            timers.append((conv.peer_identity, conv.disappearing_seconds))
    out = [
        ContactSync(tuple(contacts[i : i + CONTACTS_PER_MESSAGE]))
        for i in range(0, len(contacts), CONTACTS_PER_MESSAGE)
    ]
    out.append(ContactSync((), tuple(groups), tuple(timers)))
    return out


def _tuple(item: cbor.Value, n: int) -> Sequence[cbor.Value]:
    if not isinstance(item, list) or len(item) != n:
        raise MalformedData("contact sync entry")
    return item


def _bytes(v: cbor.Value, limit: int = 64) -> bytes:
    if not isinstance(v, bytes) or len(v) > limit:
        raise MalformedData("contact sync id")
    return v


def _str(v: cbor.Value) -> str:
    if not isinstance(v, str) or len(v) > MAX_NAME:
        raise MalformedData("contact sync name")
    return v


def _bool(v: cbor.Value) -> bool:
    if not isinstance(v, bool):
        raise MalformedData("contact sync flag")
    return v


def _int(v: cbor.Value) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 1 << 32:
        raise MalformedData("contact sync number")
    return v


def _ids(v: cbor.Value) -> tuple[bytes, ...]:
    if not isinstance(v, list) or len(v) > 1024:
        raise MalformedData("contact sync members")
    return tuple(_bytes(x) for x in v)


def _verification(v: cbor.Value) -> Verification:
    try:
        return Verification(_str(v))
    except ValueError:
        raise MalformedData("contact sync verification") from None
