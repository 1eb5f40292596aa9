"""The outbox's decisions, without I/O: what to send next, and what a reply means.

The durable queue itself is two tables (``queues``); the flusher task in the
messenger moves envelopes from there to the relay.  Every choice it makes is
a function here, so tests can check it with plain values:

- :func:`sendable`: which pending envelopes may go now.  An envelope whose
  retry time has not come holds back every later envelope for the same device,
  so each device receives one sender's messages in the order they were sent.
- :func:`batches`: pack envelopes into ``send`` frames under the relay's limits.
- :func:`outcome`: what a relay refusal means for an envelope: retry later
  with backoff, drop it (the device no longer exists), or give up with a
  reason a person can read.
- :func:`advance`: message status only moves forward
  (sending -> sent -> delivered -> read); failed is final until a retry.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from keybound.store.models import MessageStatus
from keybound.wire.frames import MAX_FRAME_SIZE, MAX_ITEMS, DeviceAddress, ErrorCode

FRAME_BUDGET = MAX_FRAME_SIZE - 16 * 1024  # room for the frame's own encoding
ENVELOPE_OVERHEAD = 160  # CBOR keys and the address around each payload


@dataclass(frozen=True)
class QueuedEnvelope:
    """One outbox row: an encrypted envelope for one device."""

    id: int
    message_id: bytes | None
    recipient: DeviceAddress
    payload: bytes = field(repr=False)
    attempts: int
    next_attempt_at: int
    created_at: int


@dataclass(frozen=True)
class Backoff:
    """Retry delays: exponential from ``base_ms``, capped, jittered; give up at ``give_up_ms``."""

    base_ms: int = 1_000
    cap_ms: int = 5 * 60_000
    jitter: float = 0.2
    give_up_ms: int = 7 * 24 * 3600_000

    def delay_ms(self, attempts: int, unit: float) -> int:
        """Delay before attempt ``attempts + 1``; ``unit`` is a random number in [0, 1)."""
        raw = min(self.cap_ms, self.base_ms * (2 ** min(attempts, 30)))
        return int(raw * (1 - self.jitter + 2 * self.jitter * unit))


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # keep it, try again after a backoff
    DROP = "drop"  # nothing to deliver to any more: remove without failing the message
    FAIL = "fail"  # give up; the message shows as failed with the reason


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str = ""


# The reason kept on an envelope the relay refused with ``queue_full`` (the
# outbox looks for it to tell a person why a message waits: Queues.full_inboxes).
INBOX_FULL = "The recipient's inbox on the relay is full."

REASONS = {
    ErrorCode.QUEUE_FULL: INBOX_FULL,
    ErrorCode.TOO_LARGE: "The message is too large for the relay.",
    ErrorCode.MALFORMED: "The relay could not read the message.",
    ErrorCode.FORBIDDEN: "The relay refused the message.",
    ErrorCode.RATE_LIMITED: "The relay asked us to slow down.",
}


def outcome(code: str, envelope: QueuedEnvelope, now: int, policy: Backoff) -> Decision:
    """What a refusal of ``envelope`` alone (sent by itself) means."""
    if code == ErrorCode.NOT_FOUND:
        return Decision(Outcome.DROP, "The recipient's device no longer exists.")
    known = {c.value: c for c in ErrorCode}
    reason = REASONS.get(known.get(code, ErrorCode.INTERNAL), "")
    reason = reason or f"The relay refused the message ({code})."
    if code in (ErrorCode.TOO_LARGE, ErrorCode.MALFORMED, ErrorCode.FORBIDDEN):
        return Decision(Outcome.FAIL, reason)
    if now - envelope.created_at >= policy.give_up_ms:
        return Decision(Outcome.FAIL, reason)
    return Decision(Outcome.RETRY, reason)


def sendable(pending: Sequence[QueuedEnvelope], now: int) -> list[QueuedEnvelope]:
    """The due envelopes, in queue order, that no earlier waiting envelope holds back."""
    held: set[DeviceAddress] = set()
    out = []
    for env in pending:
        if env.recipient in held:
            continue
        if env.next_attempt_at > now:
            held.add(env.recipient)
            continue
        out.append(env)
    return out


def batches(
    envelopes: Iterable[QueuedEnvelope], max_items: int = MAX_ITEMS, max_bytes: int = FRAME_BUDGET
) -> list[list[QueuedEnvelope]]:
    """Split into ``send`` frames: at most ``max_items`` envelopes and ``max_bytes`` each."""
    out: list[list[QueuedEnvelope]] = []
    current: list[QueuedEnvelope] = []
    size = 0
    for env in envelopes:
        cost = len(env.payload) + ENVELOPE_OVERHEAD
        if current and (len(current) >= max_items or size + cost > max_bytes):
            out.append(current)
            current, size = [], 0
        current.append(env)
        size += cost
    if current:
        out.append(current)
    return out


_RANK = {
    MessageStatus.SENDING: 0,
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.READ: 3,
}


def advance(current: MessageStatus, new: MessageStatus) -> bool:
    """True when an outgoing message at ``current`` should move to ``new``."""
    if current is MessageStatus.RECEIVED or new is MessageStatus.RECEIVED:
        return False
    if new is MessageStatus.FAILED:
        return current is MessageStatus.SENDING
    if current is MessageStatus.FAILED:
        return new in (MessageStatus.DELIVERED, MessageStatus.READ)  # it arrived after all
    return _RANK[new] > _RANK[current]
