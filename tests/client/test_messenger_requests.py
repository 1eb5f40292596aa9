"""Strangers cannot make themselves contacts or fill the history (issue 11, item 4).

A message from someone who is not a contact lands in "message requests"
(accept, block, delete); unreadable junk from strangers is counted and
dropped, not stored row by row.  Real relay, real engines, real junk sent
by a stranger over a real authenticated relay connection.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from keybound.client import events as ev
from keybound.client.values import MessageStatus
from keybound.protocol.envelope import Envelope, Scheme
from keybound.token.worker import TokenWorker
from keybound.wire import frames as f
from tests.helpers.relay_process import Person, RelayClient, RelayProcess, publish, send

from .harness import Someone, create, people, run, until


async def _requests(person: Someone) -> list[object]:
    return list(await person.m.message_requests())


def test_a_stranger_lands_in_message_requests_never_in_contacts(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "mallory") as (
            alice,
            mallory,
        ):
            await mallory.m.add_contact(await alice.m.invite(), "alice")  # one way only
            m_conv = await mallory.m.direct_conversation(alice.m.identity_id)
            first = await mallory.m.send_text(m_conv, "hello, we have not met")
            await mallory.m.send_text(m_conv, "second")
            found = await until(lambda: _requests(alice), what="a message request")
            await until(lambda: _request_count(alice, 2), what="both messages in the request")
            (req,) = await alice.m.message_requests()
            assert req.identity_id == mallory.m.identity_id and req.preview == "second"
            assert found
            assert await alice.m.contacts() == []
            assert await alice.m.conversations() == []
            assert not alice.events_of(ev.ContactAdded)
            assert alice.events_of(ev.MessageRequestReceived) == [
                ev.MessageRequestReceived(mallory.m.identity_id)
            ]
            await asyncio.sleep(0.5)  # no delivery receipt goes back to a stranger
            assert (await mallory.m.message(first)).status is MessageStatus.SENT  # type: ignore[union-attr]

            info = await alice.m.accept_request(mallory.m.identity_id.hex()[:12], "Mallory")
            assert info.display_name == "Mallory"
            assert [c.display_name for c in await alice.m.contacts()] == ["Mallory"]
            assert await alice.m.message_requests() == []
            history = await alice.m.history(req.conversation_id)
            assert [m.body for m in history] == ["hello, we have not met", "second"]
            assert len(await alice.m.conversations()) == 1

    run(scenario())


async def _request_count(person: Someone, n: int) -> bool:
    reqs = await person.m.message_requests()
    return bool(reqs) and reqs[0].messages >= n


def test_junk_from_strangers_is_counted_and_dropped_and_requests_can_be_blocked(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        trudy = await create(tmp_path, "trudy", shared_relay.url, worker)
        stranger = Person()
        await publish(shared_relay.url, stranger)
        try:
            to = f.DeviceAddress(alice.m.identity_id, alice.m.device_id)
            junk: list[bytes] = [os.urandom(n) for n in (1, 17, 200, 3000)]
            for i in range(20):  # well-formed envelopes whose ciphertext is noise
                junk.append(
                    Envelope(
                        os.urandom(16),
                        stranger.identity_id,
                        stranger.device.device_id,
                        1_700_000_000_000 + i,
                        0,
                        Scheme.OLM,
                        os.urandom(300),
                    ).encode()
                )
            async with await RelayClient.login(shared_relay.url, stranger.device) as client:
                for payload in junk:
                    await client.call(send(to, payload), f.Sent)
            await until(lambda: _junk(alice, len(junk)), what="the junk counted", timeout=30)
            assert await alice.m.junk_dropped() == len(junk)
            assert await alice.m.contacts() == []
            assert await alice.m.conversations() == []
            assert await alice.m.message_requests() == []

            # a real stranger's request, blocked: gone, and what they send next is dropped
            await trudy.m.add_contact(await alice.m.invite(), "alice")
            t_conv = await trudy.m.direct_conversation(alice.m.identity_id)
            await trudy.m.send_text(t_conv, "buy now")
            await until(lambda: _requests(alice), what="trudy's request")
            await alice.m.block_request(trudy.m.identity_id)
            assert await alice.m.message_requests() == []
            await trudy.m.send_text(t_conv, "still there?")
            await trudy.m.wait_status(await trudy.m.send_text(t_conv, "x"), MessageStatus.SENT, 10)
            await asyncio.sleep(0.5)
            assert await alice.m.message_requests() == [] and await alice.m.contacts() == []
            assert await alice.m.conversations() == []
        finally:
            await alice.close()
            await trudy.close()

    run(scenario())


async def _junk(person: Someone, n: int) -> bool:
    return await person.m.junk_dropped() >= n
