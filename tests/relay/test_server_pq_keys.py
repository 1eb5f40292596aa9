"""ML-KEM prekeys through a real relay process: published, claimed once, limits, auth."""

from __future__ import annotations

from typing import Any

from keybound.wire import frames as f
from tests.helpers.relay_process import (
    Person,
    RelayClient,
    RelayProcess,
    publish,
    relay_factory,
    run,
)

__all__ = ["relay_factory"]


def pq_key(device: Any, n: int) -> f.SignedPqKey:
    key = bytes([n]) * f.PQ_KEY_SIZE
    return f.SignedPqKey(f"pq{n}".encode(), key, device.sign(key))


def test_pq_prekeys_are_published_and_claimed_once(relay_factory: Any) -> None:
    relay: RelayProcess = relay_factory()

    async def scenario() -> None:
        alice, bob = Person(), Person()
        alice_dev, bob_dev = alice.devices[-1], bob.devices[-1]
        await publish(relay.url, alice)
        await publish(relay.url, bob)
        anonymous = await RelayClient.connect(relay.url)
        refused = await anonymous.error(f.ClaimPqKeys((bob_dev.address,)))
        assert refused.code is f.ErrorCode.UNAUTHENTICATED
        await anonymous.close()
        async with await RelayClient.login(relay.url, bob_dev) as b:
            count = await b.call(f.PublishPqKeys((), None), f.PqKeyCount)
            assert (count.one_time_keys_left, count.has_last_resort_key) == (0, False)
            keys = (pq_key(bob_dev, 1), pq_key(bob_dev, 2))
            count = await b.call(f.PublishPqKeys(keys, pq_key(bob_dev, 9)), f.PqKeyCount)
            assert (count.one_time_keys_left, count.has_last_resort_key) == (2, True)
            too_many = tuple(pq_key(bob_dev, n % 250) for n in range(f.MAX_PQ_PUBLISH + 1))
            assert (await b.error(f.PublishPqKeys(too_many))).code is f.ErrorCode.TOO_LARGE
        async with await RelayClient.login(relay.url, alice_dev) as a:
            got = []
            for _ in range(3):
                reply = await a.call(f.ClaimPqKeys((bob_dev.address,)), f.ClaimedPqKeys)
                got += [(k.key.key_id, k.last_resort) for k in reply.keys]
            assert got == [(b"pq1", False), (b"pq2", False), (b"pq9", True)]
            many = tuple(f.DeviceAddress(b"x", bytes([n % 256, n // 256])) for n in range(501))
            assert (await a.error(f.ClaimPqKeys(many))).code is f.ErrorCode.TOO_LARGE

    run(scenario())
