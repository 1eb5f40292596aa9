"""Relay links with a fault built in, wrapped around the real WebSocketLink."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from keybound.client.link import (
    DeliverHandler,
    KeyStatus,
    LinkStatus,
    OnlineHandler,
    RelayLink,
    StatusHandler,
)
from keybound.client.messenger import LinkRequest, websocket_link
from keybound.wire.frames import (
    ClaimedKey,
    ClaimedPqKey,
    DeviceAddress,
    Outgoing,
    SignedKey,
    SignedPqKey,
)


class Delegate(RelayLink):
    """Passes everything to the real link; subclasses override what they break."""

    def __init__(self, request: LinkRequest) -> None:
        self.inner = websocket_link(request)

    async def start(
        self, on_deliver: DeliverHandler, on_status: StatusHandler, on_online: OnlineHandler
    ) -> None:
        await self.inner.start(on_deliver, on_status, on_online)

    async def close(self) -> None:
        await self.inner.close()

    @property
    def status(self) -> LinkStatus:
        return self.inner.status

    async def wait_online(self, timeout: float) -> None:
        await self.inner.wait_online(timeout)

    async def publish_identity(self, documents: Sequence[bytes]) -> None:
        await self.inner.publish_identity(documents)

    async def fetch_identity(self, identity_id: bytes, after_version: int = -1) -> list[bytes]:
        return await self.inner.fetch_identity(identity_id, after_version)

    async def find_identity(self, token_id: bytes) -> list[bytes]:
        return await self.inner.find_identity(token_id)

    async def publish_keys(
        self, one_time: Sequence[SignedKey], fallback: SignedKey | None
    ) -> KeyStatus:
        return await self.inner.publish_keys(one_time, fallback)

    async def claim_keys(self, devices: Sequence[DeviceAddress]) -> list[ClaimedKey]:
        return await self.inner.claim_keys(devices)

    async def publish_pq_keys(
        self, one_time: Sequence[SignedPqKey], last_resort: SignedPqKey | None
    ) -> KeyStatus:
        return await self.inner.publish_pq_keys(one_time, last_resort)

    async def claim_pq_keys(self, devices: Sequence[DeviceAddress]) -> list[ClaimedPqKey]:
        return await self.inner.claim_pq_keys(devices)

    async def send(self, messages: Sequence[Outgoing]) -> None:
        await self.inner.send(messages)

    async def ack(self, queue_ids: Sequence[int]) -> None:
        await self.inner.ack(queue_ids)

    async def upload_blob(
        self,
        chunks: Callable[[], Awaitable[bytes]],
        size: int,
        sha256: bytes,
        progress: Callable[[int], None] | None = None,
    ) -> bytes:
        return await self.inner.upload_blob(chunks, size, sha256, progress)

    async def download_blob(
        self,
        blob_id: bytes,
        sink: Callable[[bytes], Awaitable[None]],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        return await self.inner.download_blob(blob_id, sink, progress)


class NoAcks(Delegate):
    """Commits happen, acknowledgements never reach the relay: as if the process died
    right after its commit, before the ``ack``."""

    dropped = 0

    async def ack(self, queue_ids: Sequence[int]) -> None:
        NoAcks.dropped += len(queue_ids)
