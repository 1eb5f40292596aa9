"""The connection state machine, event by event: the exact actions it asks for.

Like magic-wormhole's ``test_machines.py``: no sockets, no clock; the
backoff's randomness is a seeded ``random.Random``, and the expected delays
come from a twin generator with the same seed.
"""

from __future__ import annotations

import hashlib
import random

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
    FrameReceived,
    OpenSocket,
    Phase,
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
    TimerKind,
    WentOnline,
)
from keybound.client.link import KeyStatus, LinkState, LinkStatus
from keybound.errors import RelayCertificateChanged, RelayRefused
from keybound.wire import frames as f
from keybound.wire.frames import ErrorCode

URL = "ws://127.0.0.1:1"
ME = f.DeviceAddress(b"I" * 32, b"D" * 16)
PEER = f.DeviceAddress(b"P" * 32, b"Q" * 16)
CHALLENGE = f.Challenge(b"n" * 32, "relay.test", 1)
SETTINGS = ConnectionSettings(
    connect_timeout_ms=1000,
    request_timeout_ms=5000,
    keepalive_ms=2000,
    backoff_base_ms=100,
    backoff_cap_ms=1600,
    refused_retry_ms=10_000,
    stable_ms=3000,
)
SEED = 7

CONNECT = Timer(TimerKind.CONNECT)
RECONNECT = Timer(TimerKind.RECONNECT)
KEEPALIVE = Timer(TimerKind.KEEPALIVE)
STABLE = Timer(TimerKind.STABLE)
CONNECTING = StatusChanged(LinkStatus(LinkState.CONNECTING))
ONLINE = StatusChanged(LinkStatus(LinkState.ONLINE))
SEND = f.Send((f.Outgoing(PEER, b"ciphertext"),))


def sign(data: bytes) -> bytes:
    return hashlib.sha512(data).digest()  # 64 bytes, deterministic: a stand-in signature


def machine(device: f.DeviceAddress | None = ME) -> ConnectionMachine:
    return ConnectionMachine(URL, device, sign if device else None, SETTINGS, random.Random(SEED))


def jitter(rng: random.Random, ms: int) -> int:
    return int(ms * (0.5 + 0.5 * rng.random()))


def frame(request_id: int, body: f.Frame) -> FrameReceived:
    return FrameReceived(f.Envelope(request_id, body))


def sent(request_id: int, body: f.Frame) -> SendFrame:
    return SendFrame(f.encode_frame(request_id, body))


def auth(request_id: int) -> SendFrame:
    signature = sign(f.auth_signing_bytes(CHALLENGE, ME))
    return sent(request_id, f.Authenticate(ME, signature))


def request(request_id: int) -> Timer:
    return Timer(TimerKind.REQUEST, request_id)


def norm(actions: list[Action]) -> list[object]:
    """Exceptions do not compare equal: a rejection becomes (reject, id, type, code)."""
    return [
        ("reject", a.request_id, type(a.error).__name__, getattr(a.error, "code", None))
        if isinstance(a, RejectRequest)
        else a
        for a in actions
    ]


def submit(m: ConnectionMachine, body: f.Frame) -> tuple[int, list[object]]:
    rid = m.new_request_id()
    return rid, norm(m.handle(RequestSubmitted(rid, body, 5000)))


def online(m: ConnectionMachine, keys: tuple[int, bool] = (5, True)) -> None:
    m.handle(Start())
    m.handle(Connected())
    actions = m.handle(frame(0, CHALLENGE))
    auth_id = m.new_request_id() - 1  # the id the machine just took
    assert actions == [auth(auth_id)]
    m.handle(frame(auth_id, f.Authenticated(keys[0], keys[1], 0)))
    assert m.phase is Phase.ONLINE


# --- the happy path ------------------------------------------------------------------------


