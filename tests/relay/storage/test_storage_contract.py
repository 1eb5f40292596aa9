"""The RelayStorage contract, run against both backends (see ``conftest.backend``)."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from keybound.relay.storage.base import (
    ChainConflict,
    InvalidBlobRequest,
    KeyCounts,
    Limits,
    NotFound,
    QueuedMessage,
    QueueFull,
    QuotaExceeded,
    StorageUnavailable,
)
from keybound.wire.frames import DeviceAddress, Incoming, SignedKey
from tests.relay.storage.conftest import Backend, device

ALICE = device("alice")
BOB = device("bob")
BOB2 = device("bob2", identity="bob")
CAROL = device("carol")
NOW = 1_700_000_000_000


def msg(to: DeviceAddress, text: str) -> QueuedMessage:
    return QueuedMessage(recipient=to, payload=text.encode())


def key(n: int) -> SignedKey:
    return SignedKey(key_id=f"k{n}".encode(), key=bytes([n]) * 32, signature=bytes([n]) * 64)


async def everything(storage: object, recipient: DeviceAddress) -> list[bytes]:
    from keybound.relay.storage.base import RelayStorage

    assert isinstance(storage, RelayStorage)
    out: list[bytes] = []
    after = 0
    while True:
        page = await storage.fetch(recipient, after, 100)
        if not page:
            return out
        out += [m.payload for m in page]
        after = page[-1].queue_id


# --- queues ----------------------------------------------------------------------


def test_fetch_returns_own_messages_in_order_in_pages(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            await s.enqueue(ALICE, [msg(BOB, "a1"), msg(CAROL, "c1"), msg(BOB, "a2")], NOW)
            await s.enqueue(CAROL, [msg(BOB, "c->b")], NOW + 5)
            first = await s.fetch(BOB, 0, 2)
            assert [m.payload for m in first] == [b"a1", b"a2"]
            assert all(m.sender == ALICE and m.received_ms == NOW for m in first)
            assert first[0].queue_id < first[1].queue_id
            rest = await s.fetch(BOB, first[-1].queue_id, 10)
            assert [(m.payload, m.sender, m.received_ms) for m in rest] == [
                (b"c->b", CAROL, NOW + 5)
            ]
            assert await s.fetch(BOB, rest[-1].queue_id, 10) == []
            assert [m.payload for m in await s.fetch(CAROL, 0, 10)] == [b"c1"]
            assert await s.fetch(BOB2, 0, 10) == []  # same identity, other device
            assert await s.fetch(BOB, 0, 0) == []
            assert await s.queue_size(BOB) == (3, len(b"a1a2c->b"))

    asyncio.run(body())


def test_ack_deletes_only_the_recipients_own_messages(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            await s.enqueue(ALICE, [msg(BOB, "one"), msg(BOB, "two"), msg(CAROL, "c")], NOW)
            bobs = [m.queue_id for m in await s.fetch(BOB, 0, 10)]
            carols = [m.queue_id for m in await s.fetch(CAROL, 0, 10)]
            # another device (even of the same identity) cannot delete Bob's messages
            assert await s.ack(CAROL, bobs) == 0
            assert await s.ack(BOB2, bobs) == 0
            assert len(await s.fetch(BOB, 0, 10)) == 2
            # Bob's ack of Carol's id and of an unknown id deletes nothing of hers
            assert await s.ack(BOB, [*carols, 999_999, bobs[0], bobs[0]]) == 1
            assert [m.payload for m in await s.fetch(BOB, 0, 10)] == [b"two"]
            assert [m.payload for m in await s.fetch(CAROL, 0, 10)] == [b"c"]
            assert await s.queue_size(BOB) == (1, 3)
            assert await s.ack(BOB, bobs) == 1
            assert await s.ack(BOB, bobs) == 0
            assert await s.ack(BOB, []) == 0
            assert await s.queue_size(BOB) == (0, 0)
            assert await s.queue_size(CAROL) == (1, 1)

    asyncio.run(body())


def test_ack_of_many_ids_at_once(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            await s.enqueue(ALICE, [msg(BOB, f"{n}") for n in range(1300)], NOW)
            await s.enqueue(ALICE, [msg(CAROL, "c")], NOW)
            ids = [m.queue_id for m in await everything_ids(s)]
            carol = [m.queue_id for m in await s.fetch(CAROL, 0, 10)]
            assert len(ids) == 1300
            assert await s.ack(BOB, [*ids[:1299], *carol, *ids[:5]]) == 1299
            assert [m.payload for m in await s.fetch(BOB, 0, 10)] == [b"1299"]
            assert await s.queue_size(BOB) == (1, 4)
            assert await s.queue_size(CAROL) == (1, 1)

    async def everything_ids(s: object) -> list[Incoming]:
        from keybound.relay.storage.base import RelayStorage

        assert isinstance(s, RelayStorage)
        out: list[Incoming] = []
        while page := await s.fetch(BOB, out[-1].queue_id if out else 0, 500):
            out += page
        return out

    asyncio.run(body())


def test_wakeup_once_per_recipient_after_commit(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started(Limits(max_queue_bytes=5)) as node:
            s = node.storage
            await s.enqueue(ALICE, [msg(BOB, "1"), msg(CAROL, "2"), msg(BOB, "3")], NOW)
            assert sorted(node.wakeups, key=repr) == sorted([BOB, CAROL], key=repr)
            await asyncio.sleep(0.2)  # PostgreSQL: our own NOTIFY must not wake again
            assert len(node.wakeups) == 2
            with pytest.raises(QueueFull):
                await s.enqueue(ALICE, [msg(BOB, "x" * 10)], NOW)
            assert len(node.wakeups) == 2

    asyncio.run(body())


def test_queue_ids_keep_increasing_after_the_queue_empties(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            await s.enqueue(ALICE, [msg(BOB, "1")], NOW)
            (first,) = await s.fetch(BOB, 0, 10)
            assert await s.ack(BOB, [first.queue_id]) == 1
            await s.enqueue(ALICE, [msg(BOB, "2")], NOW)
            # a server paging with after_queue_id=first must still see the new one
            (second,) = await s.fetch(BOB, first.queue_id, 10)
            assert second.queue_id > first.queue_id

    asyncio.run(body())


def test_concurrent_sends_keep_each_senders_order(backend: Backend) -> None:
    senders = [device(f"s{i}") for i in range(5)]

    async def body() -> None:
        async with backend.started() as node:
            s = node.storage

            async def send_all(sender: DeviceAddress) -> None:
                for n in range(15):
                    await s.enqueue(sender, [msg(BOB, f"{n:03}"), msg(CAROL, f"{n:03}")], NOW)

            await asyncio.gather(*(send_all(x) for x in senders))
            got = await s.fetch(BOB, 0, 1000)
            assert len(got) == 75
            assert [m.queue_id for m in got] == sorted({m.queue_id for m in got})
            for sender in senders:
                mine = [m.payload for m in got if m.sender == sender]
                assert mine == [f"{n:03}".encode() for n in range(15)]

    asyncio.run(body())


def test_enqueue_each_answers_each_send_and_keeps_order(backend: Backend) -> None:
    limits = Limits(max_queue_messages=3)

    async def body() -> None:
        async with backend.started(limits) as node:
            s = node.storage
            outcomes = await s.enqueue_each(
                ALICE,
                [
                    [msg(BOB, "1"), msg(CAROL, "c1")],
                    [msg(CAROL, "c2"), msg(BOB, "2"), msg(BOB, "3"), msg(BOB, "4")],  # bob full
                    [msg(BOB, "5")],
                    [],
                ],
                NOW,
            )
            assert outcomes[0] is None and outcomes[2] is None and outcomes[3] is None
            assert isinstance(outcomes[1], QueueFull) and outcomes[1].recipient == BOB
            assert [m.payload for m in await s.fetch(BOB, 0, 10)] == [b"1", b"5"]
            assert [m.payload for m in await s.fetch(CAROL, 0, 10)] == [b"c1"]  # all or nothing
            assert await s.queue_size(BOB) == (2, 2)
            assert set(node.wakeups) == {BOB, CAROL}
            assert await s.enqueue_each(ALICE, [[msg(CAROL, "c3")]], NOW) == [None]

    asyncio.run(body())


def test_overlapping_writes_commit_in_start_order(backend: Backend) -> None:
    """Both backends promise ``ordered_writes`` (one writer per node): writes
    commit in the order they were started even when they overlap, so the
    session pipelines a sender's sends."""

    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            assert s.ordered_writes
            tasks = [
                asyncio.ensure_future(s.enqueue_each(ALICE, [[msg(BOB, f"{n:03}")]], NOW))
                for n in range(50)
            ]
            tasks += [asyncio.ensure_future(s.enqueue(ALICE, [msg(BOB, "last")], NOW))]
            await asyncio.gather(*tasks)
            got = [m.payload for m in await s.fetch(BOB, 0, 100)]
            assert got == [f"{n:03}".encode() for n in range(50)] + [b"last"]

    asyncio.run(body())


