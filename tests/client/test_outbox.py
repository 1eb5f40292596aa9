"""The outbox's decisions as plain functions: order per device, frames, refusals, status."""

from __future__ import annotations

import pytest

from keybound.client.outbox import (
    Backoff,
    Outcome,
    QueuedEnvelope,
    advance,
    batches,
    outcome,
    sendable,
)
from keybound.store.models import MessageStatus
from keybound.wire.frames import DeviceAddress

A = DeviceAddress(b"a" * 32, b"1")
B = DeviceAddress(b"b" * 32, b"1")
NOW = 1_000_000


def env(
    i: int, to: DeviceAddress, at: int = 0, size: int = 10, attempts: int = 0
) -> QueuedEnvelope:
    return QueuedEnvelope(i, bytes(16), to, b"x" * size, attempts, at, NOW - 1000)


def test_a_waiting_envelope_holds_back_later_ones_for_the_same_device_only() -> None:
    queue = [env(1, A), env(2, B, at=NOW + 5000), env(3, A), env(4, B), env(5, A)]
    assert [e.id for e in sendable(queue, NOW)] == [1, 3, 5]
    assert [e.id for e in sendable(queue, NOW + 5000)] == [1, 2, 3, 4, 5]


def test_batches_respect_item_and_byte_limits_and_keep_order() -> None:
    queue = [env(i, A, size=100) for i in range(10)]
    got = batches(queue, max_items=4, max_bytes=10_000)
    assert [[e.id for e in b] for b in got] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    got = batches(queue, max_items=100, max_bytes=700)  # 260 bytes each with overhead
    assert [len(b) for b in got] == [2, 2, 2, 2, 2]
    assert batches([env(1, A, size=5000)], max_bytes=100) == [[env(1, A, size=5000)]]


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = Backoff(base_ms=1000, cap_ms=8000, jitter=0.25)
    assert [policy.delay_ms(n, 0.5) for n in range(6)] == [1000, 2000, 4000, 8000, 8000, 8000]
    assert policy.delay_ms(0, 0.0) == 750 and policy.delay_ms(0, 0.999) == 1249


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("not_found", Outcome.DROP),
        ("queue_full", Outcome.RETRY),
        ("rate_limited", Outcome.RETRY),
        ("too_large", Outcome.FAIL),
        ("malformed", Outcome.FAIL),
        ("something_new", Outcome.RETRY),
    ],
)
def test_what_a_refusal_means(code: str, expected: Outcome) -> None:
    decision = outcome(code, env(1, A), NOW, Backoff())
    assert decision.outcome is expected
    assert decision.reason  # a sentence for the person


def test_a_refusal_past_the_give_up_time_fails_with_its_reason() -> None:
    policy = Backoff(give_up_ms=500)
    decision = outcome("queue_full", env(1, A), NOW, policy)
    assert decision.outcome is Outcome.FAIL
    assert "full" in decision.reason


def test_status_only_moves_forward() -> None:
    S = MessageStatus
    assert advance(S.SENDING, S.SENT) and advance(S.SENT, S.DELIVERED)
    assert advance(S.SENDING, S.READ)  # a receipt may overtake the relay's "sent"
    assert not advance(S.READ, S.DELIVERED) and not advance(S.DELIVERED, S.SENT)
    assert advance(S.SENDING, S.FAILED) and not advance(S.SENT, S.FAILED)
    assert advance(S.FAILED, S.DELIVERED) and not advance(S.FAILED, S.SENT)
    assert not advance(S.RECEIVED, S.READ)
