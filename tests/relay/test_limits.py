"""Token buckets and connection counting, on a clock the test drives."""

from __future__ import annotations

from keybound.relay.config import RateSpec
from keybound.relay.limits import ConnectionCounter, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(RateSpec(rate=2.0, burst=4.0), clock=clock)
    assert [limiter.take("a") for _ in range(4)] == [0.0] * 4
    assert limiter.take("a") == 0.5  # one token comes back every half second
    assert limiter.take("b") == 0.0  # keys are independent
    clock.now += 0.5
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0
    clock.now += 100  # refills only up to the burst
    assert [limiter.take("a") for _ in range(5)][-1] > 0


def test_costs_larger_than_the_burst_are_refused_with_a_finite_wait() -> None:
    limiter = RateLimiter(RateSpec(rate=10.0, burst=5.0), clock=Clock())
    assert limiter.take("a", cost=6) == 0.5
    assert limiter.take("a", cost=5) == 0.0


def test_forgotten_keys_are_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(RateSpec(rate=1.0, burst=1.0), max_keys=3, clock=clock)
    for key in "abcde":
        limiter.take(key)
    assert len(limiter) == 3


def test_connection_counter_caps_total_and_per_ip() -> None:
    counter = ConnectionCounter(max_total=3, max_per_ip=2)
    counter.add("1.1.1.1")
    counter.add("1.1.1.1")
    assert counter.refusal("1.1.1.1") == "too many connections from this address"
    assert counter.refusal("2.2.2.2") is None
    counter.add("2.2.2.2")
    assert counter.refusal("3.3.3.3") == "the relay is at its connection limit"
    counter.remove("1.1.1.1")
    assert counter.refusal("1.1.1.1") is None and counter.count("1.1.1.1") == 1
