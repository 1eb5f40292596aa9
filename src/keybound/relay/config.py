"""Every knob of the relay in one frozen value, with defaults for a small community.

The command line (``main.py``) fills it in; the session, the server and the
limiters only read it.  Storage caps live in :class:`storage.base.Limits`
because the backend enforces them atomically with the write.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from keybound.relay.storage.base import Limits
from keybound.wire import frames


@dataclass(frozen=True)
class RateSpec:
    """A token bucket: ``rate`` tokens per second, at most ``burst`` saved up."""

    rate: float
    burst: float


@dataclass(frozen=True)
class RelayConfig:
    name: str = "keybound-relay"
    storage: Limits = field(default_factory=Limits)
    # connections
    max_connections: int = 10_000
    max_connections_per_ip: int = 200
    # before authentication: what one connection may hold, and how many may wait
    max_preauth_connections: int = 500
    max_preauth_connections_per_ip: int = 32
    preauth_max_frame_size: int = 256 * 1024  # a whole identity chain fits (publish_identity)
    handshake_timeout_s: float = 10.0  # TCP accept -> WebSocket open (TLS + HTTP upgrade)
    auth_timeout_s: float = 10.0  # challenge -> authenticated
    idle_timeout_s: float = 300.0  # no complete frame from the client for this long
    ping_interval_s: float | None = 60.0  # WebSocket pings that find dead peers
    max_frame_size: int = frames.MAX_FRAME_SIZE
    max_bad_frames: int = 3  # malformed frames before the relay hangs up
    # rate limits (frames of any kind; sends count once per recipient)
    device_rate: RateSpec = RateSpec(rate=200.0, burst=2000.0)
    ip_rate: RateSpec = RateSpec(rate=1000.0, burst=5000.0)
    # connects, publishes and finds before authentication
    unauthenticated_ip_rate: RateSpec = RateSpec(rate=5.0, burst=50.0)
    # delivery
    delivery_page: int = 100  # messages per pushed deliver frame
    delivery_window: int = 500  # delivered but unacknowledged messages per connection
    delivery_window_bytes: int = 4 * 1024 * 1024
    max_fetch: int = 500
    # identity cache (verified device sets, keyed by chain head)
    identity_cache_size: int = 10_000
    identity_cache_ttl_s: float = 5.0  # another node may have appended a document
    expiry_interval_s: float = 60.0
