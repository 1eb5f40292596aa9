"""Nothing acknowledged is lost: SIGKILL, graceful shutdown, PostgreSQL nodes.

Each test streams messages from one device to another and kills a relay
while sends are in flight.  A message counts as acknowledged when its
``sent`` reply arrived; every acknowledged message must reach the recipient
afterwards (some unacknowledged ones may too: at-least-once).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from websockets.exceptions import ConnectionClosed

from keybound.wire import frames as f
from tests.helpers.relay_process import (
    Device,
    Person,
    RelayClient,
    RelayProcess,
    publish,
    relay_factory,
    run,
    send,
)

__all__ = ["relay_factory"]


async def _stream(url: str, sender: Device, to: Device, acked: list[bytes], n: int) -> None:
    """Send ``n`` numbered messages one by one, noting each acknowledged one,
    until the connection drops."""
    client = await RelayClient.login(url, sender)
    try:
        for i in range(n):
            payload = b"msg-%05d" % i
            await client.call(send(to, payload), f.Sent)
            acked.append(payload)
    except (ConnectionError, ConnectionClosed, OSError, TimeoutError):
        pass  # the relay went away: what was acknowledged so far is in ``acked``
    finally:
        await client.close()


async def _drain(url: str, device: Device, expect: set[bytes], timeout: float = 20) -> set[bytes]:
    """Everything queued for ``device`` (acknowledging it), until ``expect`` is covered."""
    client = await RelayClient.login(url, device)
    got: set[bytes] = set()
    deadline = time.monotonic() + timeout
    try:
        while not expect <= got and time.monotonic() < deadline:
            try:
                frame = await client.push(timeout=max(0.05, deadline - time.monotonic()))
            except TimeoutError:
                break
            if isinstance(frame, f.Deliver):
                got |= {m.payload for m in frame.messages}
                await client.call(f.Ack(tuple(m.queue_id for m in frame.messages)), f.Ok)
    finally:
        await client.close()
    return got


async def _kill_mid_stream(relay: RelayProcess, sender: Device, to: Device) -> list[bytes]:
    acked: list[bytes] = []
    stream = asyncio.get_running_loop().create_task(_stream(relay.url, sender, to, acked, 100_000))
    while len(acked) < 150:
        await asyncio.sleep(0.01)
        assert not stream.done(), "the stream ended before the kill"
    relay.kill()  # SIGKILL: no shutdown code runs
    await asyncio.wait_for(stream, 15)
    assert len(acked) >= 150
    return acked


def _sigkill_loses_nothing(relay: RelayProcess) -> None:
    async def prepare() -> tuple[Person, Person]:
        alice, bob = Person(), Person()
        await publish(relay.url, alice)
        await publish(relay.url, bob)
        return alice, bob

    alice, bob = run(prepare())
    acked = run(_kill_mid_stream(relay, alice.device, bob.device))
    relay.start()  # same data, same port
    got = run(_drain(relay.url, bob.device, set(acked)))
    missing = set(acked) - got
    assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {sorted(missing)[:3]}"


def test_sigkill_after_sent_loses_nothing_sqlite(relay_factory: Any) -> None:
    _sigkill_loses_nothing(relay_factory())


def test_sigkill_after_sent_loses_nothing_postgres(relay_factory: Any, pg_dsn: str) -> None:
    _sigkill_loses_nothing(relay_factory(database=pg_dsn))


def test_sigterm_finishes_in_flight_sends_and_exits_cleanly(relay_factory: Any) -> None:
    relay: RelayProcess = relay_factory()

    async def scenario() -> tuple[Person, list[bytes]]:
        alice, bob = Person(), Person()
        await publish(relay.url, alice)
        await publish(relay.url, bob)
        acked: list[bytes] = []
        stream = asyncio.get_running_loop().create_task(
            _stream(relay.url, alice.device, bob.device, acked, 100_000)
        )
        while len(acked) < 100:
            await asyncio.sleep(0.01)
        code = await asyncio.to_thread(relay.stop)
        assert code == 0
        await asyncio.wait_for(stream, 10)
        return bob, acked

    bob, acked = run(scenario())
    assert "event=stopped" in relay.logs()
    relay.start()
    got = run(_drain(relay.url, bob.device, set(acked)))
    assert set(acked) <= got


def test_two_nodes_on_one_postgres_deliver_across_nodes(relay_factory: Any, pg_dsn: str) -> None:
    node_a: RelayProcess = relay_factory("a", database=pg_dsn)
    node_b: RelayProcess = relay_factory("b", database=pg_dsn)

    async def scenario() -> list[float]:
        alice, bob = Person(), Person()
        await publish(node_a.url, alice)
        await publish(node_b.url, bob)  # each node sees both identities (shared database)
        a = await RelayClient.login(node_a.url, alice.device)
        b = await RelayClient.login(node_b.url, bob.device)
        latencies = []
        for i in range(30):
            started = time.perf_counter()
            await a.call(send(bob.device, b"cross-%d" % i), f.Sent)
            (msg,) = await b.deliveries(1, timeout=5)
            latencies.append(time.perf_counter() - started)
            assert msg.payload == b"cross-%d" % i and msg.sender == alice.device.address
            await b.call(f.Ack((msg.queue_id,)), f.Ok)
        # keys claimed through one node are gone for the other
        keys = tuple(f.SignedKey(b"k%d" % i, b"K" * 32, b"S" * 64) for i in range(20))
        await b.call(f.PublishKeys(keys), f.KeyCount)
        carol = Person()
        await publish(node_b.url, carol)
        c = await RelayClient.login(node_b.url, carol.device)
        claims = await asyncio.gather(
            *[
                client.call(f.ClaimKeys((bob.device.address,)), f.ClaimedKeys)
                for client in [a, c] * 10
            ]
        )
        ids = [k.key.key_id for r in claims for k in r.keys]
        assert sorted(ids) == sorted(k.key_id for k in keys)  # each exactly once
        for client in (a, b, c):
            await client.close()
        return latencies

    latencies = run(scenario())
    assert statistics.median(latencies) < 0.1, latencies  # the issue: within 100 ms


def test_a_node_killed_mid_stream_loses_nothing(relay_factory: Any, pg_dsn: str) -> None:
    node_a: RelayProcess = relay_factory("a", database=pg_dsn)
    node_b: RelayProcess = relay_factory("b", database=pg_dsn)

    async def scenario() -> None:
        alice, bob = Person(), Person()
        await publish(node_a.url, alice)
        await publish(node_a.url, bob)
        receiver = await RelayClient.login(node_b.url, bob.device)
        received: set[bytes] = set()

        async def receive() -> None:
            while True:
                frame = await receiver.push(timeout=30)
                if isinstance(frame, f.Deliver):
                    received.update(m.payload for m in frame.messages)
                    await receiver.call(f.Ack(tuple(m.queue_id for m in frame.messages)), f.Ok)

        reading = asyncio.get_running_loop().create_task(receive())
        acked = await _kill_mid_stream(node_a, alice.device, bob.device)
        more: list[bytes] = []  # the sender fails over to node B and goes on
        await _stream(node_b.url, alice.device, bob.device, more, 50)
        assert len(more) == 50
        deadline = time.monotonic() + 15
        wanted = set(acked) | set(more)
        while not wanted <= received and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        reading.cancel()
        await receiver.close()
        assert wanted <= received, f"lost {len(wanted - received)} acknowledged messages"

        # and the recipient's node dying: the backlog waits in PostgreSQL
        node_a.start()
        acked_b = await _kill_mid_stream(node_b, alice.device, bob.device)
        got = await _drain(node_a.url, bob.device, set(acked_b))
        assert set(acked_b) <= got

    run(scenario())
