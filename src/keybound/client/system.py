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

from keybound.protocol.ids import message_id_time
from keybound.store.models import SYSTEM_CONTENT_TYPE, Message, MessageStatus
from keybound.store.system_lines import (
    SystemEvent,
    SystemKind,
    SystemNotice,
    describe,
    notice,
    timer_text,
)

SYSTEM = SYSTEM_CONTENT_TYPE  # Message.content_type of a system line


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


__all__ = [
    "SYSTEM", "SystemEvent", "SystemKind", "SystemNotice", "describe", "event_of", "notice",
    "row", "timer_text",
]  # fmt: skip
