"""Values the Messenger returns to the GUI and the CLI (frozen: they cross packages).

History rows are the store's own values (:class:`keybound.store.models.Message`
and friends), re-exported here so callers import from one place.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from keybound.client.link import LinkStatus
from keybound.store.models import (
    Attachment,
    AttachmentState,
    Conversation,
    ConversationKind,
    ConversationSummary,
    Member,
    Message,
    MessageStatus,
    Reaction,
    Receipt,
    Role,
    SearchHit,
    Verification,
)

__all__ = [
    "Attachment",
    "AttachmentState",
    "ContactInfo",
    "Conversation",
    "ConversationKind",
    "ConversationSummary",
    "DeviceInfo",
    "LockReason",
    "Member",
    "Message",
    "MessageStatus",
    "Reaction",
    "Receipt",
    "RelayInfo",
    "Role",
    "SearchHit",
    "Verification",
]

# content_type values of history rows written by the engine (``Message.content_type``)
TEXT = "text"
ATTACHMENT = "attachment"
UNDECRYPTABLE = "undecryptable"  # a message that can never be read; body is None
UNSUPPORTED = "unsupported"  # made by a newer Keybound; body is None


class LockReason(enum.StrEnum):
    REQUESTED = "requested"
    IDLE = "idle"
    TOKEN_REMOVED = "token_removed"
    DEVICE_REMOVED = "device_removed"  # this installation was removed from the identity


@dataclass(frozen=True)
class DeviceInfo:
    identity_id: bytes
    device_id: bytes
    name: str
    added_at: int  # ms, when this installation learnt of it
    is_current: bool  # this installation
    removed: bool
    post_quantum: bool = False  # its certificate states the hybrid layer (post-quantum.md)


@dataclass(frozen=True)
class ContactInfo:
    """A contact as the contact list shows it."""

    identity_id: bytes
    display_name: str
    verification: Verification
    blocked: bool
    safety_number: str  # 12 groups of 5 digits, the same on both sides
    devices: tuple[DeviceInfo, ...]
    chain_version: int

    @property
    def needs_reverification(self) -> bool:
        return self.verification is Verification.CHANGED


# IdentityAlert.kind (see client.identity_alerts)
ALERT_CHANGED, ALERT_ATTACK, ALERT_SUSPECT = "changed", "attack", "suspect"


@dataclass(frozen=True)
class IdentityAlert:
    """What a conversation's identity banner says about a contact (``identity_alerts``)."""

    identity_id: bytes
    kind: str  # ALERT_CHANGED: keys changed; ALERT_ATTACK: fork/rollback; ALERT_SUSPECT
    at: int  # ms (0: not recorded, only the held state is known)
    detail: str  # a sentence for people (why), may be empty
    held: bool  # sending to them waits until they are verified again or the change accepted


@dataclass(frozen=True)
class RelayInfo:
    """The relay in use, how its certificate is trusted, and the connection now."""

    url: str
    fingerprint: str  # SHA-256 of its certificate (AB:CD:..); "" for ws:// or not seen yet
    pinned: bool  # trusted because it matches the pinned fingerprint (a --dev-tls relay)
    status: LinkStatus