def test_connect_challenge_authenticate_online() -> None:
    m = machine()
    assert m.status == LinkStatus(LinkState.DISCONNECTED)
    assert m.handle(Start()) == [OpenSocket(URL), ScheduleTimer(CONNECT, 1000), CONNECTING]
    assert m.handle(Start()) == []
    assert m.handle(Connected()) == []
    assert m.handle(frame(0, CHALLENGE)) == [auth(1)]
    assert m.handle(frame(1, f.Authenticated(5, True, 3))) == [
        CancelTimer(CONNECT),
        ScheduleTimer(KEEPALIVE, 2000),
        ScheduleTimer(STABLE, 3000),
        ONLINE,
        WentOnline(KeyStatus(5, True)),
    ]
    assert m.status == LinkStatus(LinkState.ONLINE)


def test_requests_replies_and_pushes() -> None:
    m = machine()
    online(m)
    rid, actions = submit(m, SEND)
    assert actions == [ScheduleTimer(request(rid), 5000), sent(rid, SEND)]
    assert m.handle(frame(rid, f.Sent(1))) == [
        CancelTimer(request(rid)),
        ResolveRequest(rid, f.Sent(1)),
    ]
    assert m.handle(frame(rid, f.Sent(1))) == [], "a duplicate reply is ignored"
    message = f.Incoming(9, PEER, 1000, b"payload")
    assert m.handle(frame(0, f.Deliver((message,), more=True))) == [DeliverBatch((message,))]
    assert m.handle(frame(0, f.Deliver((), more=False))) == []


def test_replies_out_of_order_are_matched_by_id() -> None:
    m = machine()
    online(m)
    a, _ = submit(m, SEND)
    b, _ = submit(m, f.Ping())
    assert m.handle(frame(b, f.Pong())) == [CancelTimer(request(b)), ResolveRequest(b, f.Pong())]
    assert m.handle(frame(a, f.Sent(1))) == [CancelTimer(request(a)), ResolveRequest(a, f.Sent(1))]


def test_error_frames_reject_with_relay_refused() -> None:
    m = machine()
    online(m)
    rid, _ = submit(m, SEND)
    error = f.Error(ErrorCode.QUEUE_FULL, "queue full", device=PEER)
    actions = m.handle(frame(rid, error))
    assert norm(actions) == [
        CancelTimer(request(rid)),
        ("reject", rid, "RelayRefused", "queue_full"),
    ]
    refused = actions[1]
    assert isinstance(refused, RejectRequest) and isinstance(refused.error, RelayRefused)
    assert refused.error.device == (PEER.identity_id, PEER.device_id)
    assert "queue full" in str(refused.error)

    rid, _ = submit(m, f.FetchIdentity(b"x" * 32))
    slow = f.Error(ErrorCode.RATE_LIMITED, "too many requests", retry_after_ms=1500)
    reject = m.handle(frame(rid, slow))[1]
    assert isinstance(reject, RejectRequest) and isinstance(reject.error, RelayRefused)
    assert reject.error.code == "rate_limited" and reject.error.retry_after_ms == 1500
    assert m.phase is Phase.ONLINE, "a refused request leaves the connection up"
    assert m.handle(frame(0, f.Error(ErrorCode.INTERNAL, "oops"))) == []


def test_requests_wait_for_the_attempt_in_progress() -> None:
    m = machine()
    m.handle(Start())
    rid, actions = submit(m, SEND)
    assert actions == [ScheduleTimer(request(rid), 5000)]
    m.handle(Connected())
    assert m.handle(frame(0, CHALLENGE)) == [auth(2)]
    assert m.handle(frame(2, f.Authenticated(0, False, 0))) == [
        CancelTimer(CONNECT),
        ScheduleTimer(KEEPALIVE, 2000),
        ScheduleTimer(STABLE, 3000),
        sent(rid, SEND),
        ONLINE,
        WentOnline(KeyStatus(0, False)),
    ]


