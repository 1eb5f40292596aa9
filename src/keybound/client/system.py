"""System lines in the history: "Alice added Carol", "Bob left", "Disappearing messages: 1 day".

A group's membership, name and a conversation's timer change through protocol
messages that carry no text of their own.  So that everyone sees in the
timeline who changed what and when, the engine stores each change as a
history row of content type :data:`SYSTEM`, filed under the message ID of the
protocol message that made the change: the person who made it writes the row
when acting, everyone else (and their other devices) when the message
arrives, and the ID makes the two the same row (a repeat is a duplicate).

The row's body is the change itself, as a small JSON object (people's IDs,
not their names: names change and are looked up when the line is drawn), so
it travels in backups and exports like any row.  :class:`SystemNotice` pairs
an event with the names to draw it; :func:`describe` is the English sentence
the CLI prints (the app builds its own, translated, from the same fields).
System rows never expire, get no receipts and are left out of search.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass

from keybound.protocol.ids import message_id_time
from keybound.store.models import SYSTEM_CONTENT_TYPE, Message, MessageStatus

SYSTEM = SYSTEM_CONTENT_TYPE  # Message.content_type of a system line


class SystemKind(enum.StrEnum):
    CREATED = "created"  # actor created the group (name)
    ADDED = "added"  # actor added subjects
    REMOVED = "removed"  # actor removed subjects
    LEFT = "left"  # actor left
    RENAMED = "renamed"  # actor renamed the group (name)
    TIMER = "timer"  # actor set the disappearing timer (seconds; 0: off)


@dataclass(frozen=True)
class SystemEvent:
    kind: SystemKind
    actor: bytes
    subjects: tuple[bytes, ...] = ()
    name: str = ""
    seconds: int = 0

    def encode(self) -> str:
        out: dict[str, object] = {"kind": self.kind.value, "actor": self.actor.hex()}
        if self.subjects:
            out["subjects"] = [s.hex() for s in self.subjects]
        if self.kind in (SystemKind.CREATED, SystemKind.RENAMED):
            out["name"] = self.name
        if self.kind is SystemKind.TIMER:
            out["seconds"] = self.seconds
        return json.dumps(out, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, body: str | None) -> SystemEvent | None:
        """The event in a system row's body (None for a body this version cannot read)."""
        try:
            raw = json.loads(body or "")
            kind = SystemKind(raw["kind"])
            actor = bytes.fromhex(raw["actor"])
            subjects = tuple(bytes.fromhex(s) for s in raw.get("subjects", ()))
            name = raw.get("name", "")
            seconds = raw.get("seconds", 0)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if not isinstance(name, str) or not isinstance(seconds, int):
            return None
        return cls(kind, actor, subjects, name, seconds)


@dataclass(frozen=True)
class SystemNotice:
    """A system line with the names it is drawn with ("" means us)."""

    event: SystemEvent
    actor_name: str
    subject_names: tuple[str, ...] = ()


def row(
    event: SystemEvent,
    *,
    message_id: bytes,
    conversation_id: bytes,
    sender_device: bytes,
    outgoing: bool,
    received_at: int | None,
) -> Message:
    """The history row for ``event`` (sent at the time in its message ID)."""
    return Message(
        message_id=message_id,
        conversation_id=conversation_id,
        sender_identity=event.actor,
        sender_device=sender_device,
        outgoing=outgoing,
        sent_at=message_id_time(message_id),
        body=event.encode(),
        content_type=SYSTEM,
        received_at=received_at,
        status=MessageStatus.SENT if outgoing else MessageStatus.RECEIVED,
    )


def event_of(message: Message) -> SystemEvent | None:
    return SystemEvent.decode(message.body) if message.content_type == SYSTEM else None


def notice(event: SystemEvent, name: Callable[[bytes], str]) -> SystemNotice:
    """``event`` with names from ``name`` (which answers "" for us)."""
    return SystemNotice(event, name(event.actor), tuple(name(s) for s in event.subjects))


def timer_text(seconds: int) -> str:
    """A timer as people say it: "5 minutes", "1 day" (English; the app translates its own)."""
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return f"{seconds} second" + ("s" if seconds != 1 else "")


def describe(n: SystemNotice) -> str:
    """The English sentence for a system line (the CLI's history)."""
    e = n.event
    who = n.actor_name or "You"
    them = ", ".join(s or "you" for s in n.subject_names) or "nobody"
    match e.kind:
        case SystemKind.CREATED:
            return f"{who} created the group “{e.name}”"
        case SystemKind.ADDED:
            return f"{who} added {them}"
        case SystemKind.REMOVED:
            return f"{who} removed {them}"
        case SystemKind.LEFT:
            return f"{who} left" if n.actor_name else "You left"
        case SystemKind.RENAMED:
            return f"{who} renamed the group to “{e.name}”"
        case SystemKind.TIMER:
            if e.seconds <= 0:
                return f"{who} turned disappearing messages off"
            return f"{who} set disappearing messages to {timer_text(e.seconds)}"
    return f"{who} changed the conversation"  # pragma: no cover - exhaustive above