def test_caps_refuse_a_send_all_or_nothing(backend: Backend) -> None:
    limits = Limits(max_queue_messages=3, max_queue_bytes=10)

    async def body() -> None:
        async with backend.started(limits) as node:
            s = node.storage
            await s.enqueue(ALICE, [msg(BOB, "aa"), msg(BOB, "bb")], NOW)
            with pytest.raises(QueueFull) as caught:
                await s.enqueue(ALICE, [msg(CAROL, "c"), msg(BOB, "cc"), msg(BOB, "dd")], NOW)
            assert caught.value.recipient == BOB
            assert await s.fetch(CAROL, 0, 10) == []  # nothing of the refused send
            assert await s.queue_size(CAROL) == (0, 0)
            assert await s.queue_size(BOB) == (2, 4)
            await s.enqueue(ALICE, [msg(BOB, "ee")], NOW)  # exactly at the cap: fine
            assert await s.queue_size(BOB) == (3, 6)
            with pytest.raises(QueueFull):
                await s.enqueue(ALICE, [msg(BOB, "f")], NOW)
            # the byte cap, on a fresh queue
            await s.enqueue(ALICE, [msg(CAROL, "0123456789")], NOW)
            with pytest.raises(QueueFull) as caught:
                await s.enqueue(CAROL, [msg(ALICE, "ok"), msg(CAROL, "x")], NOW)
            assert caught.value.recipient == CAROL
            assert await s.fetch(ALICE, 0, 10) == []
            # acks make room again
            bobs = [m.queue_id for m in await s.fetch(BOB, 0, 10)]
            assert await s.ack(BOB, bobs[:1]) == 1
            await s.enqueue(ALICE, [msg(BOB, "g")], NOW)
            assert [m.payload for m in await s.fetch(BOB, 0, 10)] == [b"bb", b"ee", b"g"]

    asyncio.run(body())


