"""Pages of the timeline by keyset (before, after, around) and conversation list rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from keybound.errors import UnknownMessage
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import befriend, people, run, until


def test_pages_around_after_and_rows(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            a_conv, b_conv = await befriend(alice, bob)
            ids = [await alice.m.send_text(a_conv, f"m{i}") for i in range(9)]
            reply = await alice.m.send_text(a_conv, "re", reply_to=ids[2])
            await alice.m.react(ids[4], "🎉")

            around = await alice.m.timeline(a_conv, 4, around=ids[4])
            assert [e.message.body for e in around] == ["m2", "m3", "m4", "m5", "m6"]
            assert [r.emoji for r in around[2].reactions] == ["🎉"]
            after = await alice.m.timeline(a_conv, 3, after=ids[6])
            assert [e.message.body for e in after] == ["m7", "m8", "re"]
            assert after[-1].quoted is not None and after[-1].quoted.body == "m2"
            before = await alice.m.timeline(a_conv, 2, before=ids[1])
            assert [e.message.body for e in before] == ["m0"]
            latest = await alice.m.timeline(a_conv, 2)
            assert [e.message.message_id for e in latest] == [ids[8], reply]
            with pytest.raises(UnknownMessage):
                await alice.m.timeline(a_conv, 3, around=b"\x00" * 16)
            newer = await alice.m.history(a_conv, 2, after=ids[6])
            assert [m.body for m in newer] == ["m7", "m8"]
            with pytest.raises(UnknownMessage):
                await alice.m.history(a_conv, 2, before=b"\x01" * 16)
            around_h = await alice.m.history_around(a_conv, ids[0], 4)
            assert [m.body for m in around_h] == ["m0", "m1", "m2"]

            await until(lambda: _unread(bob, b_conv, 10), what="bob's unread count")
            [row] = [r for r in await bob.m.conversation_rows() if r.conversation_id == b_conv]
            assert row.title == "alice" and not row.identity_changed
            assert row.summary.last_message is not None and row.summary.last_message.body == "re"
            assert await bob.m.read_position(b_conv) is None
            await bob.m.mark_read(b_conv, ids[3])
            assert await bob.m.read_position(b_conv) == ids[3]
            one = await bob.m.conversation_row(b_conv)
            assert one is not None and one.summary.unread_count == 6
            assert (await bob.m.timeline(b_conv, 1))[0].sender_name == "alice"

    run(scenario())


async def _unread(person: object, conv: bytes, n: int) -> bool:
    row = await person.m.conversation_row(conv)  # type: ignore[attr-defined]
    return row is not None and row.summary.unread_count == n