def test_pre_auth_requests_go_first_and_authentication_waits_for_them() -> None:
    m = machine()
    m.handle(Start())
    publish = f.PublishIdentity((b"genesis",))
    p, actions = submit(m, publish)
    s, _ = submit(m, SEND)
    assert actions == [ScheduleTimer(request(p), 5000)]
    m.handle(Connected())
    assert m.handle(frame(0, CHALLENGE)) == [sent(p, publish)]
    find = f.FindIdentity(b"t" * 32)
    q, actions = submit(m, find)
    assert actions == [ScheduleTimer(request(q), 5000), sent(q, find)]
    assert m.handle(frame(p, f.Ok())) == [CancelTimer(request(p)), ResolveRequest(p, f.Ok())]
    assert norm(m.handle(frame(q, f.Error(ErrorCode.NOT_FOUND, "no identity")))) == [
        CancelTimer(request(q)),
        ("reject", q, "RelayRefused", "not_found"),
        auth(4),
    ]
    done = m.handle(frame(4, f.Authenticated(0, False, 0)))
    assert sent(s, SEND) in done and ONLINE in done


def test_anonymous_link_serves_pre_auth_requests_only() -> None:
    m = machine(device=None)
    m.handle(Start())
    m.handle(Connected())
    assert m.handle(frame(0, CHALLENGE)) == [
        CancelTimer(CONNECT),
        ScheduleTimer(KEEPALIVE, 2000),
        ScheduleTimer(STABLE, 3000),
        ONLINE,
    ]
    find = f.FindIdentity(b"t" * 32)
    rid, actions = submit(m, find)
    assert actions == [ScheduleTimer(request(rid), 5000), sent(rid, find)]
    rid, actions = submit(m, SEND)
    assert actions == [("reject", rid, "InternalError", None)]


def test_invalid_body_is_rejected_without_sending() -> None:
    m = machine()
    online(m)
    huge = f.Send((f.Outgoing(PEER, b"x" * (f.MAX_PAYLOAD_SIZE + 1)),))
    rid, actions = submit(m, huge)
    assert actions == [("reject", rid, "MalformedData", None)]


# --- failures ----------------------------------------------------------------------------------


def test_disconnect_mid_request_fails_it_with_relay_unavailable() -> None:
    m = machine()
    online(m)
    a, _ = submit(m, SEND)
    b, _ = submit(m, f.Ping())
    rng = random.Random(SEED)
    delay = jitter(rng, 100)
    reason = "the connection to the relay was lost"
    assert norm(m.handle(SocketClosed(reason, 1006))) == [
        CancelTimer(KEEPALIVE),
        CancelTimer(STABLE),
        CancelTimer(request(a)),
        ("reject", a, "RelayUnavailable", None),
        CancelTimer(request(b)),
        ("reject", b, "RelayUnavailable", None),
        ScheduleTimer(RECONNECT, delay),
        StatusChanged(LinkStatus(LinkState.CONNECTING, delay, reason)),
    ]
    assert m.handle(frame(a, f.Sent(1))) == [], "frames of a dead socket are ignored"
    assert m.handle(SocketClosed("again")) == []
    # while waiting to retry, requests fail at once instead of hanging through the backoff
    rid, actions = submit(m, SEND)
    assert actions == [("reject", rid, "RelayUnavailable", None)]
    assert m.handle(TimerFired(RECONNECT)) == [
        OpenSocket(URL),
        ScheduleTimer(CONNECT, 1000),
        StatusChanged(LinkStatus(LinkState.CONNECTING, None, reason)),
    ]


