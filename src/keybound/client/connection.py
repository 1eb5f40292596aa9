"""The relay connection: :class:`RelayLink` over WebSockets.

A thin adapter: :class:`~keybound.client.connection_machine.ConnectionMachine`
decides everything (handshake, request ids and timeouts, keepalive,
reconnects with backoff); this module opens and closes sockets with the
``websockets`` library (the only client module that imports it), moves bytes,
arms timers on the event loop, and turns the machine's verdicts into
resolved futures and callbacks.

TLS: ``wss://`` is verified against the system's certificate authorities,
unless a :class:`~keybound.client.tls_pin.PinStore` is given, for relays
started with ``--dev-tls``: then the certificate's SHA-256 fingerprint is
pinned on first use and must match ever after.  Plain ``ws://`` is accepted
only for loopback addresses (tests, a relay on the same machine).

Nothing here logs payloads, keys, signatures or full identifiers: only states,
reasons, error codes and exception types.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ipaddress
import logging
import random
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from keybound.client import tls_pin
from keybound.client.connection_machine import (
    Action,
    BadFrame,
    CancelTimer,
    CloseRequested,
    CloseSocket,
    Connected,
    ConnectionMachine,
    ConnectionSettings,
    DeliverBatch,
    Event,
    FrameReceived,
    OpenSocket,
    RejectRequest,
    RequestCancelled,
    RequestSubmitted,
    ResolveRequest,
    ScheduleTimer,
    SendFrame,
    SocketClosed,
    Start,
    StatusChanged,
    Timer,
    TimerFired,
    WentOnline,
)
from keybound.client.link import (
    DeliverHandler,
    KeyStatus,
    LinkState,
    LinkStatus,
    OnlineHandler,
    RelayLink,
    StatusHandler,
)
from keybound.errors import (
    InternalError,
    InvalidRelayAddress,
    MalformedData,
    RelayCertificateChanged,
    RelayUnavailable,
)
from keybound.wire import frames as f

log = logging.getLogger(__name__)
# websockets logs frame contents at DEBUG level: its own logger, never below INFO, keeps
# ciphertext, signatures and ids out of the logs even when debugging is switched on
_ws_log = logging.getLogger(f"{__name__}.websockets")
_ws_log.setLevel(logging.INFO)

BLOB_WINDOW = 4  # blob chunks in flight at once (each up to 512 KiB)
_SEND_BUDGET = f.MAX_FRAME_SIZE - 4096  # room for the frame's own fields
_F = TypeVar("_F", bound=f.Frame)


@dataclass(frozen=True)
class RelayAddress:
    url: str
    secure: bool
    host: str


def parse_relay_url(url: str) -> RelayAddress:
    """Check a relay URL: ``wss://HOST[:PORT][/path]``, or ``ws://`` on loopback only."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InvalidRelayAddress("it is not a valid URL") from None
    if parts.scheme not in ("ws", "wss"):
        raise InvalidRelayAddress("it must start with wss://")
    if not host:
        raise InvalidRelayAddress("it names no host")
    if parts.username or parts.password:
        raise InvalidRelayAddress("it must not contain a user name or password")
    if parts.scheme == "ws" and not _is_loopback(host):
        raise InvalidRelayAddress(
            "unencrypted ws:// is only allowed for a relay on this machine; use wss://"
        )
    return RelayAddress(url, parts.scheme == "wss", host)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Socket:
    """One connection attempt: the WebSocket (once open), its outgoing queue, its task."""

    def __init__(self) -> None:
        self.ws: ClientConnection | None = None
        self.outgoing: asyncio.Queue[bytes] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.current = True  # events from a socket the machine has let go are dropped


