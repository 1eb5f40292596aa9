"""The relay connection as a sans-I/O state machine.

Like magic-wormhole's ``_mailbox.py`` machines, this module does no I/O: it
takes events (the socket opened, a frame arrived, a timer fired, the engine
submitted a request ...) and answers each with the list of actions the
adapter must carry out (open a socket, send these bytes, arm a timer, hand a
batch to the engine, settle a request ...).  Every decision about the
connection's life lives here, so tests can drive it event by event and
assert the exact actions, without sockets, clocks or randomness they do not
control; ``connection.py`` only translates between this and ``websockets``.

Life of a connection::

    IDLE --start--> CONNECTING --socket open--> HANDSHAKE --challenge--> PREAUTH
    PREAUTH --(pre-auth replies in)--> AUTHENTICATING --authenticated--> ONLINE
    any connected phase --failure--> WAITING --reconnect timer--> CONNECTING
    any phase --close--> CLOSED

- Requests carry ids; a reply or ``error`` frame with the same id settles
  them; each has its own timeout.  Requests submitted while an attempt is
  under way wait for it; when it fails (or the connection drops) every
  unsettled request fails with :class:`~keybound.errors.RelayUnavailable`, so
  the engine retries from its durable outbox.  While waiting to retry,
  requests fail at once rather than hang through the backoff.
- ``publish_identity``, ``find_identity`` and ``ping`` are served by the relay
  before authentication: they are sent as soon as the challenge arrives, and
  the machine authenticates only once their replies are in (a new account's
  device can authenticate only after its chain is published).  One submitted
  while waiting to retry starts an attempt at once: publishing a chain is
  exactly what can turn an ``auth_failed`` into a success.
- Reconnects back off exponentially with jitter (the random source is
  injected: seeded in tests), capped, and reset once a connection has stayed
  up for a while.  A refusal (``auth_failed``, replaced by another
  connection of this device, a changed TLS certificate) waits the long delay
  instead of hammering the relay.
- Keepalive: when a keepalive period passes with nothing heard from the relay,
  or nothing sent to it (the relay closes connections idle for minutes), a
  ``ping`` goes out; when the next period passes still without a word, the
  connection is declared dead and replaced.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from dataclasses import dataclass

from keybound.client.link import KeyStatus, LinkState, LinkStatus
from keybound.errors import (
    InternalError,
    KeyboundError,
    MalformedData,
    RelayRefused,
    RelayUnavailable,
)
from keybound.wire import frames as f

# WebSocket close codes the relay uses (docs/relay-protocol.md).
CLOSE_NORMAL = 1000
CLOSE_PROTOCOL = 1002
CLOSE_POLICY = 1008
CLOSE_REPLACED = 4001

PRE_AUTH_REQUESTS: tuple[type[f.Frame], ...] = (f.PublishIdentity, f.FindIdentity, f.Ping)


@dataclass(frozen=True)
class ConnectionSettings:
    """Timing of the connection, in milliseconds."""

    connect_timeout_ms: int = 15_000  # socket + TLS + WebSocket + challenge + authentication
    request_timeout_ms: int = 30_000  # default per request (the adapter applies it)
    keepalive_ms: int = 25_000  # dead connections are noticed within two periods
    backoff_base_ms: int = 500  # first retry after a failure (before jitter)
    backoff_cap_ms: int = 30_000
    refused_retry_ms: int = 30_000  # after auth_failed, replaced, or a changed certificate
    stable_ms: int = 10_000  # online this long: the next failure starts the backoff afresh


class Phase(enum.Enum):
    IDLE = "idle"  # not started
    CONNECTING = "connecting"  # socket (TCP, TLS, WebSocket) opening
    HANDSHAKE = "handshake"  # socket open, waiting for the challenge
    PREAUTH = "preauth"  # challenged; pre-auth requests in flight
    AUTHENTICATING = "authenticating"  # authenticate sent
    ONLINE = "online"
    WAITING = "waiting"  # after a failure, until the reconnect timer fires
    CLOSED = "closed"


_ATTEMPTING = (Phase.CONNECTING, Phase.HANDSHAKE, Phase.PREAUTH, Phase.AUTHENTICATING)
_LIVE = (*_ATTEMPTING, Phase.ONLINE)


class TimerKind(enum.StrEnum):
    RECONNECT = "reconnect"
    CONNECT = "connect"
    KEEPALIVE = "keepalive"
    STABLE = "stable"
    REQUEST = "request"


@dataclass(frozen=True)
class Timer:
    """Names one timer; arming a timer again replaces it."""

    kind: TimerKind
    request_id: int = 0


# --- events (inputs) -------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    pass


@dataclass(frozen=True)
class Connected:
    """The socket is open (and, under pinning, its certificate checked)."""


@dataclass(frozen=True)
class FrameReceived:
    envelope: f.Envelope


@dataclass(frozen=True)
class BadFrame:
    """The relay sent bytes that are not a frame this version can read."""

    detail: str


@dataclass(frozen=True)
class SocketClosed:
    """The socket closed or could not be opened.

    ``reason`` is for people and logs (no secrets); ``refusal`` (a changed
    certificate, say) makes this a refusal: requests fail with that error
    and the retry waits the long delay.
    """

    reason: str
    code: int | None = None
    refusal: RelayUnavailable | None = None


@dataclass(frozen=True)
class TimerFired:
    timer: Timer


@dataclass(frozen=True)
class CloseRequested:
    pass


@dataclass(frozen=True)
class RequestSubmitted:
    request_id: int  # from ConnectionMachine.new_request_id()
    body: f.Frame
    timeout_ms: int


@dataclass(frozen=True)
class RequestCancelled:
    """The caller stopped waiting; a late reply is ignored."""

    request_id: int


Event = (
    Start
    | Connected
    | FrameReceived
    | BadFrame
    | SocketClosed
    | TimerFired
    | CloseRequested
    | RequestSubmitted
    | RequestCancelled
)


# --- actions (outputs) -----------------------------------------------------------------


@dataclass(frozen=True)
class OpenSocket:
    url: str


@dataclass(frozen=True)
class SendFrame:
    data: bytes


@dataclass(frozen=True)
class CloseSocket:
    code: int
    reason: str


@dataclass(frozen=True)
class ScheduleTimer:
    timer: Timer
    delay_ms: int


@dataclass(frozen=True)
class CancelTimer:
    timer: Timer


@dataclass(frozen=True)
class DeliverBatch:
    """Pushed messages for the engine, which acknowledges them after committing."""

    messages: tuple[f.Incoming, ...]


@dataclass(frozen=True)
class ResolveRequest:
    request_id: int
    body: f.Frame


@dataclass(frozen=True)
class RejectRequest:
    request_id: int
    error: KeyboundError


@dataclass(frozen=True)
class StatusChanged:
    status: LinkStatus


@dataclass(frozen=True)
class WentOnline:
    """Authenticated (again): the key counts the relay reported."""

    keys: KeyStatus


Action = (
    OpenSocket
    | SendFrame
    | CloseSocket
    | ScheduleTimer
    | CancelTimer
    | DeliverBatch
    | ResolveRequest
    | RejectRequest
    | StatusChanged
    | WentOnline
)


@dataclass
class _Request:
    data: bytes
    pre_auth: bool
    sent: bool = False


class ConnectionMachine:
    """One relay connection's decisions.  Feed :meth:`handle`; carry out what it returns.

    ``device`` and ``sign`` (the device's Ed25519 signature, e.g.
    ``protocol.Machine.sign``) authenticate the connection; without them the
    connection stays anonymous and serves only the pre-auth requests (a new
    device looking up its identity before it has joined).
    """

    def __init__(
        self,
        url: str,
        device: f.DeviceAddress | None,
        sign: Callable[[bytes], bytes] | None,
        settings: ConnectionSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if (device is None) != (sign is None):
            raise InternalError("a device address needs its signing function, and vice versa")
        self.url = url
        self.device = device
        self._sign = sign
        self.settings = settings or ConnectionSettings()
        self._rng = rng or random.SystemRandom()
        self.phase = Phase.IDLE
        self.status = LinkStatus(LinkState.DISCONNECTED)
        self._last_id = 0
        self._requests: dict[int, _Request] = {}  # unsettled, in submission order
        self._preauth_inflight: set[int] = set()
        self._timers: set[Timer] = set()
        self._failures = 0  # consecutive failed attempts (reset once stable)
        self._failure: RelayUnavailable = RelayUnavailable("not connected yet")
        self._out: list[Action] = []
        self._reset_connection()

    # --- public -------------------------------------------------------------------------

    def new_request_id(self) -> int:
        self._last_id += 1
        return self._last_id

    @property
    def failure(self) -> RelayUnavailable:
        """Why the last attempt failed (what a request or ``wait_online`` should raise)."""
        if self.phase is Phase.CLOSED:
            return RelayUnavailable("the connection to the relay was closed")
        return self._failure

    def handle(self, event: Event) -> list[Action]:
        self._out = []
        match event:
            case Start():
                if self.phase is Phase.IDLE:
                    self._open()
            case Connected():
                if self.phase is Phase.CONNECTING:
                    self.phase = Phase.HANDSHAKE
            case FrameReceived(envelope):
                if self.phase in _LIVE:
                    self._frame(envelope)
            case BadFrame(detail):
                if self.phase in _LIVE:
                    self._fail(
                        f"the relay sent data this version cannot read ({detail})",
                        close=CLOSE_PROTOCOL,
                    )
            case SocketClosed(reason, code, refusal):
                if self.phase in _LIVE:
                    self._closed(reason, code, refusal)
            case TimerFired(timer):
                if timer in self._timers:
                    self._timers.discard(timer)
                    self._timer(timer)
            case CloseRequested():
                self._close()
            case RequestSubmitted(request_id, body, timeout_ms):
                self._submit(request_id, body, timeout_ms)
            case RequestCancelled(request_id):
                if self._requests.pop(request_id, None) is not None:
                    self._cancel(Timer(TimerKind.REQUEST, request_id))
                    self._preauth_done(request_id)
        return self._out

    # --- helpers that emit actions ---------------------------------------------------------

    def _emit(self, action: Action) -> None:
        self._out.append(action)

    def _send(self, data: bytes) -> None:
        self._sent_since = True
        self._emit(SendFrame(data))

    def _schedule(self, timer: Timer, delay_ms: int) -> None:
        self._timers.add(timer)
        self._emit(ScheduleTimer(timer, delay_ms))

    def _cancel(self, timer: Timer) -> None:
        if timer in self._timers:
            self._timers.discard(timer)
            self._emit(CancelTimer(timer))

    def _set_status(self, status: LinkStatus) -> None:
        if status != self.status:
            self.status = status
            self._emit(StatusChanged(status))

    def _reset_connection(self) -> None:
        self._challenge: f.Challenge | None = None
        self._auth_id: int | None = None
        self._ping_pending = False
        self._heard = False
        self._sent_since = False
        self._server_error: f.Error | None = None
        self._preauth_inflight.clear()

    # --- transitions ------------------------------------------------------------------------

    def _open(self) -> None:
        self._reset_connection()
        self.phase = Phase.CONNECTING
        self._emit(OpenSocket(self.url))
        self._schedule(Timer(TimerKind.CONNECT), self.settings.connect_timeout_ms)
        self._set_status(LinkStatus(LinkState.CONNECTING, None, self.status.reason))

    def _frame(self, envelope: f.Envelope) -> None:
        self._heard = True
        body, rid = envelope.body, envelope.request_id
        if rid == 0:
            self._pushed(body)
        elif rid == self._auth_id:
            self._auth_reply(body)
        elif rid in self._requests and self._requests[rid].sent:
            del self._requests[rid]
            self._cancel(Timer(TimerKind.REQUEST, rid))
            if isinstance(body, f.Error):
                self._emit(RejectRequest(rid, _refused(body)))
            else:
                self._emit(ResolveRequest(rid, body))
            self._preauth_done(rid)
        # else: a late reply to a request that timed out or was cancelled, or a pong

    def _pushed(self, body: f.Frame) -> None:
        if isinstance(body, f.Challenge):
            if self.phase is Phase.HANDSHAKE:
                self._challenged(body)
        elif isinstance(body, f.Deliver):
            if self.phase is Phase.ONLINE and self.device is not None and body.messages:
                self._emit(DeliverBatch(body.messages))
        elif isinstance(body, f.Error):
            # unpaired: rate limited at connect, authentication timeout, ...; the
            # relay closes the socket next, and that failure reports this reason
            self._server_error = body

    def _challenged(self, challenge: f.Challenge) -> None:
        self._challenge = challenge
        self.phase = Phase.PREAUTH
        for rid, request in self._requests.items():
            if request.pre_auth and not request.sent:
                request.sent = True
                self._preauth_inflight.add(rid)
                self._send(request.data)
        if not self._preauth_inflight:
            self._authenticate()

    def _preauth_done(self, request_id: int) -> None:
        if request_id in self._preauth_inflight:
            self._preauth_inflight.discard(request_id)
            if self.phase is Phase.PREAUTH and not self._preauth_inflight:
                self._authenticate()

    def _authenticate(self) -> None:
        if self.device is None or self._sign is None:
            self._online(None)
            return
        assert self._challenge is not None
        try:
            signature = self._sign(f.auth_signing_bytes(self._challenge, self.device))
        except Exception as exc:  # e.g. the keys were dropped when the profile locked
            reason = f"this device cannot sign in right now ({type(exc).__name__})"
            self._fail(reason, close=CLOSE_NORMAL, refused=True)
            return
        self._auth_id = self.new_request_id()
        self.phase = Phase.AUTHENTICATING
        self._send(f.encode_frame(self._auth_id, f.Authenticate(self.device, signature)))

    def _auth_reply(self, body: f.Frame) -> None:
        self._auth_id = None
        if isinstance(body, f.Authenticated):
            self._online(KeyStatus(body.one_time_keys_left, body.has_fallback_key))
        elif isinstance(body, f.Error):
            refused = body.code is f.ErrorCode.AUTH_FAILED
            what = "did not accept this device" if refused else "could not authenticate this device"
            self._fail(f"the relay {what} ({body.code.value})", close=CLOSE_NORMAL, refused=refused)
        else:
            self._fail("the relay answered the login with something else", close=CLOSE_PROTOCOL)

    def _online(self, keys: KeyStatus | None) -> None:
        self.phase = Phase.ONLINE
        self._cancel(Timer(TimerKind.CONNECT))
        self._schedule(Timer(TimerKind.KEEPALIVE), self.settings.keepalive_ms)
        self._schedule(Timer(TimerKind.STABLE), self.settings.stable_ms)
        for request in self._requests.values():
            if not request.sent:
                request.sent = True
                self._send(request.data)
        self._set_status(LinkStatus(LinkState.ONLINE))
        if keys is not None:
            self._emit(WentOnline(keys))

    def _closed(self, reason: str, code: int | None, refusal: RelayUnavailable | None) -> None:
        server = self._server_error
        refused = refusal is not None
        if code == CLOSE_REPLACED:
            reason, refused = "another connection of this device replaced this one", True
        elif server is not None:
            detail = f": {server.message}" if server.message else ""
            reason = f"the relay closed the connection ({server.code.value}{detail})"
            refused = refused or server.code is f.ErrorCode.AUTH_FAILED
        self._fail(reason, close=None, refused=refused, error=refusal)

    def _fail(
        self,
        reason: str,
        *,
        close: int | None,
        refused: bool = False,
        error: RelayUnavailable | None = None,
    ) -> None:
        """This attempt or connection is over: settle everything, then wait to retry."""
        if close is not None:
            self._emit(CloseSocket(close, reason[:120]))
        for kind in (TimerKind.CONNECT, TimerKind.KEEPALIVE, TimerKind.STABLE):
            self._cancel(Timer(kind))
        self._failure = error or RelayUnavailable(reason)
        self._reject_all(self._failure)
        hint = self._server_error.retry_after_ms if self._server_error else None
        if refused:
            delay = self._jitter(self.settings.refused_retry_ms)
        else:
            exponent = min(self._failures, 30)
            ceiling = min(self.settings.backoff_cap_ms, self.settings.backoff_base_ms << exponent)
            delay = self._jitter(ceiling)
        if hint is not None:
            delay = max(delay, hint)
        self._failures += 1
        self._reset_connection()
        self.phase = Phase.WAITING
        self._schedule(Timer(TimerKind.RECONNECT), delay)
        self._set_status(LinkStatus(LinkState.CONNECTING, delay, reason))

    def _jitter(self, ms: int) -> int:
        """Between half and all of ``ms``: spreads many clients, never retries at once."""
        return int(ms * (0.5 + 0.5 * self._rng.random()))

    def _reject_all(self, error: KeyboundError) -> None:
        for rid in list(self._requests):
            del self._requests[rid]
            self._cancel(Timer(TimerKind.REQUEST, rid))
            self._emit(RejectRequest(rid, error))

    def _timer(self, timer: Timer) -> None:
        match timer.kind:
            case TimerKind.RECONNECT:
                if self.phase is Phase.WAITING:
                    self._open()
            case TimerKind.CONNECT:
                if self.phase in _ATTEMPTING:
                    self._fail("the relay did not answer in time", close=CLOSE_NORMAL)
            case TimerKind.STABLE:
                self._failures = 0
            case TimerKind.KEEPALIVE:
                self._keepalive()
            case TimerKind.REQUEST:
                if self._requests.pop(timer.request_id, None) is not None:
                    error = RelayUnavailable("the relay did not answer in time")
                    self._emit(RejectRequest(timer.request_id, error))
                    self._preauth_done(timer.request_id)

    def _keepalive(self) -> None:
        if self.phase is not Phase.ONLINE:
            return
        if self._ping_pending and not self._heard:  # a whole period since the ping, not a word
            self._fail("the relay stopped answering", close=CLOSE_NORMAL)
            return
        self._ping_pending = False
        if not (self._heard and self._sent_since):
            self._ping_pending = True
            self._send(f.encode_frame(self.new_request_id(), f.Ping()))
        self._heard = self._sent_since = False
        self._schedule(Timer(TimerKind.KEEPALIVE), self.settings.keepalive_ms)

    def _close(self) -> None:
        if self.phase is Phase.CLOSED:
            return
        if self.phase in _LIVE:
            self._emit(CloseSocket(CLOSE_NORMAL, "closed"))
        for timer in sorted(self._timers, key=lambda t: (t.kind.value, t.request_id)):
            self._cancel(timer)
        self.phase = Phase.CLOSED
        self._reject_all(self.failure)
        self._set_status(LinkStatus(LinkState.CLOSED))

    def _submit(self, request_id: int, body: f.Frame, timeout_ms: int) -> None:
        pre_auth = isinstance(body, PRE_AUTH_REQUESTS)
        if self.phase in (Phase.IDLE, Phase.CLOSED):
            self._emit(RejectRequest(request_id, self.failure))
            return
        if not pre_auth and self.device is None:
            error = InternalError("an anonymous relay connection serves only pre-auth requests")
            self._emit(RejectRequest(request_id, error))
            return
        if self.phase is Phase.WAITING and not pre_auth:
            self._emit(RejectRequest(request_id, self._failure))
            return
        try:
            data = f.encode_frame(request_id, body, verify=not isinstance(body, f.BlobChunk))
        except MalformedData as exc:
            self._emit(RejectRequest(request_id, exc))
            return
        request = self._requests[request_id] = _Request(data, pre_auth)
        self._schedule(Timer(TimerKind.REQUEST, request_id), timeout_ms)
        if self.phase is Phase.WAITING:  # a pre-auth request: worth an attempt right now
            self._cancel(Timer(TimerKind.RECONNECT))
            self._open()
        elif self.phase is Phase.ONLINE or (
            pre_auth and self.phase in (Phase.PREAUTH, Phase.AUTHENTICATING)
        ):
            request.sent = True
            if self.phase is Phase.PREAUTH:
                self._preauth_inflight.add(request_id)
            self._send(data)


def _refused(error: f.Error) -> RelayRefused:
    device = (error.device.identity_id, error.device.device_id) if error.device else None
    return RelayRefused(
        error.code.value, error.message, retry_after_ms=error.retry_after_ms, device=device
    )
