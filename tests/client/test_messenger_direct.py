"""Two people, each a Messenger with their own card and profile, through a real relay."""

from __future__ import annotations

from pathlib import Path

from keybound.client import events as ev
from keybound.client.values import MessageStatus, Verification
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import befriend, people, run, texts, until


def test_two_people_chat_both_ways_with_receipts(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            a_conv, b_conv = await befriend(alice, bob)
            assert a_conv == b_conv  # both file it under the same ID
            a_bob = await alice.m.contact("bob")
            b_alice = await bob.m.contact("alice")
            assert a_bob.safety_number == b_alice.safety_number != ""
            assert a_bob.verification is Verification.UNVERIFIED

            mid = await alice.m.send_text(a_conv, "hello bob")
            await until(lambda: texts(bob, b_conv), what="bob receives")
            assert await texts(bob, b_conv) == ["hello bob"]
            received = (await bob.m.history(b_conv))[0]
            assert received.message_id == mid and not received.outgoing
            status = await alice.m.wait_status(mid, MessageStatus.DELIVERED, 15)
            assert status is MessageStatus.DELIVERED

            await bob.m.mark_read(b_conv)
            assert await alice.m.wait_status(mid, MessageStatus.READ, 15) is MessageStatus.READ
            receipts = await alice.m.receipts(mid)
            assert [r.recipient_identity for r in receipts] == [bob.m.identity_id]
            assert receipts[0].read_at is not None

            reply = await bob.m.send_text(b_conv, "hi alice", reply_to=mid)
            await until(lambda: alice.m.message(reply), what="alice receives the reply")
            got = await alice.m.message(reply)
            assert got is not None and got.body == "hi alice" and got.reply_to == mid
            assert await texts(alice, a_conv) == ["hello bob", "hi alice"]
            assert any(isinstance(e, ev.MessageReceived) for e in alice.log)
            assert any(
                isinstance(e, ev.MessageStatusChanged) and e.status is MessageStatus.READ
                for e in alice.log
            )

    run(scenario())
