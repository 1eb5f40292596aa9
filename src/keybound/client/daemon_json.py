"""How the local control socket renders the engine's values and events as JSON.

The shapes the daemon answers with and streams (``keybound listen --json``
prints the same): contacts, devices, messages with sender and conversation
names, and one object per engine event.  IDs are hex, times are milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keybound.client import events as ev
from keybound.client import system
from keybound.client.messenger import Messenger
from keybound.client.values import (
    ATTACHMENT,
    ContactInfo,
    ConversationKind,
    DeviceInfo,
    IdentityAlert,
    Message,
)

Json = Any


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def contact_json(c: ContactInfo) -> Json:
    return {
        "identity_id": c.identity_id.hex(),
        "name": c.display_name,
        "verification": c.verification.value,
        "needs_reverification": c.needs_reverification,
        "blocked": c.blocked,
        "safety_number": c.safety_number,
        "devices": [device_json(d) for d in c.devices if not d.removed],
        "chain_version": c.chain_version,
    }


def device_json(d: DeviceInfo) -> Json:
    return {
        "identity_id": d.identity_id.hex(),
        "device_id": d.device_id.hex(),
        "name": d.name,
        "added_at": d.added_at,
        "current": d.is_current,
        "removed": d.removed,
    }


@dataclass
class Names:
    """Display names for identity and conversation IDs, for readable output."""

    own_id: bytes
    people: dict[bytes, str]
    conversations: dict[bytes, str]

    def person(self, identity_id: bytes) -> str:
        if identity_id == self.own_id:
            return "me"
        return self.people.get(identity_id, identity_id.hex()[:12])

    def conversation(self, conversation_id: bytes) -> str:
        return self.conversations.get(conversation_id, conversation_id.hex()[:12])


async def names_of(m: Messenger) -> Names:
    people = {c.identity_id: c.display_name for c in await m.contacts()}
    convs: dict[bytes, str] = {}
    for summary in await m.conversations():
        conv = summary.conversation
        if conv.kind is ConversationKind.DIRECT and conv.peer_identity is not None:
            convs[conv.conversation_id] = people.get(conv.peer_identity, conv.name)
        else:
            convs[conv.conversation_id] = conv.name
    return Names(m.identity_id, people, convs)


async def message_json(m: Messenger, msg: Message, names: Names) -> Json:
    out: Json = {
        "message_id": msg.message_id.hex(),
        "conversation_id": msg.conversation_id.hex(),
        "conversation": names.conversation(msg.conversation_id),
        "sender": msg.sender_identity.hex(),
        "sender_name": names.person(msg.sender_identity),
        "sender_device": msg.sender_device.hex(),
        "outgoing": msg.outgoing,
        "sent_at": msg.sent_at,
        "received_at": msg.received_at,
        "content_type": msg.content_type,
        "body": msg.body,
        "status": msg.status.value,
        "reply_to": _hex(msg.reply_to),
        "edited_at": msg.edited_at,
        "deleted": msg.deleted,
    }
    if msg.failure_reason:
        out["failure_reason"] = msg.failure_reason
    event = system.event_of(msg)
    if event is not None:  # a group or timer change: who did what, and the sentence

        def name(who: bytes) -> str:
            return "" if who == names.own_id else names.person(who)

        out["system"] = {
            "kind": event.kind.value,
            "actor": event.actor.hex(),
            "subjects": [s.hex() for s in event.subjects],
            "name": event.name,
            "seconds": event.seconds,
            "text": system.describe(system.notice(event, name)),
        }
    if msg.content_type == ATTACHMENT:
        out["attachments"] = [
            {
                "position": a.position,
                "file_name": a.file_name,
                "media_type": a.media_type,
                "size": a.size,
                "state": a.local_state.value,
                "path": a.local_path,
            }
            for a in await m.attachments(msg.message_id)
        ]
    return out


async def event_json(m: Messenger, event: ev.Event, names: Names) -> Json | None:
    """One engine event as JSON (None for events not worth a line)."""
    if isinstance(event, ev.MessageReceived):
        return {"type": "message", **await message_json(m, event.message, names)}
    if isinstance(event, ev.ReceiptReceived):
        return {
            "type": "receipt",
            "message_id": event.message_id.hex(),
            "conversation_id": event.conversation_id.hex(),
            "conversation": names.conversation(event.conversation_id),
            "from": event.recipient_identity.hex(),
            "from_name": names.person(event.recipient_identity),
            "device": event.recipient_device.hex(),
            "receipt": "read" if event.read else "delivered",
            "at": event.at,
        }
    if isinstance(event, ev.MessageStatusChanged):
        out: Json = {
            "type": "status",
            "message_id": event.message_id.hex(),
            "conversation_id": event.conversation_id.hex(),
            "status": event.status.value,
        }
        if event.reason:
            out["reason"] = event.reason
        return out
    if isinstance(event, ev.MessageEdited | ev.MessageDeleted):
        kind = "edited" if isinstance(event, ev.MessageEdited) else "deleted"
        return {
            "type": kind,
            "message_id": event.message_id.hex(),
            "conversation_id": event.conversation_id.hex(),
        }
    if isinstance(event, ev.ReactionChanged):
        return {
            "type": "reaction",
            "message_id": event.message_id.hex(),
            "from": event.sender_identity.hex(),
            "from_name": names.person(event.sender_identity),
            "emoji": event.emoji,
        }
    if isinstance(event, ev.ContactAdded):
        return {"type": "contact_added", "contact": contact_json(event.contact)}
    if isinstance(event, ev.ContactChanged):
        return {
            "type": "contact_changed",
            "contact": contact_json(event.contact),
            "needs_reverification": event.needs_reverification,
        }
    if isinstance(event, ev.ConversationChanged):
        return {"type": "conversation_changed", "conversation_id": event.conversation_id.hex()}
    if isinstance(event, ev.DeviceAdded | ev.DeviceRemoved):
        return {
            "type": "device_added" if isinstance(event, ev.DeviceAdded) else "device_removed",
            "identity_id": event.identity_id.hex(),
            "device_id": event.device_id.hex(),
            "own": event.own,
        }
    if isinstance(event, ev.ConnectionChanged):
        return {
            "type": "connection",
            "state": event.status.state.value,
            "reason": event.status.reason,
        }
    if isinstance(event, ev.Locked):
        return {"type": "locked", "reason": event.reason.value}
    if isinstance(event, ev.Unlocked):
        return {"type": "unlocked"}
    if isinstance(event, ev.EngineError):
        return {"type": "error", "message": event.text, "what": event.what}
    if isinstance(event, ev.MessageRequestReceived | ev.MessageRequestChanged):
        return request_event_json(event)
    if isinstance(event, VERIFICATION_EVENTS):
        return verification_event_json(event, names)
    if isinstance(event, ev.ReceivingChanged):
        return {"type": "receiving", "paused": event.paused, "what": event.what,
                "reason": event.reason}  # fmt: skip
    return None


def request_event_json(event: ev.MessageRequestReceived | ev.MessageRequestChanged) -> Json:
    if isinstance(event, ev.MessageRequestReceived):
        return {"type": "message_request", "identity_id": event.identity_id.hex()}
    return {
        "type": "message_request_changed",
        "identity_id": event.identity_id.hex(),
        "outcome": event.outcome,
    }


VERIFICATION_EVENTS = (
    ev.VerificationRequested, ev.VerificationCodes, ev.VerificationDone, ev.IdentityAlertChanged,
)  # fmt: skip


def alert_json(alert: IdentityAlert | None) -> Json:
    if alert is None:
        return None
    return {"kind": alert.kind, "at": alert.at, "detail": alert.detail, "held": alert.held}


def verification_event_json(event: ev.Event, names: Names) -> Json | None:
    if isinstance(event, ev.VerificationRequested):
        return {
            "type": "verification_requested", "tx": event.tx.hex(),
            "identity_id": event.identity_id.hex(), "name": names.person(event.identity_id),
            "device_id": event.device_id.hex(), "accepted": event.accepted,
        }  # fmt: skip
    if isinstance(event, ev.VerificationCodes):
        return {
            "type": "verification_codes", "tx": event.tx.hex(),
            "identity_id": event.identity_id.hex(),
            "emoji": [[e, name] for e, name in event.emoji], "decimals": list(event.decimals),
        }  # fmt: skip
    if isinstance(event, ev.VerificationDone):
        return {
            "type": "verification_done", "tx": event.tx.hex(),
            "identity_id": event.identity_id.hex(), "outcome": event.outcome,
            "reason": event.reason,
        }  # fmt: skip
    if isinstance(event, ev.IdentityAlertChanged):
        return {
            "type": "identity_alert", "identity_id": event.identity_id.hex(),
            "name": names.person(event.identity_id), "alert": alert_json(event.alert),
        }  # fmt: skip
    return None
