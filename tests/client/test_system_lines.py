"""System lines: group and timer changes stored in the history, at the actor's and everyone's."""

from __future__ import annotations

from pathlib import Path

from keybound.client import system
from keybound.client.system import SystemEvent, SystemKind
from keybound.client.values import Message, Role
from keybound.commands import render
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import Someone, befriend, create, people, run, texts, until


async def _lines(person: Someone, conv: bytes) -> list[str]:
    """The system lines of ``conv`` as ``person`` reads them (English, names as they know them)."""
    names = {c.identity_id: c.display_name for c in await person.m.contacts()}
    out = []
    for m in await person.m.history(conv, 500):
        event = system.event_of(m)
        if event is not None:
            n = system.notice(event, lambda i: "" if i == person.m.identity_id else names[i])
            out.append(system.describe(n))
    return out


def _has(person: Someone, conv: bytes, line: str):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return line in await _lines(person, conv)

    return check


def test_group_changes_become_lines_for_everyone(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        bob = await create(tmp_path, "bob", shared_relay.url, worker)
        carol = await create(tmp_path, "carol", shared_relay.url, worker)
        people = [alice, bob, carol]
        try:
            await befriend(alice, bob)
            await befriend(alice, carol)
            await befriend(bob, carol)
            gid = await alice.m.create_group(" walkers ", [bob.m.identity_id])
            assert await _lines(alice, gid) == ["You created the group “walkers”"]
            await until(_has(bob, gid, "alice created the group “walkers”"), what="bob's line")

            await alice.m.add_members(gid, [carol.m.identity_id])
            assert (await _lines(alice, gid))[-1] == "You added carol"
            await until(_has(bob, gid, "alice added carol"), what="bob sees carol added")
            await until(_has(carol, gid, "alice added you"), what="carol sees herself added")
            # a new member gets the snapshot, not the creation: her history starts when added
            assert await _lines(carol, gid) == ["alice added you"]

            await bob.m.rename_group(gid, "hikers")
            for p, line in ((alice, "bob renamed"), (carol, "bob renamed"), (bob, "You renamed")):
                await until(_has(p, gid, f"{line} the group to “hikers”"), what=f"{p.name} rename")

            await alice.m.set_disappearing(gid, 86400)
            await until(
                _has(carol, gid, "alice set disappearing messages to 1 day"), what="carol's timer"
            )
            await alice.m.send_text(gid, "still on for sunday?")
            await until(lambda: texts(carol, gid), what="the text")

            # the group page's list: admins first, then us, names and key verification
            await bob.m.verify_contact(carol.m.identity_id)
            rows = await bob.m.member_rows(gid)
            assert [(r.name, r.role, r.is_self, r.is_contact) for r in rows] == [
                ("alice", Role.ADMIN, False, True),
                ("", Role.MEMBER, True, True),
                ("carol", Role.MEMBER, False, True),
            ]
            assert [r.verification.value for r in rows] == ["unverified", "verified", "verified"]

            await alice.m.remove_members(gid, [carol.m.identity_id])
            await until(_has(carol, gid, "alice removed you"), what="carol removed")
            await until(_has(bob, gid, "alice removed carol"), what="bob sees it")

            await bob.m.leave_group(gid)
            assert (await _lines(bob, gid))[-1] == "You left"
            await until(_has(alice, gid, "bob left"), what="alice sees bob leave")

            # lines are no text anyone wrote: no search hits, no expiry, no unread receipts
            assert await alice.m.search("walkers") == []
            assert await alice.m.search("hikers") == []
            rows = [m for m in await alice.m.history(gid, 500) if m.content_type == system.SYSTEM]
            assert all(m.expires_at is None for m in rows)
            assert [m.outgoing for m in rows] == [True, True, False, True, True, False]
            # every line is one row at each person's: the actor's and the copy share an ID
            ids = {m.message_id for m in rows}
            bobs = {m.message_id for m in await bob.m.history(gid, 500)}
            assert len(ids & bobs) == 6
            assert dict(await alice.m.members(gid)) == {alice.m.identity_id: Role.ADMIN}
        finally:
            for p in people:
                await p.close()

    run(scenario(), timeout=180)


def test_a_direct_timer_change_is_a_line_on_both_sides(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            a_conv, b_conv = await befriend(alice, bob)
            await alice.m.set_disappearing(a_conv, 300)
            assert await _lines(alice, a_conv) == ["You set disappearing messages to 5 minutes"]
            await until(
                _has(bob, b_conv, "alice set disappearing messages to 5 minutes"), what="bob's"
            )
            await bob.m.set_disappearing(b_conv, None)
            await until(_has(alice, a_conv, "bob turned disappearing messages off"), what="alice's")
            row = await alice.m.conversation_row(a_conv)
            assert row is not None and row.last_notice is not None
            assert row.last_notice.event.kind is SystemKind.TIMER and row.last_notice.actor_name

    run(scenario())


def test_system_events_round_trip_and_refuse_junk() -> None:
    a, b = b"\x01" * 16, b"\x02" * 16
    for event in (
        SystemEvent(SystemKind.CREATED, a, name="Wanderer „ü“"),
        SystemEvent(SystemKind.ADDED, a, (b,)),
        SystemEvent(SystemKind.REMOVED, a, (b, a)),
        SystemEvent(SystemKind.LEFT, b),
        SystemEvent(SystemKind.RENAMED, a, name=""),
        SystemEvent(SystemKind.TIMER, a, seconds=604800),
    ):
        assert SystemEvent.decode(event.encode()) == event
    junks = [
        None, "", "[]", '{"kind":"exploded","actor":"00"}', '{"kind":"left"}',
        '{"kind":"left","actor":"zz"}', '{"kind":"timer","actor":"00","seconds":"1"}',
    ]  # fmt: skip
    for junk in junks:
        assert SystemEvent.decode(junk) is None
    assert system.timer_text(3600) == "1 hour" and system.timer_text(90) == "90 seconds"
    assert system.timer_text(1209600) == "2 weeks"


def test_history_prints_a_system_line_as_its_sentence() -> None:
    line = render.message_line(
        {"content_type": "system", "sent_at": 0, "outgoing": False, "body": "{}",
         "system": {"text": "alice added carol\x1b[31m"}}
    )  # fmt: skip
    assert "-- alice added carol" in line and line.endswith(" --")
    assert "\x1b" not in line
    m = Message(b"\0" * 16, b"c" * 16, b"a" * 16, b"d", False, 0, "not json", "system")
    assert system.event_of(m) is None
