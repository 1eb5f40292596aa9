"""State shared by every connection of one relay process (no sockets here).

- which device is connected to which session (one per device: a new
  connection replaces the old one), and the storage wakeup that pokes it;
- the identity directory (verified chains, cached by head) and a short-lived
  cache of each identity's active devices for checking send recipients;
- rate limiters per device and per IP, connection counts, metrics;
- the periodic expiry sweep.

Wakeups may come from a storage thread (SQLite writer, PostgreSQL listener):
they are handed to the event loop with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from keybound.relay.config import RelayConfig
from keybound.relay.directory import ChainRejected, Directory, VerifiedChain
from keybound.relay.limits import ConnectionCounter, RateLimiter
from keybound.relay.logs import log_event
from keybound.relay.metrics import RelayMetrics
from keybound.relay.storage.base import RelayStorage
from keybound.wire.frames import DeviceAddress

log = logging.getLogger("keybound.relay")


class Pokeable(Protocol):
    """What the core needs of a session: wake its delivery, or send it away."""

    def wake(self) -> None: ...

    def replace(self) -> None: ...


class RelayCore:
    """One per process; sessions hold a reference to it."""

    def __init__(
        self,
        storage: RelayStorage,
        config: RelayConfig,
        metrics: RelayMetrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self.config = config
        self.metrics = metrics or RelayMetrics()
        self.clock = clock
        self.directory = Directory(config.identity_cache_size)
        self.device_limiter = RateLimiter(config.device_rate)
        self.ip_limiter = RateLimiter(config.ip_rate)
        self.unauth_limiter = RateLimiter(config.unauthenticated_ip_rate)
        self.connections = ConnectionCounter(config.max_connections, config.max_connections_per_ip)
        self.preauth = ConnectionCounter(  # the open connections not yet authenticated
            config.max_preauth_connections, config.max_preauth_connections_per_ip
        )
        self._sessions: dict[DeviceAddress, Pokeable] = {}
        # called with a session the moment it authenticated, before it is told
        # (the server lifts its pre-authentication limits there)
        self.authenticated_hook: Callable[[Any], None] = lambda session: None
        self._recipients: OrderedDict[bytes, tuple[float, frozenset[bytes]]] = OrderedDict()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._expiry: asyncio.Task[None] | None = None
        self.healthy = False

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # --- lifecycle ---

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        await self.storage.start(self._wakeup, self._resync)
        self._expiry = asyncio.create_task(self._expire_forever(), name="relay-expiry")
        self.healthy = True

    async def close(self) -> None:
        self.healthy = False
        if self._expiry is not None:
            self._expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._expiry
        await self.storage.close()

    async def _expire_forever(self) -> None:
        while True:
            try:
                removed = await self.storage.expire(self.now_ms())
                if removed:
                    self.metrics.expired.inc(removed)
                    log_event(log, "expired", count=removed)
            except Exception as exc:  # the database may be away for a moment
                log_event(log, "expiry_failed", level=logging.WARNING, error=type(exc).__name__)
            await asyncio.sleep(self.config.expiry_interval_s)

    # --- connected devices ---

    def register(self, device: DeviceAddress, session: Pokeable) -> None:
        old = self._sessions.get(device)
        self._sessions[device] = session
        if old is not None and old is not session:
            old.replace()
        self.metrics.authenticated.set(len(self._sessions))

    def unregister(self, device: DeviceAddress, session: Pokeable) -> None:
        if self._sessions.get(device) is session:
            del self._sessions[device]
        self.metrics.authenticated.set(len(self._sessions))

    def session_of(self, device: DeviceAddress) -> Pokeable | None:
        return self._sessions.get(device)

    def _wakeup(self, device: DeviceAddress) -> None:
        if self._loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._poke(device)
        else:
            with contextlib.suppress(RuntimeError):  # loop closed during shutdown
                self._loop.call_soon_threadsafe(self._poke, device)

    def _resync(self) -> None:
        """Wakeups may have been lost (listener reconnected): check every queue."""
        if self._loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._wake_all()
        else:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._wake_all)

    def _wake_all(self) -> None:
        for session in list(self._sessions.values()):
            session.wake()

    def _poke(self, device: DeviceAddress) -> None:
        session = self._sessions.get(device)
        if session is not None:
            session.wake()

    # --- identities ---

    async def chain(self, identity_id: bytes) -> VerifiedChain | None:
        """The stored chain of ``identity_id``, verified (cached by head)."""
        stored = await self.storage.get_chain(identity_id)
        if stored is None or not stored.documents:
            return None
        return self.directory.verified(stored.documents, int(self.clock()))

    async def active_devices(self, identity_id: bytes) -> frozenset[bytes]:
        """Devices that may receive messages; cached briefly (another node may
        append a document, so entries live ``identity_cache_ttl_s``)."""
        now = self.clock()
        hit = self._recipients.get(identity_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            chain = await self.chain(identity_id)
        except ChainRejected:  # a stored chain that no longer verifies: nobody home
            chain = None
        if chain is None:
            return frozenset()
        devices = self.directory.active_devices(chain, int(now))
        self.note_devices(identity_id, devices)
        return devices

    def note_devices(self, identity_id: bytes, devices: frozenset[bytes]) -> None:
        self._recipients[identity_id] = (self.clock() + self.config.identity_cache_ttl_s, devices)
        self._recipients.move_to_end(identity_id)
        while len(self._recipients) > self.config.identity_cache_size:
            self._recipients.popitem(last=False)

    def drop_removed_devices(self, identity_id: bytes, active: frozenset[bytes]) -> None:
        """Disconnect this node's sessions of devices the new head no longer certifies."""
        for device, session in list(self._sessions.items()):
            if device.identity_id == identity_id and device.device_id not in active:
                log_event(log, "device_removed_disconnected")
                session.replace()
