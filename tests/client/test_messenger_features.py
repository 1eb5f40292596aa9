"""Edits, deletes, reactions, typing and disappearing messages between two Messengers."""

from __future__ import annotations

from pathlib import Path

import pytest

from keybound.client import events as ev
from keybound.errors import NotAllowed
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import befriend, people, run, texts, until


def test_edit_delete_and_react_reach_the_other_side(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            a_conv, b_conv = await befriend(alice, bob)
            first = await alice.m.send_text(a_conv, "see you at 5")
            second = await alice.m.send_text(a_conv, "bring the map")
            await until(lambda: _has(bob, b_conv, 2), what="both messages")

            await alice.m.edit(first, "see you at 6")
            await until(lambda: _body(bob, first, "see you at 6"), what="the edit")
            edited = await bob.m.message(first)
            assert edited is not None and edited.edited_at is not None
            assert any(isinstance(e, ev.MessageEdited) for e in bob.log)

            await bob.m.react(first, "👍")
            await until(lambda: alice.m.reactions(first), what="the reaction")
            [reaction] = await alice.m.reactions(first)
            assert (reaction.emoji, reaction.sender_identity) == ("👍", bob.m.identity_id)
            await bob.m.react(first, "👍", remove=True)
            await until(lambda: _no_reactions(alice, first), what="the reaction taken back")

            await alice.m.delete_for_everyone(second)
            await until(lambda: _deleted(bob, second), what="the delete")
            assert await texts(bob, b_conv) == ["see you at 6", None]
            assert await bob.m.search("map") == []  # its text is gone, not just hidden
            assert any(isinstance(e, ev.MessageDeleted) for e in bob.log)

            # bob cannot edit alice's message: the edit is refused locally...
            with pytest.raises(NotAllowed, match="own messages"):
                await bob.m.edit(first, "forged")

            await alice.m.typing(a_conv, True)
            await until(lambda: _typing(bob), what="the typing notice")

    run(scenario())


def test_disappearing_messages_are_deleted_from_the_vault(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            a_conv, b_conv = await befriend(alice, bob)
            await alice.m.send_text(a_conv, "this one stays")
            await until(lambda: texts(bob, b_conv), what="the lasting message")
            await alice.m.set_disappearing(a_conv, 2)
            await until(lambda: _timer(bob, b_conv, 2), what="bob's timer")
            gone = await alice.m.send_text(a_conv, "secret lighthouse code")
            await until(lambda: bob.m.message(gone), what="the disappearing message")
            assert [h.message.message_id for h in await bob.m.search("lighthouse")] == [gone]
            await until(lambda: _gone(bob, gone), what="it expires at bob's", timeout=10)
            await until(lambda: _gone(alice, gone), what="and at alice's", timeout=10)
            assert await texts(bob, b_conv) == ["this one stays"]
            assert await bob.m.search("lighthouse") == []
            assert any(isinstance(e, ev.MessagesExpired) and gone in e.message_ids for e in bob.log)

    run(scenario())


async def _has(person, conv: bytes, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(await person.m.history(conv)) >= n


async def _body(person, mid: bytes, text: str) -> bool:  # type: ignore[no-untyped-def]
    msg = await person.m.message(mid)
    return msg is not None and msg.body == text


async def _no_reactions(person, mid: bytes) -> bool:  # type: ignore[no-untyped-def]
    return not await person.m.reactions(mid)


async def _deleted(person, mid: bytes) -> bool:  # type: ignore[no-untyped-def]
    msg = await person.m.message(mid)
    return msg is not None and msg.deleted


async def _typing(person) -> bool:  # type: ignore[no-untyped-def]
    return any(isinstance(e, ev.TypingChanged) and e.typing for e in person.log)


async def _timer(person, conv: bytes, seconds: int) -> bool:  # type: ignore[no-untyped-def]
    summaries = await person.m.conversations()
    return any(
        s.conversation.conversation_id == conv and s.conversation.disappearing_seconds == seconds
        for s in summaries
    )


async def _gone(person, mid: bytes) -> bool:  # type: ignore[no-untyped-def]
    return await person.m.message(mid) is None