def test_reconnect_backoff_grows_with_jitter_to_the_cap_and_resets_when_stable() -> None:
    m = machine()
    rng = random.Random(SEED)
    m.handle(Start())
    delays = []
    for _ in range(7):
        actions = m.handle(SocketClosed("connection refused"))
        (delay,) = [a.delay_ms for a in actions if isinstance(a, ScheduleTimer)]
        delays.append(delay)
        assert m.handle(TimerFired(RECONNECT))[0] == OpenSocket(URL)
    ceilings = [100, 200, 400, 800, 1600, 1600, 1600]
    assert delays == [jitter(rng, c) for c in ceilings]
    assert all(c // 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))

    # online but dropped before it was stable: the backoff keeps growing
    m.handle(Connected())
    m.handle(frame(0, CHALLENGE))
    m.handle(frame(m.new_request_id() - 1, f.Authenticated(0, False, 0)))
    actions = m.handle(SocketClosed("lost"))
    assert ScheduleTimer(RECONNECT, jitter(rng, 1600)) in actions

    # online and stable: the next failure starts from the base again
    m.handle(TimerFired(RECONNECT))
    m.handle(Connected())
    m.handle(frame(0, CHALLENGE))
    m.handle(frame(m.new_request_id() - 1, f.Authenticated(0, False, 0)))
    assert m.handle(TimerFired(STABLE)) == []
    actions = m.handle(SocketClosed("lost"))
    assert ScheduleTimer(RECONNECT, jitter(rng, 100)) in actions


def test_auth_failure_backs_off_long_and_a_publish_retries_at_once() -> None:
    m = machine()
    m.handle(Start())
    m.handle(Connected())
    m.handle(frame(0, CHALLENGE))
    rng = random.Random(SEED)
    delay = jitter(rng, 10_000)
    reason = "the relay did not accept this device (auth_failed)"
    assert m.handle(frame(1, f.Error(ErrorCode.AUTH_FAILED, "authentication failed"))) == [
        CloseSocket(1000, reason),
        CancelTimer(CONNECT),
        ScheduleTimer(RECONNECT, delay),
        StatusChanged(LinkStatus(LinkState.CONNECTING, delay, reason)),
    ]
    assert m.handle(SocketClosed("closed", 1008)) == []
    rid, actions = submit(m, SEND)
    assert actions == [("reject", rid, "RelayUnavailable", None)]
    publish = f.PublishIdentity((b"genesis",))
    rid, actions = submit(m, publish)
    assert actions == [
        ScheduleTimer(request(rid), 5000),
        CancelTimer(RECONNECT),
        OpenSocket(URL),
        ScheduleTimer(CONNECT, 1000),
        StatusChanged(LinkStatus(LinkState.CONNECTING, None, reason)),
    ]
    m.handle(Connected())
    assert m.handle(frame(0, CHALLENGE)) == [sent(rid, publish)]


def test_replaced_connection_backs_off_long() -> None:
    m = machine()
    online(m)
    rng = random.Random(SEED)
    delay = jitter(rng, 10_000)
    reason = "another connection of this device replaced this one"
    actions = m.handle(SocketClosed("the relay closed the connection (4001 replaced)", 4001))
    assert actions[-2:] == [
        ScheduleTimer(RECONNECT, delay),
        StatusChanged(LinkStatus(LinkState.CONNECTING, delay, reason)),
    ]


def test_server_error_before_close_gives_reason_and_retry_hint() -> None:
    m = machine()
    m.handle(Start())
    m.handle(Connected())
    busy = f.Error(ErrorCode.RATE_LIMITED, "too many connections", retry_after_ms=5000)
    assert m.handle(frame(0, busy)) == []
    actions = m.handle(SocketClosed("closed", 1008))
    reason = "the relay closed the connection (rate_limited: too many connections)"
    assert actions[-2:] == [
        ScheduleTimer(RECONNECT, 5000),
        StatusChanged(LinkStatus(LinkState.CONNECTING, 5000, reason)),
    ]


def test_certificate_change_is_a_refusal_with_its_own_error() -> None:
    m = machine()
    m.handle(Start())
    rid, _ = submit(m, SEND)
    error = RelayCertificateChanged("AA:BB:CC:DD", "11:22:33:44")
    rng = random.Random(SEED)
    delay = jitter(rng, 10_000)
    actions = m.handle(SocketClosed("the relay's certificate changed", refusal=error))
    assert norm(actions) == [
        CancelTimer(CONNECT),
        CancelTimer(request(rid)),
        ("reject", rid, "RelayCertificateChanged", None),
        ScheduleTimer(RECONNECT, delay),
        StatusChanged(LinkStatus(LinkState.CONNECTING, delay, "the relay's certificate changed")),
    ]
    assert m.failure is error


def test_connect_timeout() -> None:
    m = machine()
    m.handle(Start())
    m.handle(Connected())
    rng = random.Random(SEED)
    delay = jitter(rng, 100)
    reason = "the relay did not answer in time"
    assert m.handle(TimerFired(CONNECT)) == [
        CloseSocket(1000, reason),
        ScheduleTimer(RECONNECT, delay),
        StatusChanged(LinkStatus(LinkState.CONNECTING, delay, reason)),
    ]


def test_unreadable_frame_drops_the_connection() -> None:
    m = machine()
    online(m)
    actions = m.handle(BadFrame("unknown frame type 'x'"))
    assert actions[0] == CloseSocket(
        1002, "the relay sent data this version cannot read (unknown frame type 'x')"
    )
    assert m.phase is Phase.WAITING


def test_request_timeout_and_cancel_leave_the_connection_up() -> None:
    m = machine()
    online(m)
    rid, _ = submit(m, SEND)
    assert norm(m.handle(TimerFired(request(rid)))) == [("reject", rid, "RelayUnavailable", None)]
    assert m.handle(frame(rid, f.Sent(1))) == [], "a late reply is dropped"
    rid, _ = submit(m, SEND)
    assert m.handle(RequestCancelled(rid)) == [CancelTimer(request(rid))]
    assert m.handle(frame(rid, f.Sent(1))) == []
    assert m.phase is Phase.ONLINE
    assert m.handle(TimerFired(RECONNECT)) == [], "a timer that is not armed does nothing"


def test_keepalive_pings_when_quiet_and_gives_up_on_silence() -> None:
    m = machine()
    online(m)
    rid, _ = submit(m, SEND)  # traffic both ways in this period: no ping needed
    m.handle(frame(rid, f.Sent(1)))
    assert m.handle(TimerFired(KEEPALIVE)) == [ScheduleTimer(KEEPALIVE, 2000)]
    ping = rid + 1  # the next id the machine takes
    assert m.handle(TimerFired(KEEPALIVE)) == [
        sent(ping, f.Ping()),
        ScheduleTimer(KEEPALIVE, 2000),
    ]
    assert m.handle(frame(ping, f.Pong())) == []
    assert m.handle(TimerFired(KEEPALIVE)) == [
        sent(ping + 1, f.Ping()),  # heard, but we sent nothing: the relay wants a frame
        ScheduleTimer(KEEPALIVE, 2000),
    ]
    rng = random.Random(SEED)
    delay = jitter(rng, 100)
    reason = "the relay stopped answering"
    assert m.handle(TimerFired(KEEPALIVE)) == [
        CloseSocket(1000, reason),
        CancelTimer(STABLE),
        ScheduleTimer(RECONNECT, delay),
        StatusChanged(LinkStatus(LinkState.CONNECTING, delay, reason)),
    ]


def test_close_settles_everything_for_good() -> None:
    m = machine()
    online(m)
    rid, _ = submit(m, SEND)
    assert norm(m.handle(CloseRequested())) == [
        CloseSocket(1000, "closed"),
        CancelTimer(KEEPALIVE),
        CancelTimer(request(rid)),
        CancelTimer(STABLE),
        ("reject", rid, "RelayUnavailable", None),
        StatusChanged(LinkStatus(LinkState.CLOSED)),
    ]
    assert m.handle(CloseRequested()) == []
    assert m.handle(Start()) == []
    rid, actions = submit(m, SEND)
    assert actions == [("reject", rid, "RelayUnavailable", None)]


def test_requests_before_start_fail() -> None:
    m = machine()
    rid, actions = submit(m, SEND)
    assert actions == [("reject", rid, "RelayUnavailable", None)]


def test_a_device_that_cannot_sign_backs_off_long() -> None:
    def broken(data: bytes) -> bytes:
        raise RuntimeError("keys dropped")

    m = ConnectionMachine(URL, ME, broken, SETTINGS, random.Random(SEED))
    m.handle(Start())
    m.handle(Connected())
    rng = random.Random(SEED)
    delay = jitter(rng, 10_000)
    reason = "this device cannot sign in right now (RuntimeError)"
    assert m.handle(frame(0, CHALLENGE)) == [
        CloseSocket(1000, reason),
        CancelTimer(CONNECT),
        ScheduleTimer(RECONNECT, delay),
        StatusChanged(LinkStatus(LinkState.CONNECTING, delay, reason)),
    ]
