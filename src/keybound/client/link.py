"""What the engine needs from the relay connection.

The engine (``messenger``) programs against :class:`RelayLink`; the
WebSocket implementation lives in ``connection``.  Keeping this seam small
lets engine tests script the relay's answers when they test engine logic,
while integration tests use the real relay process.

Every method raises :class:`~keybound.errors.RelayUnavailable` when the relay
cannot be reached or the connection drops before the reply (the caller
retries later; nothing is lost), and :class:`~keybound.errors.RelayRefused`
carrying the relay's error code when the relay answered with an error.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from keybound.wire.frames import (
    ClaimedKey,
    ClaimedPqKey,
    DeviceAddress,
    Incoming,
    Outgoing,
    SignedKey,
    SignedPqKey,
)


class LinkState(enum.StrEnum):
    DISCONNECTED = "disconnected"  # not trying (locked, closed)
    CONNECTING = "connecting"  # trying, or waiting to retry after a failure
    ONLINE = "online"  # authenticated; requests flow
    CLOSED = "closed"  # for good


@dataclass(frozen=True)
class LinkStatus:
    state: LinkState
    retry_in_ms: int | None = None  # when CONNECTING after a failure
    reason: str = ""  # why the last attempt failed, for people


@dataclass(frozen=True)
class KeyStatus:
    """What the relay says about our published keys, so we can top them up."""

    one_time_keys_left: int
    has_fallback_key: bool


# Called on the event loop for every pushed batch; the engine acknowledges
# (``ack``) only after committing what it stored.
DeliverHandler = Callable[[Sequence[Incoming]], Awaitable[None]]
StatusHandler = Callable[[LinkStatus], None]
# Called after each (re)authentication with the key counts the relay reported.
OnlineHandler = Callable[[KeyStatus], Awaitable[None]]


class RelayLink(ABC):
    @abstractmethod
    async def start(
        self, on_deliver: DeliverHandler, on_status: StatusHandler, on_online: OnlineHandler
    ) -> None:
        """Connect in the background and keep reconnecting (with backoff) until ``close``."""

    @abstractmethod
    async def close(self) -> None: ...

    @property
    @abstractmethod
    def status(self) -> LinkStatus: ...

    @property
    def certificate_fingerprint(self) -> str:
        """SHA-256 of the certificate the relay showed on the last connection (``AB:CD:..``);
        "" without TLS or before the first connection."""
        return ""

    @abstractmethod
    async def wait_online(self, timeout: float) -> None:
        """Return once authenticated; RelayUnavailable after ``timeout`` seconds."""

    # --- directory ---

    @abstractmethod
    async def publish_identity(self, documents: Sequence[bytes]) -> None:
        """The whole chain from genesis (allowed before authentication, for sign-up)."""

    @abstractmethod
    async def fetch_identity(self, identity_id: bytes, after_version: int = -1) -> list[bytes]: ...

    @abstractmethod
    async def find_identity(self, token_id: bytes) -> list[bytes]:
        """The chain of the identity whose current token set holds ``token_id``."""

    @abstractmethod
    async def publish_keys(
        self, one_time: Sequence[SignedKey], fallback: SignedKey | None
    ) -> KeyStatus: ...

    @abstractmethod
    async def claim_keys(self, devices: Sequence[DeviceAddress]) -> list[ClaimedKey]: ...

    @abstractmethod
    async def publish_pq_keys(
        self, one_time: Sequence[SignedPqKey], last_resort: SignedPqKey | None
    ) -> KeyStatus:
        """Add ML-KEM prekeys (none: just ask); ``has_fallback_key``: a last-resort key is held."""

    @abstractmethod
    async def claim_pq_keys(self, devices: Sequence[DeviceAddress]) -> list[ClaimedPqKey]: ...

    # --- messages ---

    @abstractmethod
    async def send(self, messages: Sequence[Outgoing]) -> None:
        """Returns once the relay stored every message durably."""

    @abstractmethod
    async def ack(self, queue_ids: Sequence[int]) -> None: ...

    # --- blobs ---

    @abstractmethod
    async def upload_blob(
        self,
        chunks: Callable[[], Awaitable[bytes]],
        size: int,
        sha256: bytes,
        progress: Callable[[int], None] | None = None,
    ) -> bytes:
        """Upload ``size`` bytes, read by calling ``chunks`` until b""; return the blob id."""

    @abstractmethod
    async def download_blob(
        self,
        blob_id: bytes,
        sink: Callable[[bytes], Awaitable[None]],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Stream the blob to ``sink`` chunk by chunk; return its size."""
