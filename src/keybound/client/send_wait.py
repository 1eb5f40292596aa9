"""Waiting for the relay to take a message, and saying why it has not.

A send that the relay refuses because the recipient's queue is full is not
"the relay cannot be reached": the relay answered.  The outbox keeps the
envelope and retries it (``outbox.outcome``); this wait notices the refusal
as soon as it is recorded and raises :class:`RecipientInboxFull` naming the
people whose inbox is full, instead of timing out into "queued, relay
unreachable".
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from keybound.client.values import MessageStatus
from keybound.errors import RecipientInboxFull, UserFacingError

if TYPE_CHECKING:
    from keybound.client.messenger import Messenger

POLL_S = 0.2  # how often the outbox is looked at while waiting


async def wait_sent(m: Messenger, message_id: bytes, timeout: float) -> MessageStatus:
    """The message's status once the relay stored it (or later, or failed), or
    ``SENDING`` after ``timeout``; raises :class:`RecipientInboxFull` when the
    relay refused it for a full inbox (the message stays queued)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = max(0.0, deadline - loop.time())
        status = await m.wait_status(message_id, MessageStatus.SENT, min(POLL_S, left))
        if status is not MessageStatus.SENDING:
            return status
        full = await m.full_inboxes(message_id)
        if full:
            raise RecipientInboxFull([await _name(m, identity_id) for identity_id in full])
        if left <= 0:
            return status


async def _name(m: Messenger, identity_id: bytes) -> str:
    if identity_id == m.identity_id:
        return "your other devices"
    try:
        return (await m.contact(identity_id)).display_name
    except UserFacingError:  # not (or no longer) a contact
        return "the recipient"
