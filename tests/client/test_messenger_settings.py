"""General settings: kept in the vault, checked, applied to the running session at once.

Real Messengers against a real relay process; the idle lock runs on the
engine's injected clock (``client.env``), so no test sleeps through a timeout.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from keybound.client import events as ev
from keybound.client import settings as cfg
from keybound.client.env import Environment
from keybound.client.link import LinkState
from keybound.client.values import LockReason
from keybound.errors import InvalidSetting, UserFacingError
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import Someone, befriend, create, run, until


class Clock:
    """Wall-clock milliseconds that a test moves forward by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000_000

    def __call__(self) -> int:
        return self.now


async def relock(person: Someone) -> None:
    await person.m.lock()
    await person.m.unlock()


async def timer_of(person: Someone, conversation_id: bytes) -> int | None:
    for s in await person.m.conversations():
        if s.conversation.conversation_id == conversation_id:
            return s.conversation.disappearing_seconds
    return None


def test_settings_persist_across_a_relock_and_bad_values_change_nothing(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        try:
            m = alice.m
            assert await m.setting(cfg.NOTIFICATIONS) == "sender"  # the default
            assert await m.setting(cfg.DEFAULT_TIMER) == 0
            assert await m.setting(cfg.DOWNLOAD_FOLDER) == ""
            values: dict[str, bool | int | str] = {
                cfg.NOTIFICATIONS: "off",
                cfg.DEFAULT_TIMER: 86_400,
                cfg.DOWNLOAD_FOLDER: str(tmp_path / "downloads"),
                cfg.IDLE_LOCK_SECONDS: 300,
                cfg.READ_RECEIPTS: False,
                cfg.TYPING_INDICATORS: False,
            }
            for key, value in values.items():
                await m.set_setting(key, value)
            await relock(alice)
            for key, value in values.items():
                assert await m.setting(key) == value, key
            assert await m.notification_mode() is cfg.NotifyMode.OFF

            bad: list[tuple[str, bool | int | str]] = [
                (cfg.NOTIFICATIONS, "loud"),
                (cfg.IDLE_LOCK_SECONDS, -5),
                (cfg.DEFAULT_TIMER, -1),
                (cfg.DOWNLOAD_FOLDER, "relative/folder"),
            ]
            for key, value in bad:
                with pytest.raises(InvalidSetting):
                    await m.set_setting(key, value)
            with pytest.raises(UserFacingError, match="no setting"):
                await m.set_setting(cfg.NOTIFY_TEXT, True)  # the old bool is not editable
            for key, value in values.items():
                assert await m.setting(key) == value, key
        finally:
            await alice.close()

    run(scenario())


def test_the_old_notification_bool_is_migrated_at_unlock(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        try:
            # what an older Keybound left in the vault: notify_show_text = True
            s = alice.m._need()
            await s.db.run(s.core.set_setting, cfg.NOTIFY_TEXT, True)
            await s.db.run(s.core.repo.delete_setting, cfg.NOTIFICATIONS)
            await relock(alice)
            assert await alice.m.setting(cfg.NOTIFICATIONS) == "text"
            assert await alice.m.notification_mode() is cfg.NotifyMode.TEXT
            s = alice.m._need()
            assert await s.db.run(s.core.repo.setting, cfg.NOTIFY_TEXT) is None  # gone

            await s.db.run(s.core.set_setting, cfg.NOTIFY_TEXT, False)  # and "sender only"
            await s.db.run(s.core.repo.delete_setting, cfg.NOTIFICATIONS)
            await relock(alice)
            assert await alice.m.notification_mode() is cfg.NotifyMode.SENDER
        finally:
            await alice.close()

    run(scenario())


def test_the_idle_lock_follows_the_engine_clock_and_changes_apply_at_once(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    clock = Clock()

    async def scenario() -> None:
        alice = await create(
            tmp_path, "alice", shared_relay.url, worker,
            env=Environment(now_ms=clock), idle_check_s=0.02,
        )  # fmt: skip
        try:
            await alice.m.set_setting(cfg.IDLE_LOCK_SECONDS, 60)  # no relock needed
            clock.now += 59_000
            await asyncio.sleep(0.2)  # ten checks of the idle watch
            assert not alice.m.locked
            alice.m.note_activity()  # the person did something: counting starts anew
            clock.now += 30_000
            await asyncio.sleep(0.2)
            assert not alice.m.locked
            clock.now += 31_000
            await until(lambda: _locked(alice), what="the idle lock")
            assert alice.events_of(ev.Locked)[-1].reason is LockReason.IDLE

            await alice.m.unlock()
            await alice.m.set_setting(cfg.IDLE_LOCK_SECONDS, 0)  # off again
            clock.now += 3_600_000
            await asyncio.sleep(0.2)
            assert not alice.m.locked
        finally:
            await alice.close()

    run(scenario())


async def _locked(person: Someone) -> bool:
    return person.m.locked and bool(person.events_of(ev.Locked))


def test_lock_on_token_removal_is_switched_in_the_running_session(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        try:
            await alice.m.set_setting(cfg.LOCK_ON_TOKEN_REMOVAL, False)
            alice.tokens.pull()
            await asyncio.sleep(0.3)  # a lock would have been requested by now
            assert not alice.m.locked
            alice.tokens.insert()

            await alice.m.set_setting(cfg.LOCK_ON_TOKEN_REMOVAL, True)  # no relock needed
            alice.tokens.pull()
            await until(lambda: _locked(alice), what="the lock on removal")
            assert alice.events_of(ev.Locked)[-1].reason is LockReason.TOKEN_REMOVED
        finally:
            alice.tokens.insert()
            await alice.close()

    run(scenario())


def test_conversations_we_start_take_the_default_timer(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        bob = await create(tmp_path, "bob", shared_relay.url, worker)
        carol = await create(tmp_path, "carol", shared_relay.url, worker)
        try:
            a_bob, b_alice = await befriend(alice, bob)  # before: no timer
            await alice.m.set_setting(cfg.DEFAULT_TIMER, 3600)
            assert await timer_of(alice, a_bob) is None  # existing ones keep theirs

            await carol.m.add_contact(await alice.m.invite(), "alice")
            await alice.m.add_contact(await carol.m.invite(), "carol")
            a_carol = await alice.m.direct_conversation(carol.m.identity_id)
            c_alice = await carol.m.direct_conversation(alice.m.identity_id)
            assert await timer_of(alice, a_carol) == 3600
            await until(lambda: _has_timer(carol, c_alice, 3600), what="carol told the timer")

            group = await alice.m.create_group("hikers", [bob.m.identity_id])
            assert await timer_of(alice, group) == 3600
            await until(lambda: _has_timer(bob, group, 3600), what="bob told the group timer")

            msg = await alice.m.send_text(a_carol, "gone in an hour")
            sent = await alice.m.message(msg)
            assert sent is not None and sent.expires_at is not None
            assert await timer_of(bob, b_alice) is None
        finally:
            for person in (alice, bob, carol):
                await person.close()

    run(scenario())


async def _has_timer(person: Someone, conversation_id: bytes, seconds: int) -> bool:
    return await timer_of(person, conversation_id) == seconds


def test_relay_info_names_the_relay_its_fingerprint_and_the_state(
    relay_factory: object, tmp_path: Path, worker: TokenWorker
) -> None:
    relay: RelayProcess = relay_factory(tls=True)  # type: ignore[operator]

    async def scenario() -> None:
        alice = await create(tmp_path, "alice", relay.url, worker, tls_pin=True)
        try:
            info = await alice.m.relay_info()
            assert info.url == relay.url
            assert info.pinned
            assert relay.fingerprint is not None
            assert info.fingerprint == relay.fingerprint
            assert info.status.state is LinkState.ONLINE
            relay.stop()
            await until(lambda: _state_is(alice, LinkState.CONNECTING), what="offline")

            async def told() -> bool:  # the event may reach the stream just after the state
                return any(
                    e.status.state is LinkState.CONNECTING
                    for e in alice.events_of(ev.ConnectionChanged)
                )

            await until(told, what="a ConnectionChanged event for the lost link")
        finally:
            await alice.close()

    run(scenario())


async def _state_is(person: Someone, state: LinkState) -> bool:
    return (await person.m.relay_info()).status.state is state
