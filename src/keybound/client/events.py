"""Events the engine reports to the UI (``async for event in messenger.events()``).

Each is a frozen dataclass; the UI matches on the class.  Events are emitted
after the change they report is committed, so a UI that re-reads the
history on an event always finds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from keybound.backup.values import BackupInfo, Progress, RestoreSummary
from keybound.client.link import LinkStatus
from keybound.client.values import (
    ContactInfo,
    IdentityAlert,
    LockReason,
    Message,
    MessageStatus,
)


class Event:
    """Base class of every engine event."""

    __slots__ = ()


# --- messages ------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageReceived(Event):
    """A new row in the history: an incoming message, one we sent from another device,
    or a system line (a group or timer change, ours from this device included)."""

    message: Message


@dataclass(frozen=True)
class MessageStatusChanged(Event):
    """An outgoing message moved on: sending -> sent -> delivered -> read, or failed."""

    message_id: bytes
    conversation_id: bytes
    status: MessageStatus
    reason: str | None = None


@dataclass(frozen=True)
class MessageEdited(Event):
    message_id: bytes
    conversation_id: bytes
    edited_at: int


@dataclass(frozen=True)
class MessageDeleted(Event):
    """Deleted for everyone: a tombstone remains, its text is gone."""

    message_id: bytes
    conversation_id: bytes


@dataclass(frozen=True)
class MessagesExpired(Event):
    """Disappearing messages whose time was up, deleted from the vault."""

    message_ids: tuple[bytes, ...]
    conversation_ids: tuple[bytes, ...]


@dataclass(frozen=True)
class ReactionChanged(Event):
    message_id: bytes
    conversation_id: bytes
    sender_identity: bytes
    emoji: str | None  # None: the reaction was taken back


@dataclass(frozen=True)
class ReceiptReceived(Event):
    message_id: bytes
    conversation_id: bytes
    recipient_identity: bytes
    recipient_device: bytes
    read: bool  # False: delivered
    at: int


@dataclass(frozen=True)
class TypingChanged(Event):
    conversation_id: bytes
    identity_id: bytes
    typing: bool


# --- contacts, conversations, devices ---------------------------------------------------


@dataclass(frozen=True)
class ContactAdded(Event):
    contact: ContactInfo


@dataclass(frozen=True)
class ContactChanged(Event):
    """A contact's identity chain moved on.

    ``needs_reverification``: their set of security keys changed, so the
    safety number changed: warn loudly and ask to compare numbers again.
    """

    contact: ContactInfo
    needs_reverification: bool


@dataclass(frozen=True)
class IdentityAlertChanged(Event):
    """A contact's identity banner changed: keys changed, an attack warning, suspect after
    a failed verification (``alert``), or gone (None) after verifying or accepting."""

    identity_id: bytes
    alert: IdentityAlert | None


# --- emoji verification (client.verification) --------------------------------------------


@dataclass(frozen=True)
class VerificationRequested(Event):
    """A contact's device asks to verify with us (``Messenger.accept_verification(tx)``).

    ``accepted``: both sides had started at once and the engine answered theirs in
    place of ours (keep showing the flow with this contact)."""

    tx: bytes
    identity_id: bytes
    device_id: bytes
    accepted: bool = False


@dataclass(frozen=True)
class VerificationCodes(Event):
    """Both keys are exchanged: show the seven emoji (with names) and ask whether they
    match what the other screen shows."""

    tx: bytes
    identity_id: bytes
    emoji: tuple[tuple[str, str], ...]  # (emoji, English name)
    decimals: tuple[int, int, int]


@dataclass(frozen=True)
class VerificationDone(Event):
    """The verification ended: ``outcome`` is ``verified``, ``mismatch`` (the contact is
    now suspect), ``cancelled`` or ``timed_out``; ``reason`` a sentence for people."""

    tx: bytes
    identity_id: bytes
    outcome: str
    reason: str


@dataclass(frozen=True)
class ConversationChanged(Event):
    """Created, renamed, members added or removed, timer changed, or we left it."""

    conversation_id: bytes


@dataclass(frozen=True)
class DeviceAdded(Event):
    identity_id: bytes
    device_id: bytes
    own: bool  # a device of our own identity


@dataclass(frozen=True)
class DeviceRemoved(Event):
    identity_id: bytes
    device_id: bytes
    own: bool


# --- engine ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionChanged(Event):
    status: LinkStatus


@dataclass(frozen=True)
class Locked(Event):
    """History closed and keys dropped; the outbox waits for the next unlock."""

    reason: LockReason


@dataclass(frozen=True)
class Unlocked(Event):
    pass


@dataclass(frozen=True)
class TokenPresenceChanged(Event):
    """An enrolled security key was plugged in (``present``) or pulled out.

    Reported while locked too, so a lock screen can show it and ask for the
    PIN as soon as the key arrives.
    """

    present: bool


@dataclass(frozen=True)
class AttachmentProgress(Event):
    message_id: bytes
    position: int
    done: int  # bytes
    total: int
    upload: bool


@dataclass(frozen=True)
class EngineError(Event):
    """Something failed in the background; ``text`` is a sentence for people."""

    text: str
    what: str = ""  # short machine-readable tag, e.g. "publish_keys", "inbox"


@dataclass(frozen=True)
class ReceivingChanged(Event):
    """Receiving paused (the history cannot be written: ``what`` is ``disk_full`` or
    ``history_storage``) or resumed (``paused`` False); messages wait on the relay."""

    paused: bool
    what: str = ""
    reason: str = ""


@dataclass(frozen=True)
class MessageRequestReceived(Event):
    """Someone who is not a contact wrote to us: a new message request (not a contact)."""

    identity_id: bytes


@dataclass(frozen=True)
class MessageRequestChanged(Event):
    """A request was accepted (now a contact), blocked or deleted."""

    identity_id: bytes
    outcome: str  # "accepted" | "blocked" | "deleted"


# --- backups ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupProgress(Event):
    """A long backup step moved on (also given to the caller's progress callback)."""

    operation: str  # "create", "verify", "restore", "export"
    progress: Progress


@dataclass(frozen=True)
class BackupCreated(Event):
    path: str
    info: BackupInfo
    automatic: bool


@dataclass(frozen=True)
class BackupFailed(Event):
    """A backup did not complete; ``text`` is a sentence for people (show a notification)."""

    text: str
    automatic: bool


@dataclass(frozen=True)
class HistoryRestored(Event):
    """A backup was merged into the history: re-read the conversation list."""

    summary: RestoreSummary
