"""The RelayStorage contract for ML-KEM prekeys, run against both backends (``conftest.backend``).

The same claim semantics as the Olm one-time keys: each one-time key is handed
out once across nodes, the last-resort key stays, a claimed key published again
stays claimed, and the two kinds of keys never mix.
"""

from __future__ import annotations

import asyncio

from keybound.relay.storage.base import KeyCounts
from keybound.wire.frames import PQ_KEY_SIZE, SignedKey, SignedPqKey
from tests.relay.storage.conftest import Backend, device

BOB = device("bob")
BOB2 = device("bob2", identity="bob")


def pq_key(n: int) -> SignedPqKey:
    return SignedPqKey(f"k{n}".encode(), bytes([n]) * PQ_KEY_SIZE, bytes([n]) * 64)


def test_pq_keys_publish_claim_last_resort_counts(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            assert await s.claim_pq_key(BOB) is None
            assert await s.publish_pq_keys(BOB, [], None) == KeyCounts(0, False)
            assert await s.publish_pq_keys(BOB, [pq_key(1), pq_key(2)], None) == KeyCounts(2, False)
            counts = await s.publish_pq_keys(BOB, [pq_key(2)], pq_key(100))
            assert counts == KeyCounts(2, True)  # a known id is not added twice
            claimed = [await s.claim_pq_key(BOB) for _ in range(4)]
            assert [(c.key, c.last_resort) for c in claimed if c] == [
                (pq_key(1), False),
                (pq_key(2), False),
                (pq_key(100), True),
                (pq_key(100), True),
            ]
            # a handed-out key published again stays dead; a new last-resort replaces the old
            assert await s.publish_pq_keys(BOB, [pq_key(1), pq_key(3)], pq_key(101)) == KeyCounts(
                1, True
            )
            assert (c := await s.claim_pq_key(BOB)) is not None and c.key == pq_key(3)
            assert (c := await s.claim_pq_key(BOB)) is not None and c.key == pq_key(101)
            assert await s.claim_pq_key(BOB2) is None  # other devices untouched

    asyncio.run(body())


def test_pq_and_olm_keys_do_not_mix(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            olm = SignedKey(b"k1", b"o" * 32, b"s" * 64)  # the same key id as pq_key(1)
            await s.publish_keys(BOB, [olm], None)
            await s.publish_pq_keys(BOB, [pq_key(1)], None)
            assert (c := await s.claim_key(BOB)) is not None and c.key == olm
            # the Olm key's tombstone does not kill the PQ key of the same id, nor back
            assert (p := await s.claim_pq_key(BOB)) is not None and p.key == pq_key(1)
            assert await s.key_counts(BOB) == KeyCounts(0, False)
            assert await s.publish_keys(BOB, [olm], None) == KeyCounts(0, False)
            assert await s.publish_pq_keys(BOB, [pq_key(1)], None) == KeyCounts(0, False)

    asyncio.run(body())


def test_pq_claims_from_two_nodes_never_hand_out_a_key_twice(backend: Backend) -> None:
    async def body() -> None:
        async with backend.started() as a, backend.started() as b:
            await a.storage.publish_pq_keys(BOB, [pq_key(n) for n in range(30)], pq_key(200))
            results = await asyncio.gather(
                *((a if n % 2 else b).storage.claim_pq_key(BOB) for n in range(50))
            )
            one_time = [r.key.key_id for r in results if r and not r.last_resort]
            assert len(one_time) == len(set(one_time)) == 30
            assert sum(1 for r in results if r and r.last_resort) == 20
            assert await b.storage.publish_pq_keys(BOB, [], None) == KeyCounts(0, True)

    asyncio.run(body())
