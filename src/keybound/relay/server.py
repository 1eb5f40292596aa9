"""The socket layer: WebSocket connections in, :class:`Session` calls out.

Kept thin on purpose (wormhole-mailbox-server's split between the mailbox
logic and its WebSocket adapter): this module only accepts connections,
applies connection limits and timeouts, moves bytes between the socket and
the session, and shuts down gracefully.  Everything about frames is in
``session.py``.

Limits applied here:
- total and per-IP connection caps, and the same two caps for connections
  not yet authenticated: refused with HTTP 503 before the WebSocket opens
  (and re-checked when it opens, for races);
- before authentication a connection may send frames of at most
  ``preauth_max_frame_size`` and has at most one frame queued behind the one
  in hand (reading pauses); authenticated, the full frame size and a queue
  of four.  So a connection that never authenticates holds little, and the
  pre-auth caps bound how many do;
- the opening handshake (TLS + HTTP upgrade) must finish within
  ``handshake_timeout_s``; authentication within ``auth_timeout_s``; after
  that a connection that sends no complete frame for ``idle_timeout_s`` is
  closed.  A slow-loris that trickles a frame never completes one, so the
  same timers end it;
- frames over ``max_frame_size`` make ``websockets`` close with 1009;
- permessage-deflate is off: it costs ~64 KiB of zlib state per connection
  and compressing ciphertext gains nothing;
- after a wave of closed connections the freed heap is given back to the
  system (:mod:`.memory`).
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
import ssl
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from keybound.relay.core import RelayCore
from keybound.relay.logs import log_event
from keybound.relay.memory import HeapTrimmer
from keybound.relay.session import (
    CLOSE_POLICY,
    CLOSE_TRY_LATER,
    Session,
    TransportClosed,
)
from keybound.wire import frames as f

log = logging.getLogger("keybound.relay")

_PREAUTH_QUEUE = 1  # frames waiting behind the one in hand before authentication
_QUEUE = 4  # and after it


class _WebSocketTransport:
    __slots__ = ("_conn",)

    def __init__(self, conn: ServerConnection) -> None:
        self._conn = conn

    @property
    def conn(self) -> ServerConnection:
        return self._conn

    async def send(self, data: bytes) -> None:
        try:
            await self._conn.send(data)
        except ConnectionClosed:
            raise TransportClosed() from None

    async def close(self, code: int, reason: str) -> None:
        await self._conn.close(code, reason)


def _ip(conn: ServerConnection) -> str:
    address = conn.remote_address
    if isinstance(address, tuple) and address:
        return str(address[0])
    return "unknown"


class _Watchdog:
    """The idle and authentication timeouts of one connection, with one timer.

    The rule: waiting for the next frame may last ``idle_s`` (and, before
    authentication, not past the authentication deadline).  A timer per
    frame (``asyncio.timeout`` around each ``recv``) cost a timer-heap insert
    and removal per frame, 5% of the relay's CPU under load.  Instead one
    timer fires rarely: it looks at when the current wait began and either
    moves itself to that wait's deadline or, if the connection is still
    waiting past it, expires ``timer``, which interrupts the wait with
    ``TimeoutError``.  It never interrupts a frame being handled.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        timer: asyncio.Timeout,
        session: Session,
        idle_s: float,
        auth_s: float,
    ) -> None:
        self._loop = loop
        self._timer = timer
        self._session = session
        self._idle_s = idle_s
        self._auth_deadline = loop.time() + auth_s
        self._since = loop.time()
        self.waiting = False
        self._handle = loop.call_at(self._deadline(), self._check)

    def wait(self) -> None:
        """A wait for the next frame begins now."""
        self._since = self._loop.time()
        self.waiting = True

    def stop(self) -> None:
        self._handle.cancel()

    def _deadline(self, since: float | None = None) -> float:
        """When a wait that began at ``since`` (default: the current one) ends."""
        deadline = (self._since if since is None else since) + self._idle_s
        if not self._session.authenticated:
            deadline = min(deadline, self._auth_deadline)
        return deadline

    def _check(self) -> None:
        now = self._loop.time()
        if self.waiting:
            deadline = self._deadline()
            if now >= deadline:
                self._timer.reschedule(now)  # expires at once: the recv raises
                return
        else:  # a frame is being handled; the next wait begins later than now
            deadline = self._deadline(since=now)
        self._handle = self._loop.call_at(max(deadline, now + 0.05), self._check)


def _widen(conn: ServerConnection, max_frame_size: int) -> None:
    """An authenticated connection: full-size frames, and a longer queue.

    websockets reads both limits as it goes (the parser checks
    ``max_message_size`` at every frame header; the assembler compares its
    queue with ``high``/``low`` at every frame), so they can change mid-connection.
    """
    conn.protocol.max_message_size = max_frame_size
    conn.recv_messages.high, conn.recv_messages.low = _QUEUE, _QUEUE // 4


