"""Conversations in the store: direct ones with a shared ID, groups and their members.

A direct conversation's ID is derived from the two identity IDs, so both
people (and every device of each) file a message under the same ID without
telling each other.  A group's ID is random, chosen by its creator, and its
state (name, members, admins) travels in group messages; these functions
apply that state to the store.  Only admins may add or remove others;
anyone may leave or rename.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace

from keybound.store.models import Conversation, ConversationKind, Identity, Role
from keybound.store.repository import Repository

DIRECT_DOMAIN = b"keybound direct conversation v1\x00"
CONVERSATION_ID_SIZE = 16


def direct_id(a: bytes, b: bytes) -> bytes:
    """The one ID both people use for their direct conversation."""
    low, high = sorted((a, b))
    return hashlib.sha256(DIRECT_DOMAIN + low + b"\x00" + high).digest()[:CONVERSATION_ID_SIZE]


def ensure_identity(repo: Repository, identity_id: bytes, now: int) -> None:
    """A row for a person we only know by ID so far (their chain comes later)."""
    if repo.identity(identity_id) is None:
        repo.upsert_identity(Identity(identity_id, now, updated_at=now))


def ensure_direct(repo: Repository, own: bytes, peer: bytes, now: int) -> Conversation:
    conversation_id = direct_id(own, peer)
    existing = repo.conversation(conversation_id)
    if existing is not None:
        return existing
    ensure_identity(repo, peer, now)
    conv = Conversation(conversation_id, ConversationKind.DIRECT, now, peer_identity=peer)
    repo.upsert_conversation(conv)
    return conv


def find_direct(repo: Repository, own: bytes, conversation_id: bytes) -> Conversation | None:
    """The direct conversation filed under ``conversation_id``, even if not created yet
    here (a message we sent from another device): found by trying each known person."""
    conv = repo.conversation(conversation_id)
    if conv is not None:
        return conv
    for person in repo.contacts():
        if direct_id(own, person.identity_id) == conversation_id:
            return ensure_direct(repo, own, person.identity_id, 0)
    return None


@dataclass(frozen=True)
class Route:
    """How a conversation's messages are encrypted, and to whom (besides our own devices)."""

    group: bool
    recipients: tuple[bytes, ...]


def route(repo: Repository, own: bytes, conv: Conversation) -> Route:
    if conv.kind is ConversationKind.DIRECT:
        assert conv.peer_identity is not None
        return Route(False, (conv.peer_identity,))
    members = [m.identity_id for m in repo.members(conv.conversation_id)]
    return Route(True, tuple(m for m in members if m != own))


def is_member(repo: Repository, conversation_id: bytes, identity_id: bytes) -> bool:
    return any(m.identity_id == identity_id for m in repo.members(conversation_id))


def is_admin(repo: Repository, conversation_id: bytes, identity_id: bytes) -> bool:
    return any(
        m.identity_id == identity_id and m.role is Role.ADMIN for m in repo.members(conversation_id)
    )


def upsert_group(
    repo: Repository,
    group_id: bytes,
    name: str,
    members: Iterable[bytes],
    admins: Iterable[bytes],
    now: int,
) -> Conversation:
    """Create the group, or bring it to this state (a snapshot from its admin)."""
    conv = repo.conversation(group_id)
    if conv is None:
        conv = Conversation(group_id, ConversationKind.GROUP, now, name=name)
    elif conv.kind is not ConversationKind.GROUP:
        raise ValueError("not a group")
    conv = replace(conv, name=name)
    repo.upsert_conversation(conv)
    wanted = set(members)
    admin_set = set(admins)
    for m in repo.members(group_id):
        if m.identity_id not in wanted:
            repo.remove_member(group_id, m.identity_id)
    for identity_id in wanted:
        ensure_identity(repo, identity_id, now)
        role = Role.ADMIN if identity_id in admin_set else Role.MEMBER
        repo.set_member(group_id, identity_id, role, now)
    return conv


def add_members(repo: Repository, group_id: bytes, members: Iterable[bytes], now: int) -> None:
    for identity_id in members:
        ensure_identity(repo, identity_id, now)
        if not is_member(repo, group_id, identity_id):
            repo.set_member(group_id, identity_id, Role.MEMBER, now)


def remove_members(repo: Repository, group_id: bytes, members: Iterable[bytes]) -> None:
    for identity_id in members:
        repo.remove_member(group_id, identity_id)


def rename(repo: Repository, conversation_id: bytes, name: str) -> None:
    conv = repo.conversation(conversation_id)
    if conv is not None:
        repo.upsert_conversation(replace(conv, name=name))


def set_timer(repo: Repository, conversation_id: bytes, seconds: int | None) -> None:
    conv = repo.conversation(conversation_id)
    if conv is not None:
        repo.upsert_conversation(replace(conv, disappearing_seconds=seconds or None))
