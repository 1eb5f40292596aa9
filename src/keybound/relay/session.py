"""One client connection's protocol logic, without sockets.

The server feeds each received WebSocket message to :meth:`Session.handle`
and gives the session a :class:`Transport` to send frames and to close.  All
rules live here, so tests can drive a session with bytes:

- Before authentication only ``authenticate``, ``publish_identity`` (the
  bootstrap: a device's chain must be on the relay before it can prove who
  it is), ``find_identity`` (a joining device has only its token: it needs
  the chain to add itself to) and ``ping`` are served; anything else is
  ``unauthenticated``.  Publishing unauthenticated is safe because a chain
  is self-certifying: the relay stores only chains that verify from their
  genesis and never lets a chain fork or roll back what it holds, so a
  publisher gains nothing it could not have by publishing as any device.
  Finding reveals only a chain, which lists the token anyway.  Both are
  rate-limited per IP.
- Frames are handled one at a time, in order, except that sends and acks
  queue behind the writes in progress (:class:`Pipeline`) and are stored in
  batches, still in arrival order: a sender's sends are stored in the order
  it sent them, which keeps per-sender order per recipient, and one commit
  covers many sends.  Replies are matched by request id, not by order.
- Delivery runs in its own task: woken by storage when messages arrive for
  this device, it pushes pages (``deliver`` with id 0) after the last queue
  id it pushed, keeping at most a window of unacknowledged messages in
  flight.  Acks delete and open the window again.
- Errors are ``error`` frames with codes; malformed frames count, and after
  ``max_bad_frames`` the connection is closed.  No exception leaves
  :meth:`handle` except the transport's own (connection gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

from keybound.errors import MalformedData
from keybound.relay import codec
from keybound.relay.auth import ChallengeState, signature_valid
from keybound.relay.core import RelayCore
from keybound.relay.directory import ChainRejected, DeviceRefused, identity_id_of
from keybound.relay.logs import log_event, pseudonym
from keybound.relay.storage.base import (
    ChainConflict,
    InvalidBlobRequest,
    NotFound,
    QueuedMessage,
    QueueFull,
    QuotaExceeded,
    StorageError,
)
from keybound.wire import frames as f
from keybound.wire.frames import DeviceAddress, ErrorCode

log = logging.getLogger("keybound.relay")

# WebSocket close codes the relay uses
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001  # relay shutting down
CLOSE_PROTOCOL = 1002  # too many malformed frames
CLOSE_POLICY = 1008  # authentication failed, rate limited at connect
CLOSE_TRY_LATER = 1013  # over capacity
CLOSE_TIMEOUT = 4000  # handshake or idle timeout
CLOSE_REPLACED = 4001  # the same device connected again

_background: set[asyncio.Task[None]] = set()  # keeps fire-and-forget closes alive
_BOOTSTRAP = (f.PublishIdentity, f.FindIdentity, f.Ping)  # served before authentication
_PIPELINE_LIMIT = 64  # sends (or acks) waiting behind a commit before reading pauses
_PIPELINE_DEPTH = 4  # batches of sends in flight at once, where storage keeps their order
_FRAME_BUDGET = f.MAX_FRAME_SIZE - 4096  # room for the envelope of a deliver frame
_PER_MESSAGE_OVERHEAD = 64


class TransportClosed(Exception):
    """The connection is gone; raised by :meth:`Transport.send`."""


class Transport(Protocol):
    async def send(self, data: bytes) -> None:
        """Send one binary message or raise :class:`TransportClosed`."""

    async def close(self, code: int, reason: str) -> None: ...


class RequestError(Exception):
    """Turns into an ``error`` frame for the request being handled."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        retry_after_ms: int | None = None,
        device: DeviceAddress | None = None,
        close: int | None = None,
    ) -> None:
        super().__init__(message)
        self.frame = f.Error(code, message, retry_after_ms, device)
        self.close = close


Handler = Callable[[int, f.Frame], Awaitable[f.Frame | None]]  # None: answered later
_T = TypeVar("_T")