class WebSocketLink(RelayLink):
    """The relay connection the engine uses.

    ``device`` and ``sign`` (the device's Ed25519 signature, e.g.
    ``protocol.Machine.sign``) authenticate it; leave both out for an
    anonymous link that serves only ``publish_identity``, ``find_identity``
    (a device joining an identity) and nothing else.  ``pins``: pin the
    relay's self-signed certificate (``--dev-tls`` relays) instead of
    verifying it against the system's authorities.  ``settings`` and ``rng``
    tune timeouts and make the backoff jitter reproducible.
    """

    def __init__(
        self,
        url: str,
        device: f.DeviceAddress | None = None,
        sign: Callable[[bytes], bytes] | None = None,
        *,
        pins: tls_pin.PinStore | None = None,
        settings: ConnectionSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.address = parse_relay_url(url)
        if pins is not None and not self.address.secure:
            raise InvalidRelayAddress("a pinned certificate needs a wss:// address")
        self.settings = settings or ConnectionSettings()
        self._machine = ConnectionMachine(url, device, sign, self.settings, rng)
        self._pins = pins
        self._futures: dict[int, asyncio.Future[f.Frame]] = {}
        self._timers: dict[Timer, asyncio.TimerHandle] = {}
        self._socket: _Socket | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._deliveries: asyncio.Queue[tuple[f.Incoming, ...] | None] = asyncio.Queue()
        self._dispatcher: asyncio.Task[None] | None = None
        self._online = asyncio.Event()
        self._closed = asyncio.Event()
        self._on_deliver: DeliverHandler | None = None
        self._on_status: StatusHandler | None = None
        self._on_online: OnlineHandler | None = None
        self._fingerprint = ""  # of the certificate the relay showed last (wss:// only)

    # --- lifecycle ------------------------------------------------------------------------

    async def start(
        self, on_deliver: DeliverHandler, on_status: StatusHandler, on_online: OnlineHandler
    ) -> None:
        if self._dispatcher is not None or self._closed.is_set():
            raise InternalError("a relay link starts once, and not after it was closed")
        self._on_deliver, self._on_status, self._on_online = on_deliver, on_status, on_online
        self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch())
        self._feed(Start())

    async def close(self) -> None:
        """Close for good: requests fail, a delivery handler in progress may finish (5 s).

        Safe to call from inside a handler (the engine locking on a push).
        """
        self._feed(CloseRequested())
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        with contextlib.suppress(asyncio.QueueEmpty):
            while True:  # batches not yet handed over could not be acknowledged anyway
                self._deliveries.get_nowait()
        me = asyncio.current_task()
        waiting = [task for task in self._tasks if task is not me]
        if self._dispatcher is not None:
            self._deliveries.put_nowait(None)
            if self._dispatcher is not me:
                waiting.append(self._dispatcher)
        if waiting:
            _, late = await asyncio.wait(waiting, timeout=5)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    @property
    def status(self) -> LinkStatus:
        return self._machine.status

    @property
    def certificate_fingerprint(self) -> str:
        return self._fingerprint

    async def wait_online(self, timeout: float) -> None:
        if self.status.state is LinkState.ONLINE:
            return
        if self.status.state is not LinkState.CLOSED:
            online = asyncio.ensure_future(self._online.wait())
            closed = asyncio.ensure_future(self._closed.wait())
            try:
                await asyncio.wait(
                    {online, closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                online.cancel()
                closed.cancel()
            if self._online.is_set():
                return
        raise self._machine.failure

    # --- directory ------------------------------------------------------------------------

    async def publish_identity(self, documents: Sequence[bytes]) -> None:
        await self._call(f.PublishIdentity(tuple(documents)), f.Ok)

    async def fetch_identity(self, identity_id: bytes, after_version: int = -1) -> list[bytes]:
        chain = await self._call(f.FetchIdentity(identity_id, after_version), f.IdentityChain)
        return list(chain.documents)

    async def find_identity(self, token_id: bytes) -> list[bytes]:
        chain = await self._call(f.FindIdentity(token_id), f.IdentityChain)
        return list(chain.documents)

    async def publish_keys(
        self, one_time: Sequence[f.SignedKey], fallback: f.SignedKey | None
    ) -> KeyStatus:
        batches = _batches(list(one_time), f.MAX_ITEMS) or [[]]
        count: f.KeyCount | None = None
        for i, batch in enumerate(batches):
            last = i == len(batches) - 1
            body = f.PublishKeys(tuple(batch), fallback if last else None)
            count = await self._call(body, f.KeyCount)
        assert count is not None
        return KeyStatus(count.one_time_keys_left, count.has_fallback_key)

    async def claim_keys(self, devices: Sequence[f.DeviceAddress]) -> list[f.ClaimedKey]:
        replies = await self._gather(
            [f.ClaimKeys(tuple(batch)) for batch in _batches(list(devices), f.MAX_ITEMS)],
            f.ClaimedKeys,
        )
        return [key for reply in replies for key in reply.keys]

    async def publish_pq_keys(
        self, one_time: Sequence[f.SignedPqKey], last_resort: f.SignedPqKey | None
    ) -> KeyStatus:
        batches = _batches(list(one_time), f.MAX_PQ_PUBLISH) or [[]]  # about 130 kB a frame
        count: f.PqKeyCount | None = None
        for i, batch in enumerate(batches):
            last = i == len(batches) - 1
            body = f.PublishPqKeys(tuple(batch), last_resort if last else None)
            count = await self._call(body, f.PqKeyCount)
        assert count is not None
        return KeyStatus(count.one_time_keys_left, count.has_last_resort_key)

    async def claim_pq_keys(self, devices: Sequence[f.DeviceAddress]) -> list[f.ClaimedPqKey]:
        replies = await self._gather(
            [f.ClaimPqKeys(tuple(b)) for b in _batches(list(devices), f.MAX_PQ_CLAIM)],
            f.ClaimedPqKeys,
        )
        return [key for reply in replies for key in reply.keys]

    # --- messages -------------------------------------------------------------------------

    async def send(self, messages: Sequence[f.Outgoing]) -> None:
        """Pipelined frames under the item and size limits; each is all or nothing."""
        frames: list[f.Frame] = [f.Send(tuple(part)) for part in _send_parts(messages)]
        await self._gather(frames, f.Sent)

    async def ack(self, queue_ids: Sequence[int]) -> None:
        frames: list[f.Frame] = [
            f.Ack(tuple(batch)) for batch in _batches(list(queue_ids), f.MAX_ITEMS)
        ]
        await self._gather(frames, f.Ok)

    # --- blobs ----------------------------------------------------------------------------

    async def upload_blob(
        self,
        chunks: Callable[[], Awaitable[bytes]],
        size: int,
        sha256: bytes,
        progress: Callable[[int], None] | None = None,
    ) -> bytes:
        started = await self._call(f.BlobBegin(size), f.BlobStarted)
        piece = max(1, min(started.chunk_size, f.MAX_BLOB_CHUNK))
        window: deque[tuple[asyncio.Future[f.Frame], int]] = deque()
        pending = bytearray()
        offset, eof = 0, False
        try:
            while True:
                while not eof and len(pending) < piece:
                    data = await chunks()
                    eof = not data
                    pending += data
                if not pending:
                    break
                part = bytes(pending[:piece])
                del pending[:piece]
                if offset + len(part) > size:
                    raise InternalError("the blob is longer than the size it was announced with")
                chunk = f.BlobChunk(started.upload_id, offset, part)
                offset += len(part)
                window.append((self._submit(chunk), offset))
                if len(window) >= BLOB_WINDOW:
                    await self._settle(window.popleft(), progress)
            while window:
                await self._settle(window.popleft(), progress)
        finally:
            for future, _ in window:
                _discard(future)
        if offset != size:
            raise InternalError("the blob is shorter than the size it was announced with")
        stored = await self._call(f.BlobFinish(started.upload_id, sha256), f.BlobStored)
        return stored.blob_id

    async def _settle(
        self, item: tuple[asyncio.Future[f.Frame], int], progress: Callable[[int], None] | None
    ) -> None:
        future, done = item
        _expect(await future, f.Ok)
        if progress is not None:
            progress(done)

    async def download_blob(
        self,
        blob_id: bytes,
        sink: Callable[[bytes], Awaitable[None]],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        piece = f.MAX_BLOB_CHUNK
        first = await self._call(f.BlobGet(blob_id, 0, piece), f.BlobData)
        total = first.total_size
        if len(first.data) != min(piece, total):
            raise MalformedData("the relay returned a blob part of the wrong size")
        window: deque[tuple[asyncio.Future[f.Frame], int]] = deque()
        done = next_offset = len(first.data)
        try:
            if first.data:
                await sink(first.data)
            if progress is not None:
                progress(done)
            while done < total:
                while next_offset < total and len(window) < BLOB_WINDOW:
                    length = min(piece, total - next_offset)
                    window.append((self._submit(f.BlobGet(blob_id, next_offset, length)), length))
                    next_offset += length
                future, length = window.popleft()
                reply = _expect(await future, f.BlobData)
                if len(reply.data) != length or reply.total_size != total:
                    raise MalformedData("the relay returned a blob part of the wrong size")
                await sink(reply.data)
                done += length
                if progress is not None:
                    progress(done)
        finally:
            for future, _ in window:
                _discard(future)
        return total

    # --- requests -------------------------------------------------------------------------

    def _submit(self, body: f.Frame, timeout_ms: int | None = None) -> asyncio.Future[f.Frame]:
        future: asyncio.Future[f.Frame] = asyncio.get_running_loop().create_future()
        request_id = self._machine.new_request_id()
        self._futures[request_id] = future
        future.add_done_callback(lambda fut: self._request_done(request_id, fut))
        ms = self.settings.request_timeout_ms if timeout_ms is None else timeout_ms
        self._feed(RequestSubmitted(request_id, body, ms))
        return future

    def _request_done(self, request_id: int, future: asyncio.Future[f.Frame]) -> None:
        if self._futures.pop(request_id, None) is not None and future.cancelled():
            self._feed(RequestCancelled(request_id))

    async def _call(self, body: f.Frame, expect: type[_F]) -> _F:
        return _expect(await self._submit(body), expect)

    async def _gather(self, bodies: Sequence[f.Frame], expect: type[_F]) -> list[_F]:
        futures = [self._submit(body) for body in bodies]
        replies = await asyncio.gather(*futures, return_exceptions=True)
        frames: list[_F] = []
        for reply in replies:
            if isinstance(reply, BaseException):
                raise reply
            frames.append(_expect(reply, expect))
        return frames

    # --- driving the machine --------------------------------------------------------------

    def _feed(self, event: Event) -> None:
        for action in self._machine.handle(event):
            self._do(action)

    def _do(self, action: Action) -> None:
        match action:
            case SendFrame(data):
                if self._socket is not None and self._socket.current:
                    self._socket.outgoing.put_nowait(data)
            case ResolveRequest(request_id, body):
                future = self._futures.pop(request_id, None)
                if future is not None and not future.done():
                    future.set_result(body)
            case RejectRequest(request_id, error):
                future = self._futures.pop(request_id, None)
                if future is not None and not future.done():
                    future.set_exception(error)
            case ScheduleTimer(timer, delay_ms):
                old = self._timers.pop(timer, None)
                if old is not None:
                    old.cancel()
                loop = asyncio.get_running_loop()
                self._timers[timer] = loop.call_later(delay_ms / 1000, self._fire, timer)
            case CancelTimer(timer):
                handle = self._timers.pop(timer, None)
                if handle is not None:
                    handle.cancel()
            case DeliverBatch(messages):
                self._deliveries.put_nowait(messages)
            case OpenSocket():
                sock = self._socket = _Socket()
                sock.task = asyncio.get_running_loop().create_task(self._run_socket(sock))
            case CloseSocket(code, reason):
                old_socket, self._socket = self._socket, None
                if old_socket is not None:
                    old_socket.current = False
                    self._spawn(self._shutdown(old_socket, code, reason))
            case StatusChanged(status):
                self._status_changed(status)
            case WentOnline(keys):
                if self._on_online is not None:
                    handler = self._on_online(keys)
                    self._spawn(self._guard("online handler", handler), handler)

    def _fire(self, timer: Timer) -> None:
        self._timers.pop(timer, None)
        self._feed(TimerFired(timer))

    def _status_changed(self, status: LinkStatus) -> None:
        retry = f", retry in {status.retry_in_ms} ms" if status.retry_in_ms is not None else ""
        reason = f" ({status.reason})" if status.reason else ""
        log.info("relay link %s%s%s", status.state.value, retry, reason)
        if status.state is LinkState.ONLINE:
            self._online.set()
        else:
            self._online.clear()
        if status.state is LinkState.CLOSED:
            self._closed.set()
        if self._on_status is not None:
            try:
                self._on_status(status)
            except Exception as exc:
                log.error("relay status handler failed: %s", type(exc).__name__)

    def _spawn(self, coro: Awaitable[None], *inner: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(_as_coroutine(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        # cancelled before it ran, a task never starts its coroutines: close them, so no
        # "coroutine ... was never awaited" warning reaches a person
        for c in (coro, *inner):
            if inspect.iscoroutine(c):
                task.add_done_callback(_closer(c))

    async def _guard(self, what: str, coro: Awaitable[None]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # we are being stopped; a cancellation from inside the handler is not
            log.debug("relay %s was cancelled", what)  # e.g. the engine closing meanwhile
        except Exception as exc:  # the engine's bug or a failed request: the link lives on
            log.error("relay %s failed: %s", what, type(exc).__name__)

    async def _dispatch(self) -> None:
        """Hand pushed batches to the engine one at a time, in order."""
        while (batch := await self._deliveries.get()) is not None:
            if self._on_deliver is not None:
                await self._guard("delivery handler", self._on_deliver(batch))

    # --- sockets --------------------------------------------------------------------------

    async def _run_socket(self, sock: _Socket) -> None:
        try:
            ws = await connect(
                self.address.url,
                ssl=self._ssl_context(),
                max_size=f.MAX_FRAME_SIZE,
                compression=None,
                open_timeout=self.settings.connect_timeout_ms / 1000,
                ping_interval=None,  # the machine's keepalive is the one that counts
                close_timeout=2,
                user_agent_header=None,
                logger=_ws_log,
            )
        except Exception as exc:
            self._socket_failed(sock, _describe_failure(exc))
            return
        sock.ws = ws
        writer: asyncio.Task[None] | None = None
        try:
            if self._pins is not None:
                try:
                    await tls_pin.check_pin(_peer_certificate(ws), self._pins)
                except RelayCertificateChanged as exc:
                    await ws.close()
                    self._socket_failed(sock, "the relay's certificate changed", refusal=exc)
                    return
            if self.address.secure:
                der = _peer_certificate(ws)
                self._fingerprint = tls_pin.certificate_fingerprint(der) if der else ""
            writer = asyncio.get_running_loop().create_task(self._write(sock, ws))
            self._feed_from(sock, Connected())
            reason = ""
            try:
                async for data in ws:
                    self._received(sock, data)
                    # A backlog arrives as frames already buffered, which `async for`
                    # hands over without suspending: decode one, then let the loop
                    # (and a GUI on it) run before the next.
                    await asyncio.sleep(0)
            except ConnectionClosed:
                pass
            except Exception as exc:  # not expected: report it as a failed connection
                log.error("relay connection failed: %s", type(exc).__name__)
                reason = f"the connection to the relay failed ({type(exc).__name__})"
            self._socket_failed(sock, reason or _describe_close(ws), ws.close_code)
        finally:
            if writer is not None:
                writer.cancel()
            if not sock.current:
                with contextlib.suppress(Exception):
                    await ws.close()

    def _received(self, sock: _Socket, data: bytes | str) -> None:
        if isinstance(data, str):
            self._feed_from(sock, BadFrame("a text message"))
            return
        try:
            envelope = f.decode_frame(data)
        except MalformedData as exc:
            self._feed_from(sock, BadFrame(exc.detail))
            return
        self._feed_from(sock, FrameReceived(envelope))

    async def _write(self, sock: _Socket, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.send(await sock.outgoing.get())

    def _ssl_context(self) -> ssl.SSLContext | None:
        if not self.address.secure:
            return None
        if self._pins is not None:
            return tls_pin.pinning_context()
        return tls_pin.verifying_context()

    def _feed_from(self, sock: _Socket, event: Event) -> None:
        if sock.current:
            self._feed(event)

    def _socket_failed(
        self,
        sock: _Socket,
        reason: str,
        code: int | None = None,
        refusal: RelayUnavailable | None = None,
    ) -> None:
        if sock.current:
            sock.current = False
            if self._socket is sock:
                self._socket = None
            self._feed(SocketClosed(reason, code, refusal))

    async def _shutdown(self, sock: _Socket, code: int, reason: str) -> None:
        if sock.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sock.ws.close(code, reason), 3)
        if sock.task is not None and sock.task is not asyncio.current_task():
            sock.task.cancel()
            with contextlib.suppress(BaseException):
                await sock.task


# --- helpers -----------------------------------------------------------------------------


def _expect(reply: f.Frame, cls: type[_F]) -> _F:
    if not isinstance(reply, cls):
        raise MalformedData(f"the relay answered with {reply.TYPE} instead of {cls.TYPE}")
    return reply


def _discard(future: asyncio.Future[f.Frame]) -> None:
    """Stop waiting for a request we no longer need (and swallow its outcome)."""
    if future.done():
        if not future.cancelled():
            future.exception()
    else:
        future.cancel()


def _closer(coro: Coroutine[Any, Any, Any]) -> Callable[[object], None]:
    return lambda _: coro.close()


async def _as_coroutine(awaitable: Awaitable[None]) -> None:
    await awaitable


_T = TypeVar("_T")


def _batches(items: list[_T], size: int) -> list[list[_T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _send_parts(messages: Sequence[f.Outgoing]) -> list[list[f.Outgoing]]:
    """Split a send so each frame stays under MAX_ITEMS and the frame size limit."""
    parts: list[list[f.Outgoing]] = []
    current: list[f.Outgoing] = []
    used = 0
    for message in messages:
        cost = len(message.payload) + len(message.to.identity_id) + len(message.to.device_id) + 64
        if current and (len(current) >= f.MAX_ITEMS or used + cost > _SEND_BUDGET):
            parts.append(current)
            current, used = [], 0
        current.append(message)
        used += cost
    if current:
        parts.append(current)
    return parts


def _peer_certificate(ws: ClientConnection) -> bytes | None:
    ssl_object = ws.transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return bytes(der) if der else None


def _describe_failure(exc: BaseException) -> str:
    """Why a connection attempt failed, for people (no addresses of ours, no secrets)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the relay's TLS certificate could not be verified ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return "the TLS handshake with the relay failed"
    if isinstance(exc, InvalidStatus):
        return f"the relay answered HTTP {exc.response.status_code}"
    if isinstance(exc, TimeoutError):
        return "the relay did not answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "the relay refused the connection (is it running?)"
    if isinstance(exc, OSError):
        return f"the relay cannot be reached ({exc.strerror or type(exc).__name__})"
    if isinstance(exc, WebSocketException):
        return f"the WebSocket handshake with the relay failed ({type(exc).__name__})"
    return f"connecting to the relay failed ({type(exc).__name__})"


def _describe_close(ws: ClientConnection) -> str:
    code, reason = ws.close_code, ws.close_reason
    if code is None or code == 1006:
        return "the connection to the relay was lost"
    if code == 1001:
        return "the relay is shutting down"
    detail = f" {reason}" if reason else ""
    return f"the relay closed the connection ({code}{detail})"
