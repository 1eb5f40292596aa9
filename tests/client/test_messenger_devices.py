"""A second device joins with the same token, sees everything new; a removed one sees nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from keybound.client import events as ev
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import Someone, befriend, create, join, run, texts, until


async def _devices(person: Someone, identity_id: bytes) -> set[bytes]:
    if identity_id == person.m.identity_id:
        return {d.device_id for d in await person.m.devices() if not d.removed}
    return {d.device_id for d in (await person.m.contact(identity_id)).devices if not d.removed}


def test_a_second_device_joins_sees_both_sides_and_is_removed_again(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        bob = await create(tmp_path, "bob", shared_relay.url, worker)
        laptop: Someone | None = None
        try:
            a_conv, b_conv = await befriend(alice, bob)
            await alice.m.send_text(a_conv, "before the laptop")
            await until(lambda: texts(bob, b_conv), what="the first message")

            laptop = await join(tmp_path, alice, shared_relay.url, worker)
            assert laptop.m.identity_id == alice.m.identity_id
            assert laptop.m.device_id != alice.m.device_id
            both = {alice.m.device_id, laptop.m.device_id}
            await until(lambda: _has_devices(alice, alice.m.identity_id, both), what="desktop")
            await until(lambda: _has_devices(bob, alice.m.identity_id, both), what="bob learns")
            await until(lambda: _knows(laptop, bob.m.identity_id), what="contact sync")
            l_conv = await laptop.m.direct_conversation(bob.m.identity_id)
            assert l_conv == a_conv

            await bob.m.send_text(b_conv, "hello both")
            await until(lambda: _in(alice, a_conv, "hello both"), what="desktop gets bob's")
            await until(lambda: _in(laptop, l_conv, "hello both"), what="laptop gets bob's")
            await laptop.m.mark_read(l_conv)  # read on the laptop: read on the desktop too
            await until(lambda: _unread(alice, a_conv, 0), what="read state synced")
            own = await alice.m.send_text(a_conv, "from the desktop")
            await until(lambda: _in(laptop, l_conv, "from the desktop"), what="own sent, synced")
            synced = await laptop.m.message(own)
            assert synced is not None and synced.outgoing
            await laptop.m.send_text(l_conv, "from the laptop")
            await until(lambda: _in(bob, b_conv, "from the laptop"), what="bob gets the laptop's")
            await until(lambda: _in(alice, a_conv, "from the laptop"), what="desktop, own")
            assert any(isinstance(e, ev.DeviceAdded) and e.own for e in alice.log)

            await alice.m.remove_device(laptop.m.device_id)
            only = {alice.m.device_id}
            await until(lambda: _has_devices(bob, alice.m.identity_id, only), what="bob: removed")
            await bob.m.send_text(b_conv, "not for the lost laptop")
            await until(lambda: _in(alice, a_conv, "not for the lost laptop"), what="desktop")
            await asyncio.sleep(1.5)
            if laptop.m.locked:  # it may have learnt of its removal and locked itself
                await laptop.m.unlock()
                await asyncio.sleep(1.5)
            assert "not for the lost laptop" not in await texts(laptop, l_conv)
            assert "from the laptop" in await texts(laptop, l_conv)  # its history stays
        finally:
            for p in (alice, bob, laptop):
                if p is not None:
                    await p.close()

    run(scenario(), timeout=150)


async def _has_devices(person: Someone, identity_id: bytes, wanted: set[bytes]) -> bool:
    try:
        return await _devices(person, identity_id) == wanted
    except Exception:
        return False


async def _unread(person: Someone, conv: bytes, n: int) -> bool:
    for summary in await person.m.conversations():
        if summary.conversation.conversation_id == conv:
            return summary.unread_count == n
    return False


async def _knows(person: Someone, identity_id: bytes) -> bool:
    return any(c.identity_id == identity_id for c in await person.m.contacts())


async def _in(person: Someone, conv: bytes, text: str) -> bool:
    try:
        return text in await texts(person, conv)
    except Exception:
        return False
