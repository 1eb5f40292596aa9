"""Rate limits (token buckets per key) and connection counting.

Pure bookkeeping with an injectable clock, so the tests can drive time.  A
bucket refills continuously; a request that finds too few tokens is refused
with the time until enough would be there, which the server passes on as
``retry_after_ms``.  Buckets of keys not seen for a while are forgotten
(least recently used first) so an address sweep cannot grow memory without
bound; a forgotten bucket comes back full, which errs on the side of the
person, not the attacker's memory bill.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable

from keybound.relay.config import RateSpec

Clock = Callable[[], float]


class TokenBucket:
    __slots__ = ("_burst", "_rate", "_stamp", "_tokens")

    def __init__(self, spec: RateSpec, now: float) -> None:
        self._rate = spec.rate
        self._burst = spec.burst
        self._tokens = spec.burst
        self._stamp = now

    def take(self, cost: float, now: float) -> float:
        """Spend ``cost`` tokens; 0.0 when allowed, else seconds until it would be."""
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        if cost > self._burst:  # would never fit: refuse for the time a full bucket takes
            return self._burst / self._rate if self._rate > 0 else 3600.0
        if self._tokens >= cost:
            self._tokens -= cost
            return 0.0
        if self._rate <= 0:
            return 3600.0
        return (cost - self._tokens) / self._rate


class RateLimiter:
    """One token bucket per key (a device, an IP address), bounded in number."""

    def __init__(self, spec: RateSpec, *, max_keys: int = 100_000, clock: Clock | None = None):
        self._spec = spec
        self._max_keys = max_keys
        self._clock = clock or time.monotonic
        self._buckets: OrderedDict[Hashable, TokenBucket] = OrderedDict()

    def take(self, key: Hashable, cost: float = 1.0) -> float:
        """0.0 when allowed, else seconds to wait before retrying."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self._spec, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket.take(cost, now)

    def __len__(self) -> int:
        return len(self._buckets)


class ConnectionCounter:
    """Open connections in total and per IP address, against their caps."""

    def __init__(self, max_total: int, max_per_ip: int) -> None:
        self.max_total = max_total
        self.max_per_ip = max_per_ip
        self._per_ip: Counter[str] = Counter()
        self.total = 0

    def refusal(self, ip: str) -> str | None:
        """Why a new connection from ``ip`` must be refused, or None."""
        if self.total >= self.max_total:
            return "the relay is at its connection limit"
        if self._per_ip[ip] >= self.max_per_ip:
            return "too many connections from this address"
        return None

    def add(self, ip: str) -> None:
        self.total += 1
        self._per_ip[ip] += 1

    def remove(self, ip: str) -> None:
        self.total -= 1
        self._per_ip[ip] -= 1
        if self._per_ip[ip] <= 0:
            del self._per_ip[ip]

    def count(self, ip: str) -> int:
        return self._per_ip[ip]
