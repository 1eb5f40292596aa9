"""What the relay needs from durable storage, whichever backend holds it.

The relay's logic (auth, limits, push) lives in the server; a backend only
stores and hands out.  Both backends (embedded SQLite, shared PostgreSQL)
give the same guarantees, checked by one test suite:

- ``enqueue`` returns only when every message is durable for every recipient;
  a crash after it returns loses nothing.
- A one-time key is handed out at most once, across all relay nodes.
- Per recipient device, messages come out in the order they were enqueued;
  ``queue_id`` increases along that order.
- Every hot-path operation touches one device's rows only (sharding by
  device stays possible).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from keybound.errors import KeyboundError
from keybound.wire.frames import DeviceAddress, Incoming, SignedKey, SignedPqKey


@dataclass(frozen=True)
class Limits:
    """Per-device caps the backend enforces atomically with the write."""

    max_queue_messages: int = 10_000
    max_queue_bytes: int = 256 * 1024 * 1024
    # What one sender device may have waiting for one recipient device: a
    # stranger who knows an address cannot fill the whole queue alone, so the
    # recipient's contacts still get through.
    max_sender_messages: int = 2_000
    max_sender_bytes: int = 64 * 1024 * 1024
    message_ttl_ms: int = 30 * 24 * 3600 * 1000
    max_blob_size: int = 100 * 1024 * 1024
    blob_quota_bytes: int = 1024 * 1024 * 1024
    blob_ttl_ms: int = 30 * 24 * 3600 * 1000
    # An upload that is never finished gives its reserved quota back after this.
    upload_ttl_ms: int = 24 * 3600 * 1000


@dataclass(frozen=True)
class QueuedMessage:
    """One ciphertext for one recipient device."""

    recipient: DeviceAddress
    payload: bytes = field(repr=False)


@dataclass(frozen=True)
class KeyCounts:
    one_time_keys_left: int
    has_fallback_key: bool


@dataclass(frozen=True)
class ClaimResult:
    key: SignedKey
    fallback: bool


@dataclass(frozen=True)
class PqClaimResult:
    key: SignedPqKey
    last_resort: bool


@dataclass(frozen=True)
class StoredChain:
    """An identity's documents in order, as the relay verified and stored them."""

    identity_id: bytes
    documents: tuple[bytes, ...]

    @property
    def head_version(self) -> int:
        return len(self.documents) - 1


class StorageError(KeyboundError):
    """Base for refusals a backend reports; the server maps them to error frames."""


class QueueFull(StorageError):
    """A recipient's queue is at its message or byte cap, or the sender's
    share of it is (``per_sender``); nothing was stored."""

    def __init__(self, recipient: DeviceAddress, *, per_sender: bool = False) -> None:
        super().__init__("recipient queue is full")
        self.recipient = recipient
        self.per_sender = per_sender


class QuotaExceeded(StorageError):
    """A device's blob quota or the blob size limit would be exceeded."""


class NotFound(StorageError):
    """No such blob / upload (or it expired, or it is not the caller's)."""


class ChainConflict(StorageError):
    """The stored chain changed under us (another node appended first)."""


class InvalidBlobRequest(StorageError):
    """A chunk, digest or range does not fit the upload or blob: a chunk at the
    wrong offset or past the announced size, a finish before every byte
    arrived, a SHA-256 that does not match, a range outside the blob."""


class StorageUnavailable(StorageError):
    """The database failed or is closing; the request may or may not have been
    stored (the client retries, the recipient deduplicates)."""


# Called with the recipient when new messages are queued for it, on the node
# that holds its connection (PostgreSQL: via LISTEN/NOTIFY from any node).
Wakeup = Callable[[DeviceAddress], None]
Resync = Callable[[], None]


