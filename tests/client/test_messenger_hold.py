"""A Messenger that holds its profile while locked (the app's lock screen), token presence
events, and unlocking with the recovery code, against a real relay process."""

from __future__ import annotations

from pathlib import Path

import pytest

from keybound.client import events as ev
from keybound.client import settings as cfg
from keybound.client.messenger import Messenger
from keybound.client.values import LockReason
from keybound.errors import (
    EngineLocked,
    ProfileError,
    ProfileInUse,
    RecoveryCodeMistyped,
    WrongRecoveryCode,
)
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import Someone, befriend, create, people, prompter, run, texts, until


async def _reopen_held(person: Someone) -> Messenger:
    await person.close()
    person.log.clear()
    held = await Messenger.hold(person.profile, prompter(), options=person.options)
    person.attach(held)
    return held


def test_held_profile_stays_locked_sees_the_key_come_and_go_and_unlocks(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            a_conv, b_conv = await befriend(alice, bob)
            held = await _reopen_held(alice)
            assert held.locked
            with pytest.raises(EngineLocked):
                await held.history(a_conv)
            with pytest.raises(ProfileInUse):  # the lock is held while locked
                await Messenger.hold(alice.profile, prompter(), options=alice.options)

            await until(lambda: _presence(alice, [True]), what="the key seen at start")
            assert held.token_present is True
            alice.tokens.pull()
            await until(lambda: _presence(alice, [True, False]), what="the key pulled out")
            assert held.token_present is False
            alice.tokens.insert()
            await until(lambda: _presence(alice, [True, False, True]), what="plugged in")

            await bob.m.send_text(b_conv, "sent while alice was locked")
            await held.unlock()
            assert not held.locked
            await until(lambda: texts(alice, a_conv), what="the queued message")
            assert await texts(alice, a_conv) == ["sent while alice was locked"]

            alice.tokens.pull()  # unlocked with the card: pulling it locks
            await until(lambda: _locked(alice, LockReason.TOKEN_REMOVED), what="the lock")
            assert held.locked
            alice.tokens.insert()

    run(scenario())


def test_recovery_code_unlocks_without_the_key_and_wrong_codes_open_nothing(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        try:
            assert await alice.m.setting(cfg.NOTIFICATIONS) == "sender"  # the default
            await alice.m.set_setting(cfg.NOTIFICATIONS, "text")
            held = await _reopen_held(alice)
            alice.tokens.pull()  # "lost your key"
            code = alice.recovery_code
            groups = code.split("-")
            typo = "-".join([groups[0][:-1] + ("A" if groups[0][-1] != "A" else "B"), *groups[1:]])
            with pytest.raises(RecoveryCodeMistyped):
                await held.unlock_with_recovery(typo)
            async with people(tmp_path, shared_relay.url, worker, "other") as other:
                with pytest.raises(WrongRecoveryCode):
                    await held.unlock_with_recovery(other.recovery_code)
            assert held.locked

            await held.unlock_with_recovery(code)
            assert not held.locked
            assert await held.setting(cfg.NOTIFICATIONS) == "text"  # the same vault
            await held.wait_online(20)
            assert any(isinstance(e, ev.Unlocked) for e in alice.log)
            await held.lock()
            assert held.locked
        finally:
            alice.tokens.insert()
            await alice.close()

    run(scenario())


def test_hold_refuses_a_profile_without_an_account(tmp_path: Path) -> None:
    async def scenario() -> None:
        with pytest.raises(ProfileError, match="no Keybound account"):
            await Messenger.hold(tmp_path / "empty", prompter())

    run(scenario())


async def _presence(person: Someone, wanted: list[bool]) -> bool:
    return [e.present for e in person.events_of(ev.TokenPresenceChanged)] == wanted


async def _locked(person: Someone, reason: LockReason) -> bool:
    return any(e.reason is reason for e in person.events_of(ev.Locked))
