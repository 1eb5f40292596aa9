"""Values the history repository takes and returns (frozen: they cross packages).

Times are integer milliseconds since the Unix epoch (UTC).  IDs are opaque
bytes chosen by the protocol layer, except message IDs, which have a shape:
see :func:`new_message_id`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

# Message IDs are made by the protocol layer; re-exported for the store's callers.
from keybound.protocol.ids import MESSAGE_ID_SIZE as MESSAGE_ID_SIZE
from keybound.protocol.ids import new_message_id as new_message_id

# Message.content_type of a system line (a group or timer change; keybound.client.system)
SYSTEM_CONTENT_TYPE = "system"


class MessageStatus(enum.StrEnum):
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    RECEIVED = "received"  # every incoming message


class Verification(enum.StrEnum):
    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    CHANGED = "changed"  # was verified; the identity changed since: verify again


class ConversationKind(enum.StrEnum):
    DIRECT = "direct"
    GROUP = "group"


class Role(enum.StrEnum):
    MEMBER = "member"
    ADMIN = "admin"


class AttachmentState(enum.StrEnum):
    REMOTE = "remote"
    DOWNLOADING = "downloading"
    LOCAL = "local"
    FAILED = "failed"


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    FAILED = "failed"  # gave up; kept so the GUI can offer "retry"


class InsertResult(enum.Enum):
    INSERTED = "inserted"
    DUPLICATE = "duplicate"  # the message ID was already stored; nothing changed


@dataclass(frozen=True)
class Identity:
    """A person: ourselves (``is_self``) or a contact or group member."""

    identity_id: bytes
    created_at: int
    display_name: str = ""
    is_self: bool = False
    chain: bytes | None = field(default=None, repr=False)
    verification: Verification = Verification.UNVERIFIED
    blocked: bool = False
    updated_at: int = 0
    is_request: bool = False  # wrote to us without being a contact (a message request)


@dataclass(frozen=True)
class Device:
    device_id: bytes
    identity_id: bytes
    curve25519: bytes
    ed25519: bytes
    added_at: int
    name: str = ""
    certificate: bytes | None = field(default=None, repr=False)
    is_current: bool = False  # this installation
    removed_at: int | None = None


@dataclass(frozen=True)
class Conversation:
    """The settable part of a conversation; see :class:`ConversationSummary` for the rest."""

    conversation_id: bytes
    kind: ConversationKind
    created_at: int
    name: str = ""
    peer_identity: bytes | None = None  # set for direct conversations only
    disappearing_seconds: int | None = None
    muted: bool = False
    archived: bool = False


@dataclass(frozen=True)
class Member:
    conversation_id: bytes
    identity_id: bytes
    role: Role
    joined_at: int


@dataclass(frozen=True)
class Message:
    message_id: bytes
    conversation_id: bytes
    sender_identity: bytes
    sender_device: bytes
    outgoing: bool
    sent_at: int
    body: str | None = field(repr=False)
    content_type: str = "text"
    received_at: int | None = None  # None for messages composed here
    edited_at: int | None = None
    reply_to: bytes | None = None
    status: MessageStatus = MessageStatus.RECEIVED
    failure_reason: str | None = None
    expires_at: int | None = None
    deleted: bool = False  # deleted for everyone: body is None, a tombstone remains

    @property
    def sort_at(self) -> int:
        """The time the conversation is ordered by: when it reached this device."""
        return self.sent_at if self.received_at is None else self.received_at


@dataclass(frozen=True)
class ConversationSummary:
    """One row of the conversation list."""

    conversation: Conversation
    last_message: Message | None
    unread_count: int
    last_activity: int


@dataclass(frozen=True)
class Reaction:
    message_id: bytes
    sender_identity: bytes
    emoji: str
    reacted_at: int


@dataclass(frozen=True)
class Receipt:
    message_id: bytes
    recipient_device: bytes
    recipient_identity: bytes
    delivered_at: int | None
    read_at: int | None


@dataclass(frozen=True)
class Attachment:
    message_id: bytes
    position: int
    blob_id: bytes
    key: bytes = field(repr=False)
    digest: bytes
    size: int
    media_type: str
    file_name: str | None = None
    thumbnail: bytes | None = field(default=None, repr=False)
    local_state: AttachmentState = AttachmentState.REMOTE
    local_path: str | None = None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    message_id: bytes | None
    recipient_device: bytes
    payload: bytes = field(repr=False)
    attempts: int
    next_attempt_at: int
    state: OutboxState
    last_error: str | None
    created_at: int


@dataclass(frozen=True)
class SnippetPart:
    text: str
    match: bool  # True for a part that matched the query (to highlight)


@dataclass(frozen=True)
class SearchHit:
    message: Message
    snippet: tuple[SnippetPart, ...]