def test_queues_survive_reopening(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as node:
            await node.storage.enqueue(ALICE, [msg(BOB, "kept")], NOW)
        async with backend.started() as node:
            assert [m.payload for m in await node.storage.fetch(BOB, 0, 10)] == [b"kept"]
            assert await node.storage.queue_size(BOB) == (1, 4)

    asyncio.run(body())


def test_a_closed_storage_refuses_work(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as node:
            pass
        await node.storage.close()  # closing twice is harmless
        with pytest.raises(StorageUnavailable):
            await node.storage.enqueue(ALICE, [msg(BOB, "late")], NOW)
        with pytest.raises(StorageUnavailable):
            await node.storage.fetch(BOB, 0, 10)

    asyncio.run(body())


# --- directory -------------------------------------------------------------------


def test_keys_publish_claim_fallback_counts(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            assert await s.claim_key(BOB) is None
            assert await s.key_counts(BOB) == KeyCounts(0, False)
            assert await s.publish_keys(BOB, [], None) == KeyCounts(0, False)
            counts = await s.publish_keys(BOB, [key(1), key(2), key(3)], None)
            assert counts == KeyCounts(3, False)
            # ids already known are ignored, not duplicated
            assert await s.publish_keys(BOB, [key(2), key(3)], key(100)) == KeyCounts(3, True)
            claimed = [await s.claim_key(BOB) for _ in range(3)]
            assert [(c.key, c.fallback) for c in claimed if c] == [
                (key(1), False),
                (key(2), False),
                (key(3), False),
            ]
            assert await s.key_counts(BOB) == KeyCounts(0, True)
            for _ in range(2):  # the fallback key stays
                assert (fb := await s.claim_key(BOB)) is not None
                assert (fb.key, fb.fallback) == (key(100), True)
            # republishing a key that was handed out does not bring it back
            assert await s.publish_keys(BOB, [key(1), key(4)], key(101)) == KeyCounts(1, True)
            assert (c := await s.claim_key(BOB)) is not None and c.key == key(4)
            assert (c := await s.claim_key(BOB)) is not None and c.key == key(101)
            # other devices are untouched
            assert await s.key_counts(BOB2) == KeyCounts(0, False)
            assert await s.claim_key(BOB2) is None

    asyncio.run(body())


def test_claims_from_two_nodes_never_hand_out_a_key_twice(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as a, backend.started() as b:
            keys = [key(n) for n in range(40)]
            await a.storage.publish_keys(BOB, keys, key(200))
            results = await asyncio.gather(
                *((a if n % 2 else b).storage.claim_key(BOB) for n in range(80))
            )
            one_time = [r.key.key_id for r in results if r and not r.fallback]
            fallbacks = [r for r in results if r and r.fallback]
            assert len(one_time) == len(set(one_time)) == 40
            assert len(fallbacks) == 40
            assert await b.storage.key_counts(BOB) == KeyCounts(0, True)

    asyncio.run(body())


def test_chain_append_checks_the_head(backend: Backend) -> None:
    ident = b"I" * 32

    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            assert await s.get_chain(ident) is None
            await s.append_chain(ident, -1, [b"doc0", b"doc1"])
            chain = await s.get_chain(ident)
            assert chain is not None and chain.documents == (b"doc0", b"doc1")
            assert chain.head_version == 1
            for stale in (-1, 0, 2):
                with pytest.raises(ChainConflict):
                    await s.append_chain(ident, stale, [b"fork"])
            await s.append_chain(ident, 1, [b"doc2"])
            chain = await s.get_chain(ident)
            assert chain is not None and chain.documents == (b"doc0", b"doc1", b"doc2")
            await s.append_chain(ident, 2, [])  # nothing new: a no-op at the right head
            with pytest.raises(ChainConflict):
                await s.append_chain(ident, 1, [])
            assert await s.get_chain(b"other") is None

    asyncio.run(body())


def test_chain_appends_racing_from_two_nodes_one_wins(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as a, backend.started() as b:
            for round_ in range(5):
                ident = f"race{round_}".encode()
                results = await asyncio.gather(
                    a.storage.append_chain(ident, -1, [b"from a", b"a1"]),
                    b.storage.append_chain(ident, -1, [b"from b"]),
                    return_exceptions=True,
                )
                errors = [r for r in results if isinstance(r, BaseException)]
                assert len(errors) == 1 and isinstance(errors[0], ChainConflict), results
                chain = await a.storage.get_chain(ident)
                assert chain is not None
                assert chain.documents in ((b"from a", b"a1"), (b"from b",))

    asyncio.run(body())


def test_one_sender_cannot_fill_a_recipients_queue(backend: Backend) -> None:
    """A stranger who knows Bob's address gets only a share of Bob's queue:
    once at it, his sends are refused (all or nothing, named), and everyone
    else still gets through; acks and expiry give the share back."""
    limits = Limits(max_sender_messages=2, max_sender_bytes=10, message_ttl_ms=10_000)

    async def body() -> None:
        async with backend.started(limits) as node:
            s = node.storage
            await s.enqueue(ALICE, [msg(BOB, "a1"), msg(BOB, "a2")], NOW)
            assert await s.sender_queue_size(BOB, ALICE) == (2, 4)
            with pytest.raises(QueueFull) as caught:
                await s.enqueue(ALICE, [msg(CAROL, "c"), msg(BOB, "a3")], NOW)
            assert caught.value.recipient == BOB and caught.value.per_sender
            assert await s.fetch(CAROL, 0, 10) == []  # nothing of the refused send
            assert await s.sender_queue_size(CAROL, ALICE) == (0, 0)
            assert await s.sender_queue_size(BOB, ALICE) == (2, 4)
            # another sender, and another device of Bob's, are not affected
            await s.enqueue(CAROL, [msg(BOB, "c1"), msg(BOB, "c2")], NOW)
            await s.enqueue(ALICE, [msg(BOB2, "x")], NOW)
            assert await s.queue_size(BOB) == (4, 8)
            # the byte share, on its own
            with pytest.raises(QueueFull) as caught:
                await s.enqueue(ALICE, [msg(CAROL, "0123456789A")], NOW)
            assert caught.value.recipient == CAROL and caught.value.per_sender
            # Bob's acks give Alice her share back, and only hers
            alices = [m.queue_id for m in await s.fetch(BOB, 0, 10) if m.sender == ALICE]
            assert await s.ack(BOB, alices[:1]) == 1
            assert await s.sender_queue_size(BOB, ALICE) == (1, 2)
            assert await s.sender_queue_size(BOB, CAROL) == (2, 4)
            await s.enqueue(ALICE, [msg(BOB, "a3")], NOW + 5_000)
            with pytest.raises(QueueFull):
                await s.enqueue(ALICE, [msg(BOB, "a4")], NOW)
            # expiry too; an emptied share is gone, not stuck at a count
            assert await s.expire(NOW + 10_000) == 4  # a2, c1, c2 and x, sent at NOW
            assert await s.sender_queue_size(BOB, ALICE) == (1, 2)
            assert await s.sender_queue_size(BOB, CAROL) == (0, 0)
            await s.enqueue(CAROL, [msg(BOB, "c3"), msg(BOB, "c4")], NOW + 10_000)
            assert [m.payload for m in await s.fetch(BOB, 0, 10)] == [b"a3", b"c3", b"c4"]

    asyncio.run(body())


# --- expiry ----------------------------------------------------------------------


def test_expire_removes_old_messages_uploads_and_blobs(backend: Backend) -> None:
    limits = Limits(message_ttl_ms=10_000, blob_ttl_ms=20_000, upload_ttl_ms=5_000)

    async def body() -> None:
        async with backend.started(limits) as node:
            s = node.storage
            await s.enqueue(ALICE, [msg(BOB, "old"), msg(CAROL, "old")], NOW)
            await s.enqueue(ALICE, [msg(BOB, "new")], NOW + 8_000)
            upload = await s.blob_begin(ALICE, 3, NOW)  # never finished
            done = await s.blob_begin(ALICE, 3, NOW)
            await s.blob_write(ALICE, done, 0, b"abc")
            blob_id, expires = await s.blob_finish(
                ALICE, done, hashlib.sha256(b"abc").digest(), NOW
            )
            assert expires == NOW + 20_000
            assert await s.expire(NOW + 1_000) == 0
            assert await s.expire(NOW + 10_000) == 3  # two messages and the stale upload
            assert [m.payload for m in await s.fetch(BOB, 0, 10)] == [b"new"]
            assert await s.queue_size(BOB) == (1, 3)
            assert await s.queue_size(CAROL) == (0, 0)
            with pytest.raises(NotFound):
                await s.blob_write(ALICE, upload, 0, b"x")
            assert await s.blob_read(blob_id, 0, 10) == (b"abc", 3)
            assert await s.expire(NOW + 20_000) == 2
            with pytest.raises(NotFound):
                await s.blob_read(blob_id, 0, 10)
            assert await s.fetch(BOB, 0, 10) == []
            assert await s.expire(NOW + 100_000) == 0

    asyncio.run(body())


def test_expire_works_in_batches(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started(Limits(message_ttl_ms=1)) as node:
            s = node.storage
            batch = [msg(device(f"r{i % 7}"), "x") for i in range(1000)]
            await s.enqueue(ALICE, batch, NOW)
            await s.enqueue(ALICE, batch[:500], NOW)
            assert await s.expire(NOW + 1) == 1500
            assert await s.queue_size(device("r0")) == (0, 0)

    asyncio.run(body())


# --- blobs -----------------------------------------------------------------------


def test_blob_upload_in_chunks_and_ranged_reads(backend: Backend) -> None:
    data = bytes(range(256)) * 4  # 1024 bytes

    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            upload = await s.blob_begin(ALICE, len(data), NOW)
            for at in range(0, len(data), 300):
                await s.blob_write(ALICE, upload, at, data[at : at + 300])
            blob_id, expires = await s.blob_finish(
                ALICE, upload, hashlib.sha256(data).digest(), NOW
            )
            assert len(blob_id) == 16 and blob_id != upload
            assert expires == NOW + Limits().blob_ttl_ms
            # anyone who knows the id may read (the client shares it end to end)
            assert await s.blob_read(blob_id, 0, 5000) == (data, len(data))
            for offset, length in [(0, 1), (299, 2), (250, 400), (600, 424), (1023, 10)]:
                got, total = await s.blob_read(blob_id, offset, length)
                assert (got, total) == (data[offset : offset + length], len(data))
            assert await s.blob_read(blob_id, len(data), 10) == (b"", len(data))
            for offset, length in [(len(data) + 1, 1), (-1, 5), (0, -1)]:
                with pytest.raises(InvalidBlobRequest):
                    await s.blob_read(blob_id, offset, length)
            with pytest.raises(NotFound):
                await s.blob_read(b"\x00" * 16, 0, 1)
            with pytest.raises(NotFound):  # an upload id is not a blob id
                await s.blob_read(upload, 0, 1)
            with pytest.raises(NotFound):  # a finished upload takes no more chunks
                await s.blob_write(ALICE, upload, len(data), b"")
            # an empty blob is a blob too
            empty = await s.blob_begin(ALICE, 0, NOW)
            empty_id, _ = await s.blob_finish(ALICE, empty, hashlib.sha256(b"").digest(), NOW)
            assert await s.blob_read(empty_id, 0, 10) == (b"", 0)

    asyncio.run(body())


def test_blob_reads_are_capped_at_one_chunk(backend: Backend) -> None:
    from keybound.wire.frames import MAX_BLOB_CHUNK

    data = b"z" * (MAX_BLOB_CHUNK + 100)

    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            upload = await s.blob_begin(ALICE, len(data), NOW)
            await s.blob_write(ALICE, upload, 0, data[:MAX_BLOB_CHUNK])
            await s.blob_write(ALICE, upload, MAX_BLOB_CHUNK, data[MAX_BLOB_CHUNK:])
            blob_id, _ = await s.blob_finish(ALICE, upload, hashlib.sha256(data).digest(), NOW)
            got, total = await s.blob_read(blob_id, 0, len(data))
            assert (len(got), total) == (MAX_BLOB_CHUNK, len(data))
            got, _ = await s.blob_read(blob_id, 50, len(data))
            assert len(got) == MAX_BLOB_CHUNK

    asyncio.run(body())


def test_blob_upload_errors(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            upload = await s.blob_begin(ALICE, 10, NOW)
            with pytest.raises(NotFound):  # not Bob's upload
                await s.blob_write(BOB, upload, 0, b"12345")
            with pytest.raises(NotFound):
                await s.blob_write(ALICE, b"\x01" * 16, 0, b"12345")
            with pytest.raises(InvalidBlobRequest):  # gap
                await s.blob_write(ALICE, upload, 3, b"12345")
            await s.blob_write(ALICE, upload, 0, b"12345")
            with pytest.raises(InvalidBlobRequest):  # repeat
                await s.blob_write(ALICE, upload, 0, b"12345")
            with pytest.raises(InvalidBlobRequest):  # past the announced size
                await s.blob_write(ALICE, upload, 5, b"123456")
            with pytest.raises(InvalidBlobRequest):  # not complete
                await s.blob_finish(ALICE, upload, hashlib.sha256(b"12345").digest(), NOW)
            await s.blob_write(ALICE, upload, 5, b"67890")
            with pytest.raises(NotFound):
                await s.blob_finish(BOB, upload, hashlib.sha256(b"1234567890").digest(), NOW)
            with pytest.raises(InvalidBlobRequest):  # digest mismatch discards the upload
                await s.blob_finish(ALICE, upload, hashlib.sha256(b"other").digest(), NOW)
            with pytest.raises(NotFound):
                await s.blob_finish(ALICE, upload, hashlib.sha256(b"1234567890").digest(), NOW)

    asyncio.run(body())


def test_blob_size_limit_and_quota(backend: Backend) -> None:
    limits = Limits(max_blob_size=1000, blob_quota_bytes=1500, upload_ttl_ms=1_000)

    async def body() -> None:
        async with backend.started(limits) as node:
            s = node.storage
            with pytest.raises(QuotaExceeded):
                await s.blob_begin(ALICE, 1001, NOW)
            with pytest.raises(InvalidBlobRequest):
                await s.blob_begin(ALICE, -1, NOW)
            first = await s.blob_begin(ALICE, 1000, NOW)
            with pytest.raises(QuotaExceeded):
                await s.blob_begin(ALICE, 600, NOW)
            await s.blob_begin(ALICE, 500, NOW)  # exactly the quota
            await s.blob_begin(BOB, 1000, NOW)  # quotas are per device
            # a refused digest gives the reservation back
            await s.blob_write(ALICE, first, 0, b"x" * 1000)
            with pytest.raises(InvalidBlobRequest):
                await s.blob_finish(ALICE, first, b"\x00" * 32, NOW)
            await s.blob_begin(ALICE, 1000, NOW)
            with pytest.raises(QuotaExceeded):
                await s.blob_begin(ALICE, 1, NOW)
            # expiry of unfinished uploads gives it back too
            assert await s.expire(NOW + 1_000) == 3
            await s.blob_begin(ALICE, 1000, NOW + 1_000)

    asyncio.run(body())
