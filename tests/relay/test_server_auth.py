"""Authentication and the identity directory, end to end against a relay process."""

from __future__ import annotations

import asyncio

from keybound.wire import frames as f
from keybound.wire.frames import ErrorCode
from tests.helpers.relay_process import (
    Person,
    RelayClient,
    RelayProcess,
    publish,
    run,
    shared_relay,
)

__all__ = ["shared_relay"]  # the fixture, imported for pytest


async def _auth_error(url: str, answer: f.Authenticate, client: RelayClient | None = None) -> None:
    """The relay answers auth_failed and then closes the connection."""
    client = client or await RelayClient.connect(url)
    try:
        error = await client.error(answer)
        assert error.code is ErrorCode.AUTH_FAILED
        await asyncio.wait_for(client.closed.wait(), 5)
        assert client.conn.close_code == 1008
    finally:
        await client.close()


def test_a_certified_device_authenticates(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice = Person()
        await publish(shared_relay.url, alice)
        client = await RelayClient.connect(shared_relay.url)
        assert client.challenge.relay == "relay.test"
        assert len(client.challenge.nonce) == 32
        ok = await client.call(alice.device.answer(client.challenge), f.Authenticated)
        assert ok == f.Authenticated(0, False, 0)
        assert await client.call(f.Ping(), f.Pong) == f.Pong()
        await client.close()

    run(scenario())


def test_every_connection_gets_a_fresh_challenge(shared_relay: RelayProcess) -> None:
    async def scenario() -> set[bytes]:
        nonces = set()
        for _ in range(5):
            client = await RelayClient.connect(shared_relay.url)
            nonces.add(client.challenge.nonce)
            await client.close()
        return nonces

    assert len(run(scenario())) == 5


def test_a_bad_signature_fails(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice = Person()
        await publish(shared_relay.url, alice)
        client = await RelayClient.connect(shared_relay.url)
        good = alice.device.answer(client.challenge)
        flipped = bytes([good.signature[0] ^ 1]) + good.signature[1:]
        await _auth_error(shared_relay.url, f.Authenticate(good.device, flipped), client)

    run(scenario())


def test_another_devices_key_does_not_authenticate(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice, mallory = Person(), Person()
        await publish(shared_relay.url, alice)
        await publish(shared_relay.url, mallory)
        client = await RelayClient.connect(shared_relay.url)
        signed = mallory.device.key.sign(
            f.auth_signing_bytes(client.challenge, alice.device.address)
        )
        await _auth_error(shared_relay.url, f.Authenticate(alice.device.address, signed), client)

    run(scenario())


def test_a_replayed_challenge_answer_fails(shared_relay: RelayProcess) -> None:
    """A good answer from one connection is worthless on another, and a
    connection's challenge can be answered only once."""

    async def scenario() -> None:
        alice = Person()
        await publish(shared_relay.url, alice)
        first = await RelayClient.connect(shared_relay.url)
        answer = alice.device.answer(first.challenge)
        await first.call(answer, f.Authenticated)
        await first.close()
        await _auth_error(shared_relay.url, answer)  # replay on a new connection

        second = await RelayClient.connect(shared_relay.url)
        wrong = alice.device.answer(first.challenge)  # stale nonce: fails, consumes
        assert (await second.error(wrong)).code is ErrorCode.AUTH_FAILED
        await second.close()

        third = await RelayClient.connect(shared_relay.url)
        bad = f.Authenticate(alice.device.address, b"\x00" * 64)
        assert (await third.request(bad)).code is ErrorCode.AUTH_FAILED  # type: ignore[attr-defined]
        await asyncio.wait_for(third.closed.wait(), 5)  # no second try on this challenge
        await third.close()

    run(scenario())


def test_a_second_authenticate_fails_and_closes(shared_relay: RelayProcess) -> None:
    """As the protocol document says: auth_failed and close 1008, even when the
    connection is authenticated already and the answer is good."""

    async def scenario() -> None:
        alice = Person()
        await publish(shared_relay.url, alice)
        client = await RelayClient.login(shared_relay.url, alice.device)
        await _auth_error(shared_relay.url, alice.device.answer(client.challenge), client)

    run(scenario())


def test_unknown_identity_and_unknown_device_fail(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        stranger = Person()  # never published
        client = await RelayClient.connect(shared_relay.url)
        await _auth_error(shared_relay.url, stranger.device.answer(client.challenge), client)

        alice = Person()
        await publish(shared_relay.url, alice)
        ghost = Person().device  # a device not in alice's chain, claiming her identity
        client = await RelayClient.connect(shared_relay.url)
        address = f.DeviceAddress(alice.identity_id, ghost.device_id)
        signed = ghost.key.sign(f.auth_signing_bytes(client.challenge, address))
        await _auth_error(shared_relay.url, f.Authenticate(address, signed), client)

    run(scenario())


def test_a_revoked_device_fails_and_is_disconnected(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice = Person(devices=2)
        laptop, phone = alice.devices
        await publish(shared_relay.url, alice)
        connected = await RelayClient.login(shared_relay.url, phone)
        alice.remove_device(phone)
        via_laptop = await RelayClient.login(shared_relay.url, laptop)
        await via_laptop.call(f.PublishIdentity(alice.chain()), f.Ok)
        await asyncio.wait_for(connected.closed.wait(), 5)  # the relay dropped it
        assert connected.conn.close_code == 4001
        client = await RelayClient.connect(shared_relay.url)
        await _auth_error(shared_relay.url, phone.answer(client.challenge), client)
        await via_laptop.close()

    run(scenario())


def test_an_expired_device_certificate_fails(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice = Person()
        old = alice.add_device(expires=1_700_000_100)  # long past
        await publish(shared_relay.url, alice)
        client = await RelayClient.connect(shared_relay.url)
        await _auth_error(shared_relay.url, old.answer(client.challenge), client)

    run(scenario())


def test_nothing_but_publish_and_ping_before_authentication(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice = Person()
        client = await RelayClient.connect(shared_relay.url)
        assert await client.call(f.Ping(), f.Pong) == f.Pong()
        for body in (
            f.FetchIdentity(alice.identity_id),
            f.Fetch(),
            f.Send(()),
            f.Ack((1,)),
            f.PublishKeys(()),
            f.ClaimKeys((alice.device.address,)),
            f.BlobBegin(10),
            f.BlobGet(b"x"),
        ):
            assert (await client.error(body)).code is ErrorCode.UNAUTHENTICATED
        assert await client.call(f.PublishIdentity(alice.chain()), f.Ok) == f.Ok()
        await client.call(alice.device.answer(client.challenge), f.Authenticated)
        await client.close()

    run(scenario())


def test_a_new_connection_replaces_the_old_one(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        alice = Person()
        await publish(shared_relay.url, alice)
        first = await RelayClient.login(shared_relay.url, alice.device)
        second = await RelayClient.login(shared_relay.url, alice.device)
        await asyncio.wait_for(first.closed.wait(), 5)
        assert first.conn.close_code == 4001
        assert await second.call(f.Ping(), f.Pong) == f.Pong()
        await second.close()

    run(scenario())


def test_identity_chains_are_verified_and_never_forked_or_rolled_back(
    shared_relay: RelayProcess,
) -> None:
    async def scenario() -> None:
        alice = Person()
        await publish(shared_relay.url, alice)
        client = await RelayClient.login(shared_relay.url, alice.device)
        v0 = alice.chain()
        alice.add_device()
        v1 = alice.chain()
        await client.call(f.PublishIdentity(v1), f.Ok)
        await client.call(f.PublishIdentity(v1), f.Ok)  # again: a no-op

        fetched = await client.call(f.FetchIdentity(alice.identity_id), f.IdentityChain)
        assert fetched.documents == v1
        tail = await client.call(f.FetchIdentity(alice.identity_id, 0), f.IdentityChain)
        assert tail.documents == v1[1:]

        rollback = await client.error(f.PublishIdentity(v0))
        assert rollback.code is ErrorCode.CHAIN_REJECTED

        forked = alice.fork()  # same genesis, a different version 1
        assert forked.chain()[0] == v0[0] and forked.chain()[1] != v1[1]
        fork = await client.error(f.PublishIdentity(forked.chain()))
        assert fork.code is ErrorCode.CHAIN_REJECTED
        assert "conflicting" in fork.message

        forged = await client.error(f.PublishIdentity(alice.forged().chain()))
        assert forged.code is ErrorCode.CHAIN_REJECTED
        assert "does not belong" in forged.message

        still = await client.call(f.FetchIdentity(alice.identity_id), f.IdentityChain)
        assert still.documents == v1

        missing = await client.error(f.FetchIdentity(b"\x00" * 32))
        assert missing.code is ErrorCode.NOT_FOUND
        garbage = await client.error(f.PublishIdentity((b"\xa0",)))
        assert garbage.code is ErrorCode.CHAIN_REJECTED
        await client.close()

    run(scenario())
