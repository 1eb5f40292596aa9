"""The real token path: a virtual card in a vpcd reader of the real pcscd, found by
``PresentTokens``, watched by the ``TokenMonitor``; pulling it out locks the engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from keybound.client import events as ev
from keybound.client.messenger import Messenger
from keybound.client.tokens import PresentTokens
from keybound.client.values import LockReason, MessageStatus
from keybound.token.base import TokenKind
from keybound.token.worker import TokenWorker
from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .harness import ENROLL, Someone, befriend, create, options, prompter, run, texts, until

pytestmark = pytest.mark.integration


def test_pulling_the_card_from_the_reader_locks_and_the_message_goes_out_after_unlock(
    relay_factory,
    virtual_card: CardFactory,
    tmp_path: Path,
    worker: TokenWorker,  # type: ignore[no-untyped-def]
) -> None:
    relay: RelayProcess = relay_factory()
    inserted = virtual_card("openpgp", slot=0)
    source = PresentTokens(kind=TokenKind.OPENPGP, reader=inserted.reader)

    async def scenario() -> None:
        opts = options(source, worker)
        alice = Someone("alice", tmp_path / "alice", source, opts)
        messenger, _code = await Messenger.create_account(
            alice.profile, relay.url, prompter(), display_name="alice", enroll=ENROLL,
            options=opts,
        )  # fmt: skip
        alice.attach(messenger)
        await messenger.wait_online(20)
        bob = await create(tmp_path, "bob", relay.url, worker)
        try:
            a_conv, b_conv = await befriend(alice, bob)
            relay.kill()
            await until(lambda: _offline(alice), what="offline", timeout=30)
            mid = await alice.m.send_text(a_conv, "written as the card came out")
            await asyncio.get_running_loop().run_in_executor(None, inserted.remove)
            await until(lambda: _locked(alice), what="the monitor locks alice", timeout=10)
            assert alice.events_of(ev.Locked)[-1].reason is LockReason.TOKEN_REMOVED
            relay.start()
            await asyncio.sleep(1)
            assert await texts(bob, b_conv) == []
            await asyncio.get_running_loop().run_in_executor(None, inserted.insert)
            await alice.m.unlock()  # finds the enrolled card again, asks for its PIN
            await until(lambda: texts(bob, b_conv), what="sent after unlock", timeout=60)
            assert await texts(bob, b_conv) == ["written as the card came out"]
            status = await alice.m.wait_status(mid, MessageStatus.DELIVERED, 20)
            assert status is MessageStatus.DELIVERED
        finally:
            await alice.close()
            await bob.close()

    run(scenario(), timeout=150)


async def _offline(person: Someone) -> bool:
    return person.m.connection.state.value != "online"


async def _locked(person: Someone) -> bool:
    return person.m.locked and bool(person.events_of(ev.Locked))
