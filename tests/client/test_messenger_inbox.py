"""What cannot be read is shown as such (once), never dropped silently; idle locking."""

from __future__ import annotations

from pathlib import Path

from keybound.client import events as ev
from keybound.client import settings as cfg
from keybound.client.values import LockReason
from keybound.token.worker import TokenWorker
from keybound.wire import frames as f
from tests.helpers.relay_process import Person, RelayClient, RelayProcess, publish

from .harness import create, options, people, run, until
from .links import NoAcks


def test_garbage_from_a_stranger_is_counted_and_dropped_even_when_redelivered(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    """Not a contact: no notice row, no conversation, no contact (issue 11, item 4)."""

    async def scenario() -> None:
        bob = await create(tmp_path, "bob", shared_relay.url, worker, link_factory=NoAcks)
        mallory = Person()
        await publish(shared_relay.url, mallory)
        try:
            to_bob = f.DeviceAddress(bob.m.identity_id, bob.m.device_id)
            async with await RelayClient.login(shared_relay.url, mallory.device) as client:
                garbage = f.Send((f.Outgoing(to_bob, b"\xff not an envelope"),))
                await client.call(garbage, f.Sent)
            await until(bob.m.junk_dropped, what="the junk counted")
            await bob.close()  # never acknowledged: the relay delivers it again
            bob.options = options(bob.tokens, worker)
            await bob.open()
            await bob.m.wait_online(20)
            await until(lambda: _junk(bob, 2), what="the redelivered copy counted")
            assert await _direct_with(bob, mallory.identity_id) is None
            assert await bob.m.conversations() == [] and await bob.m.contacts() == []
        finally:
            await bob.close()

    run(scenario())


async def _junk(person, n: int) -> bool:  # type: ignore[no-untyped-def]
    return bool(await person.m.junk_dropped() >= n)


async def _direct_with(person, identity_id: bytes) -> bytes | None:  # type: ignore[no-untyped-def]
    for s in await person.m.conversations():
        if s.conversation.peer_identity == identity_id and s.last_message is not None:
            return s.conversation.conversation_id  # type: ignore[no-any-return]
    return None


def test_an_idle_messenger_locks_itself(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice") as alice:
            await alice.m.set_setting(cfg.IDLE_LOCK_SECONDS, 1)
            await until(lambda: _locked(alice), what="the idle lock", timeout=10)
            assert alice.events_of(ev.Locked)[-1].reason is LockReason.IDLE
            await alice.m.unlock()
            assert not alice.m.locked
            assert await alice.m.setting(cfg.IDLE_LOCK_SECONDS) == 1  # kept in the vault

    run(scenario())


async def _locked(person) -> bool:  # type: ignore[no-untyped-def]
    return person.m.locked and bool(person.events_of(ev.Locked))
