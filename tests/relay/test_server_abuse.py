"""Hostile input: malformed, oversized and slow clients never hurt the relay or others."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from keybound.wire import cbor
from keybound.wire import frames as f
from keybound.wire.frames import ErrorCode
from tests.helpers.relay_process import (
    Person,
    RelayClient,
    RelayProcess,
    publish,
    relay_factory,
    run,
    send,
    shared_relay,
)

__all__ = ["relay_factory", "shared_relay"]


async def _still_serves(url: str) -> None:
    """A fresh pair of devices can still exchange a message."""
    alice, bob = Person(), Person()
    await publish(url, alice)
    await publish(url, bob)
    a = await RelayClient.login(url, alice.device)
    b = await RelayClient.login(url, bob.device)
    await a.call(send(bob.device, b"still here"), f.Sent)
    assert (await b.deliveries(1))[0].payload == b"still here"
    await a.close()
    await b.close()


def _mutations() -> st.SearchStrategy[bytes]:
    """Valid-looking frames with wrong parts, and plain garbage."""
    value = st.recursive(
        st.none() | st.booleans() | st.integers() | st.binary(max_size=40) | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    )
    frame_like = st.fixed_dictionaries(
        {
            "v": st.sampled_from([1, 1, 1, 2, 0]),
            "t": st.sampled_from([*f.FRAME_TYPES, "nope"]),
            "id": st.integers(-5, 2**60),
            "b": st.dictionaries(st.text(max_size=12), value, max_size=5),
        }
    ).map(cbor.encode)
    return frame_like | st.binary(max_size=400)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(_mutations(), min_size=1, max_size=6), st.booleans())
def test_malformed_frames_get_error_frames_never_a_crash(
    shared_relay: RelayProcess, frames: list[bytes], authenticated: bool
) -> None:
    async def scenario() -> None:
        person = Person()
        await publish(shared_relay.url, person)
        if authenticated:
            client = await RelayClient.login(shared_relay.url, person.device)
        else:
            client = await RelayClient.connect(shared_relay.url)
        for data in frames:
            try:
                await client.send_raw(data)
            except Exception:
                break  # closed after too many bad frames
        answers: list[f.Frame] = []  # one answer per frame, until the relay hangs up
        while len(answers) < len(frames) and not client.closed.is_set():
            pending = asyncio.ensure_future(client.push(timeout=5))
            closed = asyncio.ensure_future(client.closed.wait())
            done, _ = await asyncio.wait({pending, closed}, return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            if pending in done:
                answers.append(pending.result())
            else:
                pending.cancel()
        while not client.pushes.empty():
            answers.append(client.pushes.get_nowait())
        for frame in answers:
            assert isinstance(frame, f.Error | f.Pong | f.Ok | f.Deliver | f.IdentityChain), frame
        await client.close()
        assert shared_relay.alive()

    run(scenario())


def test_after_hypothesis_the_relay_still_serves(shared_relay: RelayProcess) -> None:
    run(_still_serves(shared_relay.url))
    assert "Traceback" not in shared_relay.logs()


def test_bad_frames_are_answered_then_the_connection_is_closed(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        client = await RelayClient.connect(shared_relay.url)
        await client.send_raw(b"\xff\x00garbage")
        first = await client.push()
        assert isinstance(first, f.Error) and first.code is ErrorCode.MALFORMED
        await client.send_raw("a text frame")
        second = await client.push()
        assert isinstance(second, f.Error) and "text frames" in second.message
        await client.send_raw(cbor.encode({"v": 1, "t": "sent", "id": 3, "b": {"accepted": 1}}))
        third = await client.push()  # a reply type sent as a request
        assert isinstance(third, f.Error)
        await client.send_raw(b"\x01")
        await asyncio.wait_for(client.closed.wait(), 5)
        assert client.conn.close_code == 1002
        await client.close()
        await _still_serves(shared_relay.url)

    run(scenario())


def test_an_oversized_frame_closes_only_that_connection(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice, bob = Person(), Person()
        await publish(shared_relay.url, alice)
        await publish(shared_relay.url, bob)
        a = await RelayClient.login(shared_relay.url, alice.device)
        b = await RelayClient.login(shared_relay.url, bob.device)
        await a.send_raw(b"\x00" * (f.MAX_FRAME_SIZE + 1))
        await asyncio.wait_for(a.closed.wait(), 5)
        assert a.conn.close_code == 1009  # message too big
        big = f.Outgoing(alice.device.address, b"x" * f.MAX_PAYLOAD_SIZE)  # at the limit: fine
        await b.call(f.Send((big,)), f.Sent)
        over = cbor.encode(
            {"v": 1, "t": "send", "id": 9, "b": {"messages": [
                {"to": {"identity_id": alice.identity_id, "device_id": alice.device.device_id},
                 "payload": b"x" * (f.MAX_PAYLOAD_SIZE + 1)}]}}
        )  # fmt: skip
        await b.send_raw(over)
        error = await b.push()
        assert isinstance(error, f.Error) and error.code is ErrorCode.MALFORMED
        await b.close()
        await a.close()
        await _still_serves(shared_relay.url)

    run(scenario())


def test_errors_never_echo_the_fields_of_a_request(shared_relay: RelayProcess) -> None:
    """A 60,000-key frame (issue 11): the error says what is wrong, never which
    names were sent (the protocol document: errors never echo input)."""

    async def scenario() -> None:
        alice = Person()
        await publish(shared_relay.url, alice)
        client = await RelayClient.login(shared_relay.url, alice.device)
        keys = {f"secret{n}": 0 for n in range(60_000)}
        for frame in (
            {"v": 1, "t": "ping", "id": 7, "b": keys},  # in the body
            {"v": 1, "t": "ping", "id": 8, "b": {}, **dict(list(keys.items())[:100])},  # outside
            {"v": 1, "t": "secret-type", "id": 9, "b": {}},  # an unknown frame type
        ):
            await client.send_raw(cbor.encode(frame))
            error = await client.push()
            assert isinstance(error, f.Error) and error.code is ErrorCode.MALFORMED
            assert "secret" not in error.message and len(error.message) < 100
        await client.close()

    run(scenario())


def test_slow_clients_are_timed_out(relay_factory: Any) -> None:
    relay: RelayProcess = relay_factory(
        args=["--handshake-timeout", "1", "--auth-timeout", "1", "--idle-timeout", "1.5"]
    )

    async def scenario() -> None:
        # slow-loris on the HTTP upgrade: half a request, then nothing
        reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
        await writer.drain()
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the relay
        assert time.monotonic() - started < 3
        writer.close()

        # connected but never authenticating
        client = await RelayClient.connect(relay.url)
        error = await client.push(timeout=3)
        assert isinstance(error, f.Error) and error.code is ErrorCode.UNAUTHENTICATED
        await asyncio.wait_for(client.closed.wait(), 3)
        assert client.conn.close_code == 4000
        await client.close()

        # authenticated, then silent; pings keep it open
        alice = Person()
        await publish(relay.url, alice)
        client = await RelayClient.login(relay.url, alice.device)
        for _ in range(4):
            await asyncio.sleep(0.5)
            await client.call(f.Ping(), f.Pong)
        await asyncio.wait_for(client.closed.wait(), 4)
        assert client.conn.close_code == 4000
        await client.close()

        # slow-loris inside a frame: a header that promises bytes that never come
        client = await RelayClient.login(relay.url, alice.device)
        started = time.monotonic()
        # FIN + binary, masked, 16-bit length 4096, mask key, then 3 of the 4096 bytes
        client.conn.transport.write(b"\x82\xfe\x10\x00" + b"\x00" * 4 + b"abc")
        await asyncio.wait_for(client.closed.wait(), 5)
        assert 1.0 < time.monotonic() - started < 4.5  # the idle timer, not a protocol error
        await client.close()

    run(scenario())


def test_the_auth_deadline_holds_however_busy_the_client_is(relay_factory: Any) -> None:
    """Pings before authentication reset the idle timer, not the authentication deadline."""
    relay: RelayProcess = relay_factory(args=["--auth-timeout", "1.5", "--idle-timeout", "1"])

    async def scenario() -> None:
        client = await RelayClient.connect(relay.url)
        started = time.monotonic()
        with contextlib.suppress(ConnectionError, ConnectionClosed, TimeoutError):
            while time.monotonic() - started < 5:
                await client.call(f.Ping(), f.Pong, timeout=1)
                await asyncio.sleep(0.3)
        await asyncio.wait_for(client.closed.wait(), 3)
        assert 1.2 < time.monotonic() - started < 3
        assert client.conn.close_code == 4000
        await client.close()

    run(scenario())


def test_connection_caps_refuse_with_503(relay_factory: Any) -> None:
    relay: RelayProcess = relay_factory(args=["--max-connections-per-ip", "3"])

    async def scenario() -> None:
        held = [await RelayClient.connect(relay.url) for _ in range(3)]
        with pytest.raises(InvalidStatus) as refused:
            await connect(relay.url, open_timeout=5)
        assert refused.value.response.status_code == 503
        await held.pop().close()
        await asyncio.sleep(0.2)
        held.append(await RelayClient.connect(relay.url))
        for client in held:
            await client.close()

    run(scenario())


def test_total_connection_cap(relay_factory: Any) -> None:
    relay: RelayProcess = relay_factory(args=["--max-connections", "2"])

    async def scenario() -> None:
        held = [await RelayClient.connect(relay.url) for _ in range(2)]
        with pytest.raises(InvalidStatus):
            await connect(relay.url, open_timeout=5)
        for client in held:
            await client.close()

    run(scenario())


def test_raw_tcp_garbage_does_not_hurt(shared_relay: RelayProcess) -> None:
    with socket.create_connection(("127.0.0.1", shared_relay.port), timeout=5) as s:
        s.sendall(b"\x16\x03\x01\x02\x00" + b"\x00" * 600 + b"\r\n\r\n")  # TLS on ws://
        s.settimeout(5)
        with contextlib.suppress(OSError):
            s.recv(4096)
    run(_still_serves(shared_relay.url))
