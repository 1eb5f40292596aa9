"""Queues, keys and blobs end to end: push, backlog, acks, isolation, caps, expiry."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

from keybound.wire import frames as f
from keybound.wire.frames import ErrorCode
from tests.helpers.relay_process import (
    Person,
    RelayClient,
    RelayError,
    RelayProcess,
    publish,
    relay_factory,
    run,
    send,
    shared_relay,
)

__all__ = ["relay_factory", "shared_relay"]


async def _people(url: str, n: int = 2, devices: int = 1) -> list[Person]:
    people = [Person(devices=devices) for _ in range(n)]
    for p in people:
        await publish(url, p)
    return people


def test_a_connected_recipient_gets_messages_pushed_at_once(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice, bob = await _people(shared_relay.url)
        a = await RelayClient.login(shared_relay.url, alice.device)
        b = await RelayClient.login(shared_relay.url, bob.device)
        started = time.monotonic()
        assert (await a.call(send(bob.device, b"ciphertext 1"), f.Sent)).accepted == 1
        (msg,) = await b.deliveries(1, timeout=5)
        assert time.monotonic() - started < 1.0
        assert msg.payload == b"ciphertext 1"
        assert msg.sender == alice.device.address  # the authenticated sender, not a claim
        assert msg.received_ms > 0
        await b.call(f.Ack((msg.queue_id,)), f.Ok)
        await a.close()
        await b.close()
        again = await RelayClient.login(shared_relay.url, bob.device)
        assert (await again.call(f.Fetch(), f.Deliver)).messages == ()
        await again.close()

    run(scenario())


def test_backlog_arrives_in_order_in_pages_after_reconnect(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice, bob = await _people(shared_relay.url)
        a = await RelayClient.login(shared_relay.url, alice.device)
        total = 250  # more than one page (100) and than nothing
        batch = f.Send(tuple(f.Outgoing(bob.device.address, b"m%03d" % i) for i in range(50)))
        for _ in range(total // 50):
            await a.call(batch, f.Sent)
        await a.close()
        b = await RelayClient.connect(shared_relay.url)
        hello = await b.call(bob.device.answer(b.challenge), f.Authenticated)
        assert hello.queued == total
        received: list[f.Incoming] = []
        pages = 0
        while len(received) < total:
            frame = await b.push()
            assert isinstance(frame, f.Deliver)
            pages += 1
            assert len(frame.messages) <= 100
            received.extend(frame.messages)
            await b.call(f.Ack(tuple(m.queue_id for m in frame.messages)), f.Ok)
        assert pages >= 3
        assert [m.payload for m in received] == [b"m%03d" % (i % 50) for i in range(total)]
        ids = [m.queue_id for m in received]
        assert ids == sorted(ids) and len(set(ids)) == total
        assert (await b.call(f.Fetch(), f.Deliver)).messages == ()
        await b.close()

    run(scenario())


def test_unacknowledged_messages_come_again_on_the_next_connection(
    shared_relay: RelayProcess,
) -> None:
    async def scenario() -> None:
        alice, bob = await _people(shared_relay.url)
        a = await RelayClient.login(shared_relay.url, alice.device)
        b = await RelayClient.login(shared_relay.url, bob.device)
        for i in range(3):
            await a.call(send(bob.device, b"x%d" % i), f.Sent)
        first = await b.deliveries(3)
        await b.call(f.Ack((first[0].queue_id,)), f.Ok)
        await b.close()
        b = await RelayClient.login(shared_relay.url, bob.device)
        again = await b.deliveries(2)
        assert [m.payload for m in again] == [b"x1", b"x2"]
        assert [m.queue_id for m in again] == [m.queue_id for m in first[1:]]
        await a.close()
        await b.close()

    run(scenario())


def test_the_delivery_window_waits_for_acks(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice, bob = await _people(shared_relay.url)
        a = await RelayClient.login(shared_relay.url, alice.device)
        for _ in range(7):
            batch = tuple(f.Outgoing(bob.device.address, b"w") for _ in range(100))
            await a.call(f.Send(batch), f.Sent)
        b = await RelayClient.login(shared_relay.url, bob.device)
        window = await b.deliveries(500)
        assert len(window) == 500
        try:  # nothing more until something is acknowledged
            extra = await b.push(timeout=0.5)
            raise AssertionError(f"pushed past the window: {extra}")
        except TimeoutError:
            pass
        await b.call(f.Ack(tuple(m.queue_id for m in window[:100])), f.Ok)
        more = await b.deliveries(100)
        assert more[0].queue_id > window[-1].queue_id
        await a.close()
        await b.close()

    run(scenario())


def test_a_device_cannot_fetch_ack_or_delete_another_devices_queue(
    shared_relay: RelayProcess,
) -> None:
    async def scenario() -> None:
        alice, bob, carol = await _people(shared_relay.url, 3)
        a = await RelayClient.login(shared_relay.url, alice.device)
        for i in range(3):
            await a.call(send(bob.device, b"for bob %d" % i), f.Sent)
        c = await RelayClient.login(shared_relay.url, carol.device)
        assert (await c.call(f.Fetch(), f.Deliver)).messages == ()
        await c.call(f.Ack(tuple(range(1, 100_000, 7))[:1000]), f.Ok)  # guesses ids
        await c.call(f.Ack(tuple(range(0, 1000))), f.Ok)
        await c.close()
        b = await RelayClient.login(shared_relay.url, bob.device)
        mine = await b.call(f.Fetch(), f.Deliver)
        assert [m.payload for m in mine.messages] == [b"for bob %d" % i for i in range(3)]
        # Bob's acks of Carol-ish ids delete nothing of his own either
        await a.call(send(carol.device, b"for carol"), f.Sent)
        await b.call(f.Ack((mine.messages[-1].queue_id + 1, mine.messages[-1].queue_id + 2)), f.Ok)
        c = await RelayClient.login(shared_relay.url, carol.device)
        assert [m.payload for m in (await c.call(f.Fetch(), f.Deliver)).messages] == [b"for carol"]
        await a.close()
        await b.close()
        await c.close()

    run(scenario())


def test_per_sender_order_is_kept_per_recipient_device(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice, carol = await _people(shared_relay.url)
        (bob,) = await _people(shared_relay.url, 1, devices=2)
        a = await RelayClient.login(shared_relay.url, alice.device)
        c = await RelayClient.login(shared_relay.url, carol.device)

        async def burst(client: RelayClient, tag: bytes) -> None:
            for i in range(40):
                msgs = tuple(f.Outgoing(d.address, tag + b"%02d" % i) for d in bob.devices)
                await client.call(f.Send(msgs), f.Sent)

        await asyncio.gather(burst(a, b"a"), burst(c, b"c"))
        for device in bob.devices:
            b = await RelayClient.login(shared_relay.url, device)
            got = [m.payload for m in await b.deliveries(80)]
            for tag in (b"a", b"c"):
                mine = [p for p in got if p.startswith(tag)]
                assert mine == [tag + b"%02d" % i for i in range(40)]
            await b.close()
        await a.close()
        await c.close()

    run(scenario())


def test_a_send_to_an_unknown_or_removed_device_stores_nothing(
    shared_relay: RelayProcess,
) -> None:
    async def scenario() -> None:
        alice, bob = await _people(shared_relay.url)
        a = await RelayClient.login(shared_relay.url, alice.device)
        nobody = f.DeviceAddress(bob.identity_id, b"no such device")
        both = f.Send((f.Outgoing(bob.device.address, b"1"), f.Outgoing(nobody, b"2")))
        error = await a.error(both)
        assert error.code is ErrorCode.NOT_FOUND and error.device == nobody
        unknown = f.DeviceAddress(b"\x01" * 32, b"d")
        assert (await a.error(send(unknown, b"x"))).device == unknown
        b = await RelayClient.login(shared_relay.url, bob.device)
        assert (await b.call(f.Fetch(), f.Deliver)).messages == ()  # all or nothing
        await a.close()
        await b.close()

    run(scenario())


def test_one_time_keys_are_claimed_once_then_the_fallback(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice, bob, carol = await _people(shared_relay.url, 3)
        b = await RelayClient.login(shared_relay.url, bob.device)
        keys = tuple(f.SignedKey(b"k%d" % i, b"K" * 32, b"S" * 64) for i in range(3))
        fallback = f.SignedKey(b"fb", b"F" * 32, b"S" * 64)
        counts = await b.call(f.PublishKeys(keys, fallback), f.KeyCount)
        assert counts == f.KeyCount(3, True)
        a = await RelayClient.login(shared_relay.url, alice.device)
        c = await RelayClient.login(shared_relay.url, carol.device)
        claims: list[f.ClaimedKey] = []
        for client in (a, c, a, c):
            got = await client.call(f.ClaimKeys((bob.device.address,)), f.ClaimedKeys)
            claims.extend(got.keys)
        one_time = [k for k in claims if not k.fallback]
        assert sorted(k.key.key_id for k in one_time) == [b"k0", b"k1", b"k2"]
        assert [k.key for k in claims if k.fallback] == [fallback]
        assert await b.call(f.PublishKeys(()), f.KeyCount) == f.KeyCount(0, True)
        nobody = await a.call(f.ClaimKeys((carol.device.address,)), f.ClaimedKeys)
        assert nobody.keys == ()
        for client in (a, b, c):
            await client.close()

    run(scenario())


def test_blobs_upload_in_chunks_and_download_by_range(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice, bob = await _people(shared_relay.url)
        a = await RelayClient.login(shared_relay.url, alice.device)
        data = bytes(range(256)) * 4000  # 1,024,000 bytes: two full chunks and a tail
        started = await a.call(f.BlobBegin(len(data)), f.BlobStarted)
        step = started.chunk_size
        for offset in range(0, len(data), step):
            chunk = f.BlobChunk(started.upload_id, offset, data[offset : offset + step])
            await a.call(chunk, f.Ok)
        stored = await a.call(
            f.BlobFinish(started.upload_id, hashlib.sha256(data).digest()), f.BlobStored
        )
        assert stored.expires_ms > time.time() * 1000
        b = await RelayClient.login(shared_relay.url, bob.device)
        part = await b.call(f.BlobGet(stored.blob_id, 1000, 5000), f.BlobData)
        assert part == f.BlobData(data[1000:6000], len(data))
        whole = b""
        while len(whole) < len(data):
            got = await b.call(f.BlobGet(stored.blob_id, len(whole)), f.BlobData)
            assert got.data
            whole += got.data
        assert whole == data
        missing = await b.error(f.BlobGet(b"\x00" * 16))
        assert missing.code is ErrorCode.NOT_FOUND
        bad = await a.call(f.BlobBegin(10), f.BlobStarted)
        await a.call(f.BlobChunk(bad.upload_id, 0, b"0123456789"), f.Ok)
        wrong = await a.error(f.BlobFinish(bad.upload_id, hashlib.sha256(b"other").digest()))
        assert wrong.code is ErrorCode.MALFORMED
        for client in (a, b):
            await client.close()

    run(scenario())


def _relay_with(relay_factory: Any, *args: str) -> RelayProcess:
    relay: RelayProcess = relay_factory(args=list(args))
    return relay


def test_queue_caps_refuse_with_the_recipient(relay_factory: Any) -> None:
    relay = _relay_with(relay_factory, "--max-queue-messages", "3", "--max-queue-bytes", "5000")

    async def scenario() -> None:
        alice, bob, carol = await _people(relay.url, 3)
        a = await RelayClient.login(relay.url, alice.device)
        for i in range(3):
            await a.call(send(bob.device, b"%d" % i), f.Sent)
        full = await a.error(send(bob.device, b"one too many"))
        assert full.code is ErrorCode.QUEUE_FULL and full.device == bob.device.address
        mixed = f.Send(
            (f.Outgoing(carol.device.address, b"ok"), f.Outgoing(bob.device.address, b"x"))
        )
        assert (await a.error(mixed)).device == bob.device.address
        big = await a.error(send(carol.device, b"x" * 6000))
        assert big.code is ErrorCode.QUEUE_FULL and big.device == carol.device.address
        c = await RelayClient.login(relay.url, carol.device)
        assert (await c.call(f.Fetch(), f.Deliver)).messages == ()  # nothing of the refused sends
        b = await RelayClient.login(relay.url, bob.device)
        got = await b.deliveries(3)
        await b.call(f.Ack((got[0].queue_id,)), f.Ok)
        await a.call(send(bob.device, b"room again"), f.Sent)
        for client in (a, b, c):
            await client.close()

    run(scenario())


def test_undelivered_messages_expire(relay_factory: Any) -> None:
    relay = _relay_with(
        relay_factory, "--message-ttl-days", str(1.5 / 86400), "--expiry-interval", "0.3"
    )

    async def scenario() -> None:
        alice, bob = await _people(relay.url)
        a = await RelayClient.login(relay.url, alice.device)
        await a.call(send(bob.device, b"soon gone"), f.Sent)
        await asyncio.sleep(2.5)
        await a.call(send(bob.device, b"fresh"), f.Sent)
        b = await RelayClient.connect(relay.url)
        hello = await b.call(bob.device.answer(b.challenge), f.Authenticated)
        assert hello.queued == 1
        (msg,) = await b.deliveries(1)
        assert msg.payload == b"fresh"
        await a.close()
        await b.close()

    run(scenario())


def test_rate_limits_per_device(relay_factory: Any) -> None:
    relay = _relay_with(relay_factory, "--device-rate", "5/10")

    async def scenario() -> None:
        alice, bob = await _people(relay.url)
        a = await RelayClient.login(relay.url, alice.device)
        replies = [await a.request(send(bob.device, b"x")) for _ in range(15)]
        assert replies[:10] == [f.Sent(1)] * 10
        limited = [r for r in replies[10:] if isinstance(r, f.Error)]
        assert limited and all(r.code is ErrorCode.RATE_LIMITED for r in limited)
        assert all(r.retry_after_ms and 0 < r.retry_after_ms <= 1000 for r in limited)
        other = await RelayClient.login(relay.url, bob.device)  # other devices unaffected
        await other.call(send(alice.device, b"y"), f.Sent)
        await asyncio.sleep(0.5)
        await a.call(send(bob.device, b"after a pause"), f.Sent)
        await a.close()
        await other.close()

    run(scenario())


def test_rate_limits_per_ip_and_on_connecting(relay_factory: Any) -> None:
    relay = _relay_with(relay_factory, "--ip-rate", "20/30", "--connect-rate", "0.5/3")

    async def scenario() -> None:
        alice = Person()
        client = await RelayClient.connect(relay.url)
        await client.call(f.PublishIdentity(alice.chain()), f.Ok)
        codes = []
        for _ in range(40):
            reply = await client.request(f.Ping())
            codes.append(reply.code if isinstance(reply, f.Error) else "pong")
        assert codes.count("pong") >= 29 and ErrorCode.RATE_LIMITED in codes
        await client.close()
        refusals: list[f.Error] = []
        for _ in range(8):
            try:
                c = await RelayClient.connect(relay.url)
            except RelayError as exc:
                refusals.append(exc.error)
            else:
                await c.close()
        assert len(refusals) >= 4
        assert {e.code for e in refusals} == {ErrorCode.RATE_LIMITED}

    run(scenario())


def test_a_stranger_cannot_fill_a_queue_for_everyone_else(relay_factory: Any) -> None:
    """The flood of issue 11: one sender reaches its share of Bob's queue and is
    refused with queue_full naming Bob, while Bob's other contacts still get in."""
    relay = _relay_with(relay_factory, "--max-sender-queue-messages", "5")

    async def scenario() -> None:
        stranger, bob, carol = await _people(relay.url, 3)
        s = await RelayClient.login(relay.url, stranger.device)
        for i in range(5):
            await s.call(send(bob.device, b"junk %d" % i), f.Sent)
        full = await s.error(send(bob.device, b"more junk"))
        assert full.code is ErrorCode.QUEUE_FULL and full.device == bob.device.address
        assert "from one sender" in full.message
        c = await RelayClient.login(relay.url, carol.device)
        assert (await c.call(send(bob.device, b"hello bob"), f.Sent)).accepted == 1
        b = await RelayClient.login(relay.url, bob.device)
        got = await b.deliveries(6)
        assert got[-1].payload == b"hello bob" and got[-1].sender == carol.device.address
        await b.call(f.Ack(tuple(m.queue_id for m in got[:2])), f.Ok)
        await s.call(send(bob.device, b"room again"), f.Sent)
        for client in (s, b, c):
            await client.close()

    run(scenario())
