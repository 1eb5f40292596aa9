"""Nothing lost, nothing shown twice: relay down, restarts between commit and ack, token pulled."""

from __future__ import annotations

import asyncio
from pathlib import Path

from keybound.client import events as ev
from keybound.client.link import LinkState
from keybound.client.values import LockReason, MessageStatus
from keybound.errors import EngineLocked
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import befriend, create, options, people, run, texts, until
from .links import NoAcks


def test_a_restart_between_commit_and_ack_shows_each_message_once(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        bob = await create(tmp_path, "bob", shared_relay.url, worker, link_factory=NoAcks)
        try:
            a_conv, b_conv = await befriend(alice, bob)
            sent = [await alice.m.send_text(a_conv, f"message {i}") for i in range(5)]
            await until(lambda: _count(bob, b_conv, 5), what="bob stores all five")
            assert NoAcks.dropped >= 5  # bob committed them but the relay still holds them
            await bob.close()
            bob.options = options(bob.tokens, worker)  # a normal link this time
            await bob.open()
            await bob.m.wait_online(20)
            await until(lambda: _settled(bob), what="the redelivered copies are acknowledged")
            history = await bob.m.history(b_conv)
            assert [m.message_id for m in history] == sent
            assert [m.body for m in history] == [f"message {i}" for i in range(5)]
            assert len([e for e in bob.events_of(ev.MessageReceived)]) == 5
        finally:
            await alice.close()
            await bob.close()

    run(scenario())


async def _count(person, conv: bytes, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(await person.m.history(conv)) >= n


async def _settled(person) -> bool:  # type: ignore[no-untyped-def]
    # after reconnecting the relay pushes the backlog again; give it a moment to be acked
    await asyncio.sleep(0.5)
    return True


def test_messages_wait_while_the_relay_is_down_and_go_out_when_it_is_back(
    relay_factory,
    tmp_path: Path,
    worker: TokenWorker,  # type: ignore[no-untyped-def]
) -> None:
    relay: RelayProcess = relay_factory()

    async def scenario() -> None:
        async with people(tmp_path, relay.url, worker, "alice", "bob") as (alice, bob):
            a_conv, b_conv = await befriend(alice, bob)
            await alice.m.send_text(a_conv, "before")
            await until(lambda: texts(bob, b_conv), what="the first message")
            relay.kill()
            await until(lambda: _offline(alice), what="alice notices the relay is gone", timeout=30)
            queued = [await alice.m.send_text(a_conv, f"queued {i}") for i in range(3)]
            for mid in queued:
                assert (await alice.m.message(mid)).status is MessageStatus.SENDING  # type: ignore[union-attr]
            assert await alice.m.pending_count() >= 3
            relay.start()
            await until(
                lambda: _count(bob, b_conv, 4), what="delivery after the relay is back", timeout=60
            )
            assert await texts(bob, b_conv) == ["before", "queued 0", "queued 1", "queued 2"]
            for mid in queued:
                status = await alice.m.wait_status(mid, MessageStatus.DELIVERED, 20)
                assert status is MessageStatus.DELIVERED
            assert await alice.m.pending_count() == 0

    run(scenario(), timeout=150)


async def _offline(person) -> bool:  # type: ignore[no-untyped-def]
    return person.m.connection.state is not LinkState.ONLINE


def test_pulling_the_token_locks_and_the_outbox_goes_out_after_unlock(
    relay_factory,
    tmp_path: Path,
    worker: TokenWorker,  # type: ignore[no-untyped-def]
) -> None:
    relay: RelayProcess = relay_factory()

    async def scenario() -> None:
        async with people(tmp_path, relay.url, worker, "alice", "bob") as (alice, bob):
            a_conv, b_conv = await befriend(alice, bob)
            relay.kill()  # the message cannot leave before the token is pulled
            await until(lambda: _offline(alice), what="offline", timeout=30)
            mid = await alice.m.send_text(a_conv, "sent just before the key was pulled")
            alice.tokens.pull()
            await until(lambda: _locked(alice), what="alice locks")
            assert alice.events_of(ev.Locked)[-1].reason is LockReason.TOKEN_REMOVED
            try:
                await alice.m.history(a_conv)
                raise AssertionError("a locked messenger answered")
            except EngineLocked:
                pass
            relay.start()
            await asyncio.sleep(2)
            assert await texts(bob, b_conv) == []  # nothing leaves a locked profile
            alice.tokens.insert()
            await alice.m.unlock()
            await until(lambda: texts(bob, b_conv), what="delivery after unlock", timeout=60)
            assert await texts(bob, b_conv) == ["sent just before the key was pulled"]
            assert await alice.m.wait_status(mid, MessageStatus.DELIVERED, 20) is (
                MessageStatus.DELIVERED
            )

    run(scenario(), timeout=150)


async def _locked(person) -> bool:  # type: ignore[no-untyped-def]
    return person.m.locked and bool(person.events_of(ev.Locked))
