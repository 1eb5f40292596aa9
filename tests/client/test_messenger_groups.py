"""A group of three: create, talk, remove a member who then reads nothing new."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from keybound.client.values import ConversationKind, Role
from keybound.errors import NotAllowed
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import Someone, create, run, texts, until


async def _members(person: Someone, gid: bytes) -> set[bytes]:
    try:
        return {m for m, _ in await person.m.members(gid)}
    except Exception:
        return set()


def test_a_group_of_three_with_a_member_removed(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        bob = await create(tmp_path, "bob", shared_relay.url, worker)
        carol = await create(tmp_path, "carol", shared_relay.url, worker)
        people = [alice, bob, carol]
        try:
            for other in (bob, carol):
                await alice.m.add_contact(await other.m.invite(), other.name)
                await other.m.add_contact(await alice.m.invite(), "alice")
            ids = {p.name: p.m.identity_id for p in people}
            gid = await alice.m.create_group("hikers", [ids["bob"], ids["carol"]])
            everyone = set(ids.values())
            for p in (bob, carol):
                await until(lambda p=p: _is(p, gid, everyone), what=f"{p.name} joins the group")
            summary = [
                s for s in await bob.m.conversations() if s.conversation.conversation_id == gid
            ]
            assert summary[0].conversation.kind is ConversationKind.GROUP
            assert summary[0].conversation.name == "hikers"
            roles = dict(await bob.m.members(gid))
            assert roles[ids["alice"]] is Role.ADMIN and roles[ids["bob"]] is Role.MEMBER

            await alice.m.send_text(gid, "hello group")
            await bob.m.send_text(gid, "hi from bob")  # carol has never met bob
            for p in people:
                await until(lambda p=p: _count(p, gid, 2), what=f"{p.name} has both")
            assert sorted(await texts(carol, gid)) == ["hello group", "hi from bob"]  # type: ignore[type-var]

            await alice.m.remove_members(gid, [ids["carol"]])
            for p in people:
                await until(
                    lambda p=p: _lacks(p, gid, ids["carol"]), what=f"{p.name} sees carol removed"
                )
            await alice.m.send_text(gid, "after carol left")
            await bob.m.send_text(gid, "bob, also after")
            await until(lambda: _count(bob, gid, 4), what="bob gets the new messages")
            await until(lambda: _count(alice, gid, 4), what="alice gets bob's")
            await asyncio.sleep(1.5)
            assert sorted(await texts(carol, gid)) == ["hello group", "hi from bob"]  # type: ignore[type-var]
            with pytest.raises(NotAllowed, match="no longer a member"):
                await carol.m.send_text(gid, "still here?")
        finally:
            for p in people:
                await p.close()

    run(scenario())


async def _is(person: Someone, gid: bytes, members: set[bytes]) -> bool:
    return await _members(person, gid) == members


async def _lacks(person: Someone, gid: bytes, who: bytes) -> bool:
    return who not in await _members(person, gid)


async def _count(person: Someone, gid: bytes, n: int) -> bool:
    return len(await texts(person, gid)) >= n