class RelayServer:
    """Serve one :class:`RelayCore` on a host and port."""

    def __init__(
        self,
        core: RelayCore,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.core = core
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self._server: Server | None = None
        self._sessions: set[Session] = set()
        self._trimmer = HeapTrimmer()
        core.authenticated_hook = self._authenticated

    async def start(self) -> int:
        """Listen; returns the bound port (useful with port 0)."""
        cfg = self.core.config
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            ssl=self.ssl_context,
            compression=None,
            max_size=min(cfg.preauth_max_frame_size, cfg.max_frame_size),  # widened at auth
            max_queue=_PREAUTH_QUEUE,
            write_limit=64 * 1024,
            open_timeout=cfg.handshake_timeout_s,
            ping_interval=cfg.ping_interval_s,
            ping_timeout=cfg.ping_interval_s,
            close_timeout=2,  # a peer that ignores our close frame is cut off
            process_request=self._process_request,
            server_header=None,
            logger=logging.getLogger("websockets.server"),
        )
        sockname = next(iter(self._server.sockets)).getsockname()
        self.port = int(sockname[1])
        return self.port

    def _authenticated(self, session: Any) -> None:
        """A connection authenticated: it leaves the pre-auth count and its limits widen."""
        assert isinstance(session, Session)
        self.core.preauth.remove(session.ip)
        transport = session.transport
        if isinstance(transport, _WebSocketTransport):
            _widen(transport.conn, self.core.config.max_frame_size)

    def _refusal(self, ip: str) -> str | None:
        """Why a new connection from ``ip`` is refused (counted by cap), or None."""
        refusal = self.core.connections.refusal(ip)
        reason = "limit"
        if refusal is None:
            refusal, reason = self.core.preauth.refusal(ip), "preauth_limit"
        if refusal is not None:
            self.core.metrics.connections_refused.labels(reason).inc()
        return refusal

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        """Refuse over-limit connections with 503 before upgrading."""
        refusal = self._refusal(_ip(conn))
        if refusal is None:
            return None
        return conn.respond(http.HTTPStatus.SERVICE_UNAVAILABLE, refusal + "\n")

    async def _handle(self, conn: ServerConnection) -> None:
        core, cfg = self.core, self.core.config
        ip = _ip(conn)
        refusal = self._refusal(ip)
        if refusal is not None:
            await conn.close(CLOSE_TRY_LATER, refusal)
            return
        transport = _WebSocketTransport(conn)
        if core.unauth_limiter.take(ip):
            core.metrics.connections_refused.labels("rate").inc()
            core.metrics.rate_limited.labels("connect").inc()
            with contextlib.suppress(TransportClosed):
                await transport.send(
                    f.encode_frame(0, f.Error(f.ErrorCode.RATE_LIMITED, "too many connections"))
                )
            await conn.close(CLOSE_POLICY, "rate limited")
            return
        core.connections.add(ip)
        core.preauth.add(ip)
        self._trimmer.opened(core.connections.total)
        core.metrics.connections.inc()
        session = Session(core, transport, ip)
        self._sessions.add(session)
        loop = asyncio.get_running_loop()
        try:
            await transport.send(session.hello())
            async with asyncio.timeout(None) as timer:
                watchdog = _Watchdog(loop, timer, session, cfg.idle_timeout_s, cfg.auth_timeout_s)
                try:
                    while not session.closed:
                        watchdog.wait()
                        data = await conn.recv()
                        watchdog.waiting = False
                        await session.handle(data)
                finally:
                    watchdog.stop()
        except TimeoutError:
            log_event(log, "timeout", ip=ip, authenticated=session.authenticated)
            with contextlib.suppress(ConnectionClosed, TransportClosed):
                await session.timed_out()
        except (ConnectionClosed, TransportClosed):
            pass
        finally:
            session.finished()
            self._sessions.discard(session)
            core.connections.remove(ip)
            if not session.authenticated:  # else _authenticated took it off
                core.preauth.remove(ip)
            core.metrics.connections.dec()
            self._trimmer.closed(core.connections.total)

    async def shutdown(self, grace_s: float = 10.0) -> None:
        """Stop accepting, let frames in hand finish (sends become durable and
        are acknowledged), close every connection with 1001, then return."""
        self._trimmer.stop()
        if self._server is None:
            return
        self._server.close(close_connections=False)  # stops listening at once
        drains = [session.drain() for session in list(self._sessions)]
        if drains:
            await asyncio.gather(*drains, return_exceptions=True)
        try:
            async with asyncio.timeout(grace_s):
                await self._server.wait_closed()
        except TimeoutError:
            log_event(log, "shutdown_forced", level=logging.WARNING, open=len(self._sessions))
            for conn in list(self._server.connections):
                conn.transport.abort()