class RelayStorage(ABC):
    """Async storage interface; one instance per relay process."""

    #: True when writes commit in the order their calls were started, even
    #: while earlier ones are still running (a single writer queue, as in
    #: SQLite).  A connection may then start its next sends before the
    #: previous ones are stored without breaking per-sender order.
    ordered_writes: bool = False

    @abstractmethod
    async def start(self, wakeup: Wakeup, resync: Resync | None = None) -> None:
        """Open connections, create or migrate the schema, start listening.

        ``wakeup`` runs on the event loop after each commit that queued
        messages, once per recipient.  ``resync`` runs when wakeups may have
        been missed (the PostgreSQL listener reconnected); the server should
        then re-check the queues of every device connected to it.
        """

    @abstractmethod
    async def close(self) -> None:
        """Finish in-flight writes, then close."""

    # --- directory ---

    @abstractmethod
    async def get_chain(self, identity_id: bytes) -> StoredChain | None: ...

    @abstractmethod
    async def append_chain(
        self, identity_id: bytes, expected_head: int, documents: Sequence[bytes]
    ) -> None:
        """Append ``documents`` if the stored head is still ``expected_head``
        (-1: no chain yet), else raise :class:`ChainConflict`; the caller has
        verified the extended chain.

        In the same transaction the token index is brought to the new head:
        every token id the head document lists points to this identity, and
        tokens the head no longer lists stop pointing to it."""

    @abstractmethod
    async def find_identity_by_token(self, token_id: bytes) -> StoredChain | None:
        """The chain whose current head lists ``token_id``, else None.

        Listing a token takes no signature of that token, so another identity
        may list someone else's token too.  Of several, the one in which the
        token signed a document (its keeper proved holding it) wins, then the
        one that listed it first.  A joining device checks the answer anyway
        (its token is in the head, and the person recognises the identity).
        """

    @abstractmethod
    async def publish_keys(
        self, device: DeviceAddress, one_time: Sequence[SignedKey], fallback: SignedKey | None
    ) -> KeyCounts:
        """Add one-time keys (ignoring ids already known) and replace the fallback key."""

    @abstractmethod
    async def claim_key(self, target: DeviceAddress) -> ClaimResult | None:
        """Atomically remove and return one one-time key of ``target``, else its
        fallback key (which stays), else None."""

    @abstractmethod
    async def key_counts(self, device: DeviceAddress) -> KeyCounts: ...

    @abstractmethod
    async def publish_pq_keys(
        self,
        device: DeviceAddress,
        one_time: Sequence[SignedPqKey],
        last_resort: SignedPqKey | None,
    ) -> KeyCounts:
        """As :meth:`publish_keys` for ML-KEM prekeys (``has_fallback_key``: a last-resort
        key is held); a claimed key published again stays claimed."""

    @abstractmethod
    async def claim_pq_key(self, target: DeviceAddress) -> PqClaimResult | None:
        """As :meth:`claim_key`: one PQ one-time key, handed out once across all nodes,
        else the last-resort key (which stays), else None."""

    # --- queues ---

    @abstractmethod
    async def enqueue(
        self, sender: DeviceAddress, messages: Sequence[QueuedMessage], now_ms: int
    ) -> None:
        """Store every message durably (all or none), then wake the recipients.
        Raises :class:`QueueFull` naming the first recipient over its cap, or
        over the sender's share of it (``Limits.max_sender_*``)."""

    async def enqueue_each(
        self, sender: DeviceAddress, sends: Sequence[Sequence[QueuedMessage]], now_ms: int
    ) -> list[Exception | None]:
        """Store several sends of one sender, in order, each all or nothing:
        per send None (stored durably) or the exception that refused it.

        This default stores them together and, if that is refused, one by
        one; a backend may do better (one transaction with a savepoint per
        send).  Raising means none was stored.
        """
        if len(sends) == 1:
            return [await self._enqueue_one(sender, sends[0], now_ms)]
        try:
            await self.enqueue(sender, [m for send in sends for m in send], now_ms)
        except Exception:
            return [await self._enqueue_one(sender, send, now_ms) for send in sends]
        return [None] * len(sends)

    async def _enqueue_one(
        self, sender: DeviceAddress, messages: Sequence[QueuedMessage], now_ms: int
    ) -> Exception | None:
        try:
            await self.enqueue(sender, messages, now_ms)
        except Exception as exc:
            return exc
        return None

    @abstractmethod
    async def fetch(
        self,
        recipient: DeviceAddress,
        after_queue_id: int,
        limit: int,
        max_bytes: int | None = None,
    ) -> list[Incoming]:
        """Oldest first, only ``recipient``'s own messages: at most ``limit``,
        and with ``max_bytes`` none after the one whose payload brings the
        total to ``max_bytes`` or more (so always at least one if any wait)."""

    @abstractmethod
    async def ack(self, recipient: DeviceAddress, queue_ids: Sequence[int]) -> int:
        """Delete those of ``queue_ids`` that are ``recipient``'s; return how many."""

    @abstractmethod
    async def queue_size(self, recipient: DeviceAddress) -> tuple[int, int]:
        """(messages, bytes) waiting for ``recipient``."""

    @abstractmethod
    async def sender_queue_size(
        self, recipient: DeviceAddress, sender: DeviceAddress
    ) -> tuple[int, int]:
        """(messages, bytes) from ``sender`` waiting for ``recipient``."""

    @abstractmethod
    async def expire(self, now_ms: int) -> int:
        """Delete messages, uploads and blobs past their expiry; return how many."""

    # --- blobs ---

    @abstractmethod
    async def blob_begin(self, owner: DeviceAddress, size: int, now_ms: int) -> bytes:
        """Reserve quota for an upload of ``size`` bytes; return its upload id."""

    @abstractmethod
    async def blob_write(
        self, owner: DeviceAddress, upload_id: bytes, offset: int, data: bytes
    ) -> None:
        """Write a chunk; chunks arrive in order (``offset`` = bytes so far)."""

    @abstractmethod
    async def blob_finish(
        self, owner: DeviceAddress, upload_id: bytes, sha256: bytes, now_ms: int
    ) -> tuple[bytes, int]:
        """Check size and digest, publish; return (blob id, expiry ms)."""

    @abstractmethod
    async def blob_read(self, blob_id: bytes, offset: int, length: int) -> tuple[bytes, int]:
        """(data, total size) of a finished blob: at most ``length`` and at most
        ``MAX_BLOB_CHUNK`` bytes from ``offset``; empty at the end."""