class Pipeline(Generic[_T]):
    """Requests of one kind from one connection, run in arrival order and in
    batches, without holding up the frames that follow them.

    A send must wait for a durable commit (an fsync, or a PostgreSQL commit);
    handled one frame at a time, a connection could then store only one send
    per commit.  Instead, sends that arrive while ``depth`` batches are being
    stored queue up and are stored together in the next batch, in order.
    With ``depth`` 1 a batch starts only when the previous one is stored,
    which keeps per-sender order on any backend; a deeper pipeline needs a
    backend that commits overlapping writes in the order they were started
    (``RelayStorage.ordered_writes``), and saves a connection the wait for
    its previous commit.  ``limit`` pending items make :meth:`put` wait,
    which stops reading from the socket (backpressure).
    """

    def __init__(
        self,
        run: Callable[[list[_T]], Awaitable[None]],
        limit: int,
        on_idle: Callable[[], Awaitable[None]],
        depth: int = 1,
    ) -> None:
        self._run = run
        self._on_idle = on_idle
        self._limit = limit
        self._depth = depth
        self._items: list[_T] = []
        self._running: set[asyncio.Task[None]] = set()
        self._space = asyncio.Event()
        self._space.set()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def busy(self) -> bool:
        return not self._idle.is_set()

    async def put(self, item: _T) -> None:
        self._items.append(item)
        self._idle.clear()
        self._start()
        if len(self._items) >= self._limit:
            self._space.clear()
            await self._space.wait()

    async def join(self) -> None:
        await self._idle.wait()

    def _start(self) -> None:
        # batches start in arrival order; their first steps run in that order too
        loop = asyncio.get_running_loop()
        while self._items and len(self._running) < self._depth:
            batch, self._items = self._items, []
            self._space.set()
            task = loop.create_task(self._store(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _store(self, batch: list[_T]) -> None:
        failed = True
        try:
            await self._run(batch)
            failed = False
        finally:
            self._running.discard(asyncio.current_task())
            if failed:  # cancelled: the connection is going away
                self._items.clear()
                self._space.set()
            elif self._items:
                self._start()
            idle = not self._running and not self._items
            if idle:
                self._idle.set()
        if idle:
            await self._on_idle()


def _encoded_size(message: f.Incoming) -> int:
    return (
        len(message.payload)
        + len(message.sender.identity_id)
        + len(message.sender.device_id)
        + _PER_MESSAGE_OVERHEAD
    )


def _fit_frame(messages: list[f.Incoming], limit: int) -> tuple[list[f.Incoming], bool]:
    """The longest prefix of ``messages`` (a fetch of at most ``limit``, cut
    after ``_FRAME_BUDGET`` payload bytes) that fits in one frame (at least
    one), and whether more may be waiting after it."""
    total = payload = 0
    for i, m in enumerate(messages):
        total += _encoded_size(m)
        payload += len(m.payload)
        if total > _FRAME_BUDGET and i > 0:
            return messages[:i], True
    return messages, len(messages) >= limit or payload >= _FRAME_BUDGET


class Session:
    def __init__(self, core: RelayCore, transport: Transport, ip: str) -> None:
        self.core = core
        self.transport = transport
        self.ip = ip
        self.challenge = ChallengeState(core.config.name)
        self.device: DeviceAddress | None = None
        self.closed = False
        self.bad_frames = 0
        self._handling = False
        self.draining = False  # close once the frames in hand are done
        self._sends: Pipeline[tuple[int, f.Send]] = Pipeline(
            self._store_sends,
            _PIPELINE_LIMIT,
            self._close_if_drained,
            depth=_PIPELINE_DEPTH if core.storage.ordered_writes else 1,
        )
        self._acks: Pipeline[tuple[int, f.Ack]] = Pipeline(
            self._store_acks, _PIPELINE_LIMIT, self._close_if_drained
        )
        self._wake_event = asyncio.Event()
        self._inflight: dict[int, int] = {}  # queue id -> payload bytes, pushed not acked
        self._inflight_bytes = 0
        self._cursor = 0  # last queue id pushed on this connection
        self._delivery: asyncio.Task[None] | None = None

    # --- entry points for the server ---

    def hello(self) -> bytes:
        """The first frame on a connection: the challenge."""
        return f.encode_frame(0, self.challenge.challenge)

    @property
    def authenticated(self) -> bool:
        return self.device is not None

    @property
    def busy(self) -> bool:
        """A frame is in hand (shutdown lets it finish before closing)."""
        return self._handling or self._sends.busy or self._acks.busy

    async def handle(self, data: bytes | str) -> None:
        """Process one WebSocket message from the client."""
        if self.closed:
            return
        self._handling = True
        try:
            await self._handle(data)
        finally:
            self._handling = False
        await self._close_if_drained()

    async def drain(self) -> None:
        """Shutdown: finish the frames in hand, then close."""
        self.draining = True
        await self._close_if_drained()

    async def _close_if_drained(self) -> None:
        if self.draining and not self.closed and not self.busy:
            await self.close(CLOSE_GOING_AWAY, "relay shutting down")

    async def close(self, code: int, reason: str) -> None:
        """Stop delivery, leave the registry, close the transport (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self._stop_delivery()
        if self.device is not None:
            self.core.unregister(self.device, self)
        with contextlib.suppress(Exception):
            await self.transport.close(code, reason)

    def finished(self) -> None:
        """The connection is gone (called by the server in every case)."""
        self.closed = True
        self._stop_delivery()
        if self.device is not None:
            self.core.unregister(self.device, self)

    async def timed_out(self) -> None:
        if self.authenticated:
            await self.close(CLOSE_TIMEOUT, "idle timeout")
        else:
            await self._send_frame(0, f.Error(ErrorCode.UNAUTHENTICATED, "authentication timeout"))
            await self.close(CLOSE_TIMEOUT, "authentication timeout")

    # --- called by the core ---

    def wake(self) -> None:
        self._wake_event.set()

    def replace(self) -> None:
        """Another connection of this device took over (or the device was removed)."""
        if not self.closed:
            task = asyncio.get_running_loop().create_task(self.close(CLOSE_REPLACED, "replaced"))
            _background.add(task)
            task.add_done_callback(_background.discard)

    # --- dispatch ---

    async def _handle(self, data: bytes | str) -> None:
        core = self.core
        request_id = 0
        try:
            if not isinstance(data, bytes):
                raise MalformedData("text frames are not part of this protocol")
            envelope = codec.decode(data)
            request_id = envelope.request_id
            body = envelope.body
            wait = core.ip_limiter.take(self.ip)
            if wait:
                core.metrics.rate_limited.labels("ip").inc()
                raise RequestError(
                    ErrorCode.RATE_LIMITED, "too many requests", retry_after_ms=_ms(wait)
                )
            core.metrics.frame_received(body.TYPE)
            if isinstance(body, f.Authenticate):
                await self._authenticate(request_id, body)
                return
            if not self.authenticated and not isinstance(body, _BOOTSTRAP):
                raise RequestError(ErrorCode.UNAUTHENTICATED, "authenticate first")
            name = _HANDLERS.get(type(body))
            if name is None:
                raise RequestError(ErrorCode.MALFORMED, f"{body.TYPE} is not a request")
            handler: Handler = getattr(self, name)
            reply = await handler(request_id, body)
            if reply is not None:
                await self._send_frame(request_id, reply)
        except MalformedData as exc:
            self.bad_frames += 1
            await self._error(request_id, f.Error(ErrorCode.MALFORMED, exc.detail[:200]))
            if self.bad_frames >= core.config.max_bad_frames:
                log_event(log, "closed_malformed", ip=self.ip)
                await self.close(CLOSE_PROTOCOL, "too many malformed frames")
        except RequestError as exc:
            await self._error(request_id, exc.frame)
            if exc.close is not None:
                await self.close(exc.close, exc.frame.message)
        except StorageError as exc:
            await self._error(request_id, _storage_error(exc))
        except (asyncio.CancelledError, TransportClosed):
            raise
        except Exception as exc:
            log_event(log, "request_failed", level=logging.ERROR, error=type(exc).__name__)
            log.debug("request failed", exc_info=True)
            code = ErrorCode.UNAVAILABLE if _is_backend_down(exc) else ErrorCode.INTERNAL
            await self._error(request_id, f.Error(code, "the relay could not do that now"))

    async def _error(self, request_id: int, frame: f.Error) -> None:
        self.core.metrics.errors.labels(frame.code.value).inc()
        await self._send_frame(request_id, frame)

    async def _send_frame(self, request_id: int, body: f.Frame) -> None:
        if not self.closed:
            await self.transport.send(_encode(request_id, body))

    def _device_rate(self, cost: float) -> None:
        assert self.device is not None
        wait = self.core.device_limiter.take(self.device, cost)
        if wait:
            self.core.metrics.rate_limited.labels("device").inc()
            raise RequestError(
                ErrorCode.RATE_LIMITED, "too many requests", retry_after_ms=_ms(wait)
            )

    # --- authentication ---

    async def _authenticate(self, request_id: int, body: f.Authenticate) -> None:
        core = self.core
        fail = RequestError(ErrorCode.AUTH_FAILED, "authentication failed", close=CLOSE_POLICY)
        if self.authenticated:  # a challenge is answered once (docs/relay-protocol.md)
            core.metrics.auth.labels("repeated").inc()
            raise fail
        if not self.challenge.consume():
            core.metrics.auth.labels("replayed").inc()
            raise fail
        device = body.device
        try:
            chain = await core.chain(device.identity_id)
        except ChainRejected:
            chain = None
        reason = "ok"
        if chain is None:
            reason = "unknown_identity"
        else:
            try:
                key = core.directory.device_key(chain, device.device_id, int(core.clock()))
                if not signature_valid(self.challenge.challenge, body, key):
                    reason = "bad_signature"
            except DeviceRefused as exc:
                reason = f"device_{exc.status}"
        core.metrics.auth.labels(reason).inc()
        if reason != "ok":
            log_event(log, "auth_failed", reason=reason, ip=self.ip, device=pseudonym(device))
            raise fail
        counts = await core.storage.key_counts(device)
        queued, _ = await core.storage.queue_size(device)
        if self.closed:
            return
        self.device = device
        core.register(device, self)
        core.authenticated_hook(self)  # before `authenticated`: the server widens limits
        log_event(log, "auth_ok", ip=self.ip, device=pseudonym(device), queued=queued)
        await self._send_frame(
            request_id, f.Authenticated(counts.one_time_keys_left, counts.has_fallback_key, queued)
        )
        self._delivery = asyncio.get_running_loop().create_task(self._deliver_forever())
        self.wake()

    # --- directory ---

    async def _publish_identity(self, request_id: int, body: f.Frame) -> f.Frame:
        assert isinstance(body, f.PublishIdentity)
        core = self.core
        # verifying costs about one signature check per document
        self._bootstrap_rate(1 + len(body.documents) / 10, 1 + len(body.documents) / 20)
        for attempt in range(3):
            try:
                identity_id = identity_id_of(body.documents)
                stored = await core.storage.get_chain(identity_id)
                held = stored.documents if stored is not None else ()
                verified = core.directory.check_chain(held, body.documents, int(core.clock()))
                if len(body.documents) > len(held):
                    await core.storage.append_chain(
                        identity_id, len(held) - 1, body.documents[len(held) :]
                    )
                    log_event(log, "identity_published", version=verified.version)
            except ChainRejected as exc:
                raise RequestError(ErrorCode.CHAIN_REJECTED, exc.reason[:500]) from None
            except ChainConflict:
                if attempt == 2:
                    raise
                continue
            active = core.directory.active_devices(verified, int(core.clock()))
            core.note_devices(identity_id, active)
            core.drop_removed_devices(identity_id, active)
            return f.Ok()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _fetch_identity(self, request_id: int, body: f.Frame) -> f.Frame:
        assert isinstance(body, f.FetchIdentity)
        self._device_rate(1)
        stored = await self.core.storage.get_chain(body.identity_id)
        if stored is None:
            raise RequestError(ErrorCode.NOT_FOUND, "no such identity")
        return f.IdentityChain(stored.documents[max(0, body.after_version + 1) :])

    async def _find_identity(self, request_id: int, body: f.Frame) -> f.Frame:
        assert isinstance(body, f.FindIdentity)
        self._bootstrap_rate(1, 1)
        stored = await self.core.storage.find_identity_by_token(body.token_id)
        if stored is None:
            raise RequestError(ErrorCode.NOT_FOUND, "no identity lists this token")
        return f.IdentityChain(stored.documents)

    def _bootstrap_rate(self, device_cost: float, ip_cost: float) -> None:
        """Rate-limit a directory request: per device once authenticated,
        else on the stricter per-IP budget for unauthenticated requests."""
        if self.authenticated:
            self._device_rate(device_cost)
            return
        wait = self.core.unauth_limiter.take(self.ip, ip_cost)
        if wait:
            self.core.metrics.rate_limited.labels("unauthenticated").inc()
            raise RequestError(
                ErrorCode.RATE_LIMITED, "too many requests", retry_after_ms=_ms(wait)
            )

    async def _publish_keys(self, request_id: int, body: f.Frame) -> f.Frame:
        assert isinstance(body, f.PublishKeys) and self.device is not None
        self._device_rate(1 + len(body.one_time_keys) / 100)
        counts = await self.core.storage.publish_keys(
            self.device, body.one_time_keys, body.fallback_key
        )
        return f.KeyCount(counts.one_time_keys_left, counts.has_fallback_key)

    async def _claim_keys(self, request_id: int, body: f.Frame) -> f.Frame:
        assert isinstance(body, f.ClaimKeys)
        self._device_rate(max(1, len(body.devices)))
        claimed = []
        for target in dict.fromkeys(body.devices):  # one key per device per request
            result = await self.core.storage.claim_key(target)
            if result is not None:
                claimed.append(f.ClaimedKey(target, result.key, result.fallback))
        return f.ClaimedKeys(tuple(claimed))

    async def _publish_pq_keys(self, request_id: int, body: f.Frame) -> f.Frame:
        assert isinstance(body, f.PublishPqKeys) and self.device is not None
        if len(body.one_time_keys) > f.MAX_PQ_PUBLISH:
            raise RequestError(
                ErrorCode.TOO_LARGE, f"at most {f.MAX_PQ_PUBLISH} keys per publish_pq_keys"
            )
        self._device_rate(1 + len(body.one_time_keys) / 10)
        counts = await self.core.storage.publish_pq_keys(
            self.device, body.one_time_keys, body.last_resort_key
        )
        return f.PqKeyCount(counts.one_time_keys_left, counts.has_fallback_key)

    async def _claim_pq_keys(self, request_id: int, body: f.Frame) -> f.Frame:
        assert isinstance(body, f.ClaimPqKeys)
        if len(body.devices) > f.MAX_PQ_CLAIM:
            raise RequestError(
                ErrorCode.TOO_LARGE, f"at most {f.MAX_PQ_CLAIM} devices per claim_pq_keys"
            )
        self._device_rate(max(1, len(body.devices)))
        claimed = []
        for target in dict.fromkeys(body.devices):  # one key per device per request
            result = await self.core.storage.claim_pq_key(target)
            if result is not None:
                claimed.append(f.ClaimedPqKey(target, result.key, result.last_resort))
        return f.ClaimedPqKeys(tuple(claimed))

    # --- queues ---

    async def _send(self, request_id: int, body: f.Frame) -> f.Frame | None:
        assert isinstance(body, f.Send) and self.device is not None
        core = self.core
        if not body.messages:
            return f.Sent(0)
        self._device_rate(len(body.messages))
        known: dict[bytes, frozenset[bytes]] = {}
        for m in body.messages:
            devices = known.get(m.to.identity_id)
            if devices is None:
                devices = known[m.to.identity_id] = await core.active_devices(m.to.identity_id)
            if m.to.device_id not in devices:
                raise RequestError(
                    ErrorCode.NOT_FOUND,
                    "no such recipient device (unknown or removed); refresh its identity",
                    device=m.to,
                )
        await self._sends.put((request_id, body))
        return None

    async def _store_sends(self, batch: list[tuple[int, f.Send]]) -> None:
        """Store a batch of sends in one write, each send all or nothing with
        its own answer (:meth:`RelayStorage.enqueue_each`).

        Nothing may be awaited before the storage call: with a deep pipeline,
        batches reach the storage in the order their tasks started."""
        assert self.device is not None
        core = self.core
        started = time.perf_counter()
        try:
            outcomes = await core.storage.enqueue_each(
                self.device,
                [[QueuedMessage(m.to, m.payload) for m in body.messages] for _, body in batch],
                core.now_ms(),
            )
        except Exception as exc:
            outcomes = [exc] * len(batch)
        core.metrics.enqueue_seconds.observe(time.perf_counter() - started)
        replies: list[tuple[int, f.Frame]] = []
        stored = size = 0
        for (rid, body), outcome in zip(batch, outcomes, strict=True):
            if outcome is None:
                replies.append((rid, f.Sent(len(body.messages))))
                stored += len(body.messages)
                size += sum(len(m.payload) for m in body.messages)
            else:
                replies.append((rid, self._failure(outcome)))
        core.metrics.messages_queued.inc(stored)
        core.metrics.payload_bytes.inc(size)
        await self._answer(replies)

    def _failure(self, exc: BaseException) -> f.Error:
        if isinstance(exc, StorageError):
            return _storage_error(exc)
        log_event(log, "request_failed", level=logging.ERROR, error=type(exc).__name__)
        code = ErrorCode.UNAVAILABLE if _is_backend_down(exc) else ErrorCode.INTERNAL
        return f.Error(code, "the relay could not do that now")

    async def _answer(self, replies: list[tuple[int, f.Frame]]) -> None:
        try:
            for rid, reply in replies:
                if isinstance(reply, f.Error):
                    await self._error(rid, reply)
                else:
                    await self._send_frame(rid, reply)
        except TransportClosed:
            pass  # the client is gone; what was stored stays stored

    async def _fetch(self, request_id: int, body: f.Frame) -> f.Frame:
        assert isinstance(body, f.Fetch) and self.device is not None
        self._device_rate(1)
        limit = max(1, min(body.limit, self.core.config.max_fetch))
        got = await self.core.storage.fetch(self.device, 0, limit, _FRAME_BUDGET)
        page, more = _fit_frame(got, limit)
        if page:
            self._cursor = max(self._cursor, page[-1].queue_id)
        self.core.metrics.messages_delivered.inc(len(page))
        return f.Deliver(tuple(page), more=more)

    async def _ack(self, request_id: int, body: f.Frame) -> f.Frame | None:
        assert isinstance(body, f.Ack) and self.device is not None
        self._device_rate(max(1, len(body.queue_ids) / 100))
        await self._acks.put((request_id, body))
        return None

    async def _store_acks(self, batch: list[tuple[int, f.Ack]]) -> None:
        """Delete the acknowledged messages of a batch of acks in one write."""
        assert self.device is not None
        ids = list(dict.fromkeys(q for _, body in batch for q in body.queue_ids))
        reply: f.Frame
        try:
            deleted = await self.core.storage.ack(self.device, ids)
            self.core.metrics.messages_acked.inc(deleted)
            reply = f.Ok()
        except Exception as exc:
            reply = self._failure(exc)
        for queue_id in ids:
            self._inflight_bytes -= self._inflight.pop(queue_id, 0)
        self.wake()
        await self._answer([(rid, reply) for rid, _ in batch])

    # --- blobs ---

    async def _blob_begin(self, request_id: int, body: f.Frame) -> f.Frame:
        assert isinstance(body, f.BlobBegin) and self.device is not None
        self._device_rate(1)
        limits = self.core.config.storage
        if body.size < 0:
            raise MalformedData("blob size must not be negative")
        if body.size > limits.max_blob_size:
            raise RequestError(
                ErrorCode.TOO_LARGE, f"blobs are limited to {limits.max_blob_size} bytes"
            )
        upload_id = await self.core.storage.blob_begin(self.device, body.size, self.core.now_ms())
        return f.BlobStarted(upload_id, f.MAX_BLOB_CHUNK)

    async def _blob_chunk(self, request_id: int, body: f.Frame) -> f.Frame:
        assert isinstance(body, f.BlobChunk) and self.device is not None
        self._device_rate(1 + len(body.data) / (64 * 1024))
        await self.core.storage.blob_write(self.device, body.upload_id, body.offset, body.data)
        return f.Ok()

    async def _blob_finish(self, request_id: int, body: f.Frame) -> f.Frame:
        assert isinstance(body, f.BlobFinish) and self.device is not None
        self._device_rate(1)
        blob_id, expires = await self.core.storage.blob_finish(
            self.device, body.upload_id, body.sha256, self.core.now_ms()
        )
        return f.BlobStored(blob_id, expires)

    async def _blob_get(self, request_id: int, body: f.Frame) -> f.Frame:
        assert isinstance(body, f.BlobGet)
        self._device_rate(1)
        if body.offset < 0 or body.length < 0:
            raise MalformedData("blob range must not be negative")
        length = min(body.length, f.MAX_BLOB_CHUNK)
        data, total = await self.core.storage.blob_read(body.blob_id, body.offset, length)
        return f.BlobData(data, total)

    async def _ping(self, request_id: int, body: f.Frame) -> f.Frame:
        return f.Pong()

    # --- delivery ---

    def _room(self) -> int:
        cfg = self.core.config
        if self._inflight_bytes >= cfg.delivery_window_bytes:
            return 0
        return min(cfg.delivery_page, cfg.delivery_window - len(self._inflight))

    async def _deliver_forever(self) -> None:
        device = self.device
        assert device is not None
        try:
            while not self.closed:
                await self._wake_event.wait()
                self._wake_event.clear()
                while not self.closed and (room := self._room()) > 0:
                    got = await self.core.storage.fetch(device, self._cursor, room, _FRAME_BUDGET)
                    if not got:
                        break
                    page, more = _fit_frame(got, room)
                    for m in page:
                        self._inflight[m.queue_id] = len(m.payload)
                        self._inflight_bytes += len(m.payload)
                    self._cursor = page[-1].queue_id
                    self.core.metrics.messages_delivered.inc(len(page))
                    await self._send_frame(0, f.Deliver(tuple(page), more=more))
                    if not more:
                        # drained as of that read; a later commit sets the event again
                        break
        except asyncio.CancelledError:
            raise
        except TransportClosed:
            pass
        except Exception as exc:
            log_event(log, "delivery_failed", level=logging.ERROR, error=type(exc).__name__)
            log.debug("delivery failed", exc_info=True)
            if not self.closed:  # reconnecting restarts delivery from the backlog
                await self.close(CLOSE_TRY_LATER, "delivery interrupted")

    def _stop_delivery(self) -> None:
        task = self._delivery
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
        self._delivery = None


_HANDLERS: dict[type[f.Frame], str] = {
    f.PublishIdentity: "_publish_identity",
    f.FetchIdentity: "_fetch_identity",
    f.FindIdentity: "_find_identity",
    f.PublishKeys: "_publish_keys",
    f.ClaimKeys: "_claim_keys",
    f.PublishPqKeys: "_publish_pq_keys",
    f.ClaimPqKeys: "_claim_pq_keys",
    f.Send: "_send",
    f.Fetch: "_fetch",
    f.Ack: "_ack",
    f.BlobBegin: "_blob_begin",
    f.BlobChunk: "_blob_chunk",
    f.BlobFinish: "_blob_finish",
    f.BlobGet: "_blob_get",
    f.Ping: "_ping",
}


def _encode(request_id: int, body: f.Frame) -> bytes:
    """The frame's bytes.  Replies on the hot path carry only values decoded
    and checked on the way in (or counts): they skip the re-check, and the
    commonest are coded by hand (:mod:`.codec`, same bytes)."""
    if isinstance(body, f.Sent):
        return codec.encode_sent(request_id, body.accepted)
    if isinstance(body, f.Ok):
        return codec.encode_ok(request_id)
    if isinstance(body, f.Deliver):
        return codec.encode_deliver(request_id, body.messages, body.more)
    return f.encode_frame(request_id, body, verify=not isinstance(body, f.Pong))


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000 + 0.999))


def _storage_error(exc: StorageError) -> f.Error:
    if isinstance(exc, QueueFull):
        message = (
            "you have as many messages waiting for this recipient as the relay keeps"
            " from one sender; nothing was stored"
            if exc.per_sender
            else "the recipient's queue is full; nothing was stored"
        )
        return f.Error(ErrorCode.QUEUE_FULL, message, device=exc.recipient)
    if isinstance(exc, QuotaExceeded):
        return f.Error(ErrorCode.QUOTA_EXCEEDED, "blob quota exceeded")
    if isinstance(exc, NotFound):
        return f.Error(ErrorCode.NOT_FOUND, "not found (or expired)")
    if isinstance(exc, InvalidBlobRequest):
        return f.Error(ErrorCode.MALFORMED, str(exc)[:200] or "invalid blob request")
    if isinstance(exc, ChainConflict):
        return f.Error(ErrorCode.UNAVAILABLE, "the identity changed meanwhile; try again")
    return f.Error(ErrorCode.UNAVAILABLE, "storage refused the request")


def _is_backend_down(exc: BaseException) -> bool:
    return isinstance(exc, OSError | ConnectionError) or "Operational" in type(exc).__name__
