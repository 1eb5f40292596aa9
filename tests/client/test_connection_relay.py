"""WebSocketLink against the real relay, running as a separate process.

Identities are real chains (software token, device certificates; see
``tests/helpers/relay_process.py``); the relay verifies them as it would a
hardware token's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import os
import random
import signal
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from keybound.client.attachments import AttachmentWriter, encrypt_file, file_chunks
from keybound.client.connection import WebSocketLink
from keybound.client.connection_machine import ConnectionSettings
from keybound.client.link import KeyStatus, LinkState, LinkStatus
from keybound.client.tls_pin import MemoryPinStore
from keybound.errors import (
    InvalidRelayAddress,
    RelayCertificateChanged,
    RelayRefused,
    RelayUnavailable,
)
from keybound.wire import frames as f
from tests.helpers.relay_process import Device, Person, RelayProcess, relay_factory, shared_relay

__all__ = ["relay_factory", "shared_relay"]

pytestmark = pytest.mark.integration

FAST = ConnectionSettings(
    connect_timeout_ms=5000,
    request_timeout_ms=10_000,
    backoff_base_ms=50,
    backoff_cap_ms=400,
    refused_retry_ms=1000,
    stable_ms=2000,
)


class Peer:
    """A link for one device, recording what the engine would see."""

    def __init__(self, url: str, device: Device, *, ack: bool = True, **kwargs: Any) -> None:
        self.device = device
        kwargs.setdefault("settings", FAST)
        self.link = WebSocketLink(url, device.address, device.sign, rng=random.Random(1), **kwargs)
        self.auto_ack = ack
        self.inbox: asyncio.Queue[f.Incoming] = asyncio.Queue()
        self.statuses: list[LinkStatus] = []
        self.onlines: list[KeyStatus] = []
        self.fail_next_batch = False

    async def start(self, publish: bool = True) -> Peer:
        await self.link.start(self._deliver, self.statuses.append, self._online)
        if publish:
            await self.link.publish_identity(self.device.person.chain())
        await self.link.wait_online(10)
        return self

    async def _deliver(self, batch: Sequence[f.Incoming]) -> None:
        if self.fail_next_batch:
            self.fail_next_batch = False
            raise RuntimeError("the engine tripped over this batch")
        for message in batch:
            self.inbox.put_nowait(message)
        if self.auto_ack:
            await self.link.ack([m.queue_id for m in batch])

    async def _online(self, keys: KeyStatus) -> None:
        self.onlines.append(keys)

    async def receive(self, count: int, timeout: float = 10) -> list[f.Incoming]:
        return [await asyncio.wait_for(self.inbox.get(), timeout) for _ in range(count)]

    async def send(self, to: Device, *payloads: bytes) -> None:
        await self.link.send([f.Outgoing(to.address, p) for p in payloads])


def run(coro: Awaitable[None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 60))


# --- directory ---------------------------------------------------------------------------------


def test_sign_up_publishes_then_authenticates(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice = Person()
        peer = await Peer(shared_relay.url, alice.device).start()
        assert peer.link.status == LinkStatus(LinkState.ONLINE)
        assert [s.state for s in peer.statuses] == [LinkState.CONNECTING, LinkState.ONLINE]
        await asyncio.sleep(0.05)
        assert peer.onlines == [KeyStatus(0, False)]
        assert await peer.link.fetch_identity(alice.identity_id) == list(alice.chain())
        assert await peer.link.fetch_identity(alice.identity_id, after_version=0) == []
        with pytest.raises(RelayRefused) as info:
            await peer.link.fetch_identity(os.urandom(32))
        assert info.value.code == "not_found"
        assert peer.link.status.state is LinkState.ONLINE
        await peer.link.close()
        assert peer.link.status == LinkStatus(LinkState.CLOSED)
        with pytest.raises(RelayUnavailable):
            await peer.link.fetch_identity(alice.identity_id)

    run(scenario())


def test_unknown_device_is_refused_and_backs_off(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        stranger = Person()  # never published
        peer = Peer(shared_relay.url, stranger.device)
        await peer.link.start(peer._deliver, peer.statuses.append, peer._online)
        with pytest.raises(RelayUnavailable, match="did not accept this device"):
            await peer.link.wait_online(0.5)
        status = peer.link.status
        assert status.state is LinkState.CONNECTING and status.retry_in_ms is not None
        assert status.retry_in_ms >= FAST.refused_retry_ms // 2
        # publishing the chain is what fixes it: the link tries again at once
        await peer.link.publish_identity(stranger.chain())
        await peer.link.wait_online(5)
        await peer.link.close()

    run(scenario())


def test_anonymous_link_finds_an_identity_by_token(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice = Person()
        link = WebSocketLink(shared_relay.url, settings=FAST)
        await link.start(_no_delivery, lambda s: None, _no_online)
        await link.publish_identity(alice.chain())
        chain = await link.find_identity(alice.token.entry.token_id)
        assert chain == list(alice.chain())
        with pytest.raises(RelayRefused) as info:
            await link.find_identity(os.urandom(32))
        assert info.value.code == "not_found"
        await link.close()

    run(scenario())


def test_keys_publish_and_claim(shared_relay: RelayProcess) -> None:
    def key(i: int) -> f.SignedKey:
        return f.SignedKey(b"k%d" % i, os.urandom(32), os.urandom(64))

    async def scenario() -> None:
        alice, bob = Person(), Person()
        a = await Peer(shared_relay.url, alice.device).start()
        b = await Peer(shared_relay.url, bob.device).start()
        fallback = key(99)
        assert await b.link.publish_keys([key(1), key(2)], fallback) == KeyStatus(2, True)
        claimed = [await a.link.claim_keys([bob.device.address]) for _ in range(3)]
        assert [c[0].fallback for c in claimed] == [False, False, True]
        assert {c[0].key.key_id for c in claimed} == {b"k1", b"k2", b"k99"}
        assert await b.link.publish_keys([], None) == KeyStatus(0, True)
        assert await a.link.claim_keys([Person().device.address]) == []
        await a.link.close()
        await b.link.close()

    run(scenario())


# --- messages ----------------------------------------------------------------------------------


def test_send_push_ack_and_backlog(
    shared_relay: RelayProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def scenario() -> None:
        alice, bob = Person(), Person()
        a = await Peer(shared_relay.url, alice.device).start()
        publisher = await Peer(shared_relay.url, bob.device).start()
        await publisher.link.close()  # bob is known to the relay, and offline

        await a.send(bob.device, b"secret-one", b"secret-two")
        await a.send(bob.device, b"secret-three")
        b = await Peer(shared_relay.url, bob.device, ack=False).start(publish=False)
        got = await b.receive(3)
        assert [m.payload for m in got] == [b"secret-one", b"secret-two", b"secret-three"]
        assert {m.sender for m in got} == {alice.device.address}
        await b.link.close()

        # not acknowledged: pushed again on the next connection, with the same queue ids
        b = await Peer(shared_relay.url, bob.device).start(publish=False)
        again = await b.receive(3)
        assert [m.queue_id for m in again] == [m.queue_id for m in got]
        await a.send(bob.device, b"secret-four")
        assert [m.payload for m in await b.receive(1)] == [b"secret-four"]
        await asyncio.sleep(0.2)  # let the acks land
        await b.link.close()

        # acknowledged: gone
        b = await Peer(shared_relay.url, bob.device).start(publish=False)
        await a.send(bob.device, b"secret-five")
        assert [m.payload for m in await b.receive(1)] == [b"secret-five"]

        with pytest.raises(RelayRefused) as info:
            await a.send(Person().device, b"secret-lost")
        assert info.value.code == "not_found"
        assert info.value.device is not None
        await a.link.close()
        await b.link.close()

    run(scenario())
    assert "secret" not in caplog.text and "relay link online" in caplog.text


def test_large_sends_are_split_under_the_frame_limit(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice, bob = Person(), Person()
        a = await Peer(shared_relay.url, alice.device).start()
        b = await Peer(shared_relay.url, bob.device).start()
        payloads = [bytes([i]) * (200 * 1024) for i in range(12)]  # 2.4 MB in one call
        await a.send(bob.device, *payloads)
        got = await b.receive(len(payloads))
        assert [m.payload for m in got] == payloads
        await a.link.close()
        await b.link.close()

    run(scenario())


def test_a_failing_delivery_handler_does_not_break_the_link(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice, bob = Person(), Person()
        a = await Peer(shared_relay.url, alice.device).start()
        b = await Peer(shared_relay.url, bob.device).start()
        b.fail_next_batch = True
        await a.send(bob.device, b"first")
        await asyncio.sleep(0.3)
        await a.send(bob.device, b"second")
        assert [m.payload for m in await b.receive(1)] == [b"second"]
        assert b.link.status.state is LinkState.ONLINE
        assert [s.state for s in b.statuses] == [LinkState.CONNECTING, LinkState.ONLINE]
        await a.link.close()
        await b.link.close()

    run(scenario())


def test_close_from_inside_the_delivery_handler(shared_relay: RelayProcess) -> None:
    """The engine locks when a push arrives (say, the token was pulled): no deadlock."""

    async def scenario() -> None:
        alice, bob = Person(), Person()
        a = await Peer(shared_relay.url, alice.device).start()
        b = await Peer(shared_relay.url, bob.device).start()
        closed = asyncio.Event()

        async def lock(batch: Sequence[f.Incoming]) -> None:
            await b.link.close()
            closed.set()

        b.link._on_deliver = lock
        await a.send(bob.device, b"x")
        await asyncio.wait_for(closed.wait(), 2)
        assert b.link.status == LinkStatus(LinkState.CLOSED)
        await a.link.close()

    run(scenario())


def test_relay_killed_and_restarted(relay_factory: Any) -> None:
    relay: RelayProcess = relay_factory()

    async def scenario() -> None:
        alice, bob = Person(), Person()
        a = await Peer(relay.url, alice.device).start()
        b = await Peer(relay.url, bob.device).start()
        assert relay.proc is not None
        os.kill(relay.proc.pid, signal.SIGSTOP)  # frozen: the send below stays in flight
        pending = asyncio.ensure_future(a.send(bob.device, b"in flight"))
        await asyncio.sleep(0.2)
        assert not pending.done()
        relay.kill()
        with pytest.raises(RelayUnavailable):
            await pending
        await asyncio.sleep(0.05)
        assert a.link.status.state is LinkState.CONNECTING
        assert a.link.status.reason
        with pytest.raises(RelayUnavailable):  # no waiting through the backoff
            await a.send(bob.device, b"in flight")

        relay.start()
        await a.link.wait_online(10)  # reconnected by themselves
        await b.link.wait_online(10)
        await a.send(bob.device, b"in flight")  # the engine's retry
        assert [m.payload for m in await b.receive(1)] == [b"in flight"]
        assert len(b.onlines) == 2
        states = [s.state for s in a.statuses]
        assert states[:2] == [LinkState.CONNECTING, LinkState.ONLINE]
        assert states[-1] is LinkState.ONLINE and LinkState.ONLINE in states[2:]
        await a.link.close()
        await b.link.close()

    run(scenario())


def test_keepalive_holds_an_idle_connection_and_notices_a_frozen_relay(
    relay_factory: Any,
) -> None:
    relay: RelayProcess = relay_factory(args=["--idle-timeout", "1"])
    quick = dataclasses.replace(FAST, keepalive_ms=300)

    async def scenario() -> None:
        alice = Person()
        a = await Peer(relay.url, alice.device, settings=quick).start()
        await asyncio.sleep(2.5)  # idle well past the relay's idle timeout
        assert [s.state for s in a.statuses] == [LinkState.CONNECTING, LinkState.ONLINE]
        assert relay.proc is not None
        os.kill(relay.proc.pid, signal.SIGSTOP)  # the socket stays open; nothing answers
        try:
            await asyncio.sleep(1.2)
            assert a.link.status.state is LinkState.CONNECTING
            assert "stopped answering" in a.link.status.reason
        finally:
            os.kill(relay.proc.pid, signal.SIGCONT)
        await a.link.wait_online(10)
        await a.link.close()

    run(scenario())


# --- blobs -------------------------------------------------------------------------------------


def _reader(data: bytes, piece: int) -> Callable[[], Awaitable[bytes]]:
    offset = 0

    async def chunks() -> bytes:
        nonlocal offset
        part = data[offset : offset + piece]
        offset += len(part)
        return part

    return chunks


def test_blob_upload_and_download_with_progress(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice, bob = Person(), Person()
        a = await Peer(shared_relay.url, alice.device).start()
        b = await Peer(shared_relay.url, bob.device).start()
        data = os.urandom(3 * 1024 * 1024 + 12345)
        up: list[int] = []
        blob_id = await a.link.upload_blob(
            _reader(data, 100_000), len(data), hashlib.sha256(data).digest(), up.append
        )
        assert up == sorted(up) and up[-1] == len(data) and len(up) == 7
        received = bytearray()
        down: list[int] = []

        async def sink(part: bytes) -> None:
            received.extend(part)

        assert await b.link.download_blob(blob_id, sink, down.append) == len(data)
        assert bytes(received) == data
        assert down == sorted(down) and down[-1] == len(data)

        empty = await a.link.upload_blob(_reader(b"", 1), 0, hashlib.sha256(b"").digest())
        assert await b.link.download_blob(empty, sink) == 0

        with pytest.raises(RelayRefused) as info:
            await a.link.upload_blob(_reader(b"abc", 1), 3, hashlib.sha256(b"abd").digest())
        assert info.value.code == "malformed"
        with pytest.raises(RelayRefused) as info:
            await b.link.download_blob(os.urandom(16), sink)
        assert info.value.code == "not_found"
        await a.link.close()
        await b.link.close()

    run(scenario())


def test_encrypted_attachment_through_the_relay(shared_relay: RelayProcess, tmp_path: Path) -> None:
    async def scenario() -> None:
        alice, bob = Person(), Person()
        a = await Peer(shared_relay.url, alice.device).start()
        b = await Peer(shared_relay.url, bob.device).start()
        plain = os.urandom(2 * 1024 * 1024 + 7)
        (tmp_path / "photo.jpg").write_bytes(plain)
        sealed = await encrypt_file(tmp_path / "photo.jpg", tmp_path / "photo.kba")
        blob_id = await a.link.upload_blob(
            file_chunks(sealed.path), sealed.ciphertext_size, sealed.digest
        )
        dest = tmp_path / "received.jpg"
        async with AttachmentWriter(dest, sealed.key, sealed.digest, sealed.size) as writer:
            await b.link.download_blob(blob_id, writer.write)
            await writer.finish()
        assert dest.read_bytes() == plain
        await a.link.close()
        await b.link.close()

    run(scenario())


# --- TLS ---------------------------------------------------------------------------------------


def test_dev_tls_pinning(relay_factory: Any) -> None:
    relay: RelayProcess = relay_factory(tls=True)
    alice = Person()
    pins = MemoryPinStore()

    async def connect(store: MemoryPinStore | None) -> Peer:
        return await Peer(relay.url, alice.device, pins=store).start()

    async def first_use() -> None:
        peer = await connect(pins)
        await peer.link.close()

    async def refused(store: MemoryPinStore | None, error: type[Exception], match: str) -> None:
        peer = Peer(relay.url, alice.device, pins=store)
        await peer.link.start(peer._deliver, peer.statuses.append, peer._online)
        with pytest.raises(error, match=match):
            await peer.link.wait_online(0.5)  # the first attempt fails in milliseconds
        with pytest.raises(error):
            await peer.link.fetch_identity(alice.identity_id)
        assert match in peer.link.status.reason or "certificate" in peer.link.status.reason
        await peer.link.close()

    run(first_use())
    assert pins.pin == relay.fingerprint
    # a pin given up front, in any spelling, works from the first connection
    assert relay.fingerprint is not None
    written = MemoryPinStore(relay.fingerprint.replace(":", "").lower())
    run(_connect_and_close(relay, alice, written))

    # normal verification refuses the self-signed certificate
    run(refused(None, RelayUnavailable, "could not be verified"))

    relay.stop()
    relay.start()  # same certificate: still fine
    run(first_use())

    relay.stop()
    (relay.data / "dev-tls.crt").unlink()
    (relay.data / "dev-tls.key").unlink()
    relay.start()  # a new certificate
    assert relay.fingerprint != pins.pin
    before = pins.pin
    run(refused(pins, RelayCertificateChanged, "certificate changed"))
    assert pins.pin == before, "a mismatch never replaces the pin"


async def _connect_and_close(relay: RelayProcess, person: Person, store: MemoryPinStore) -> None:
    peer = await Peer(relay.url, person.device, pins=store).start()
    await peer.link.close()


def test_addresses() -> None:
    for bad in ("ws://example.org/", "http://127.0.0.1:1", "wss://", "wss://user:pw@host/", "x"):
        with pytest.raises(InvalidRelayAddress):
            WebSocketLink(bad)
    for good in ("ws://127.0.0.1:1", "ws://localhost:1", "ws://[::1]:1", "wss://relay.example"):
        WebSocketLink(good)
    with pytest.raises(InvalidRelayAddress, match="wss://"):
        WebSocketLink("ws://127.0.0.1:1", pins=MemoryPinStore())
    with pytest.raises(InvalidRelayAddress):
        MemoryPinStore("not a fingerprint")


def test_unreachable_relay_reports_and_keeps_trying() -> None:
    async def scenario() -> None:
        from tests.helpers.relay_process import free_port

        link = WebSocketLink(f"ws://127.0.0.1:{free_port()}", settings=FAST)
        statuses: list[LinkStatus] = []
        await link.start(_no_delivery, statuses.append, _no_online)
        with pytest.raises(RelayUnavailable, match="refused the connection"):
            await link.wait_online(1)
        retries = [s for s in statuses if s.retry_in_ms is not None]
        assert len(retries) >= 3, "it keeps trying, with backoff"
        assert all(s.retry_in_ms is not None and s.retry_in_ms <= 400 for s in retries)
        await link.close()
        assert statuses[-1].state is LinkState.CLOSED

    run(scenario())


async def _no_delivery(batch: Sequence[f.Incoming]) -> None:
    raise AssertionError("nothing is delivered to an anonymous link")


async def _no_online(keys: KeyStatus) -> None:
    return None
