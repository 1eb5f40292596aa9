"""Backups through the engine: Messenger methods, progress, cancel, the schedule, and a
restore onto a new device joined with the same virtual card through real pcscd."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from keybound.backup.values import Progress
from keybound.client import events as ev
from keybound.client import settings as cfg
from keybound.client.messenger import Messenger
from keybound.client.tokens import PresentTokens
from keybound.errors import BackupOfOtherIdentity, WrongBackupPassphrase
from keybound.token.base import TokenKind
from keybound.token.worker import TokenWorker
from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .harness import ENROLL, Someone, befriend, create, join, options, people, prompter, run, until

PASS = "a strong and long backup passphrase 42"


async def _chat(alice: Someone, bob: Someone) -> tuple[bytes, bytes]:
    a_conv, b_conv = await befriend(alice, bob)
    for n in range(3):
        await alice.m.send_text(a_conv, f"from alice {n}")
        await bob.m.send_text(b_conv, f"from bob {n}")
    await until(lambda: _count(alice, a_conv, 6), what="alice has all six")
    first = (await alice.m.history(a_conv, 10))[0]
    await alice.m.react(first.message_id, "👍")
    return a_conv, b_conv


async def _count(person: Someone, conv: bytes, n: int) -> bool:
    return len(await person.m.history(conv, 100)) >= n


async def _history(person: Someone) -> list[tuple[Any, ...]]:
    rows = []
    for summary in await person.m.conversations():
        conv = summary.conversation.conversation_id
        for m in await person.m.history(conv, 500):
            reactions = [
                (r.emoji, r.sender_identity) for r in await person.m.reactions(m.message_id)
            ]
            rows.append((conv, m.message_id, m.body, m.sender_identity, m.sent_at, reactions))
    return sorted(rows)


def test_passphrase_backup_progress_cancel_and_merge(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            await _chat(alice, bob)
            await alice.m.set_setting(cfg.NOTIFICATIONS, "off")  # carried in the backup
            await alice.m.set_setting(cfg.DEFAULT_TIMER, 3600)
            seen: list[Progress] = []
            path = tmp_path / "alice.age"
            info = await alice.m.create_backup(path, passphrase=PASS, progress=seen.append)
            await alice.m.set_setting(cfg.NOTIFICATIONS, "text")
            await alice.m.set_setting(cfg.DEFAULT_TIMER, 0)
            assert info.counts.messages == 6 and path.exists() and seen
            await until(lambda: _has(alice, ev.BackupCreated), what="the created event")
            assert alice.events_of(ev.BackupCreated)[-1].path == str(path)
            assert (await alice.m.verify_backup(path, passphrase=PASS)).counts.messages == 6
            with pytest.raises(WrongBackupPassphrase):
                await alice.m.restore_backup(path, passphrase="wrong but long enough 123")
            with pytest.raises(BackupOfOtherIdentity):
                await bob.m.restore_backup(path, passphrase=PASS)
            summary = await alice.m.restore_backup(path, passphrase=PASS)
            assert summary.added.messages == 0 and summary.skipped_messages == 6
            assert await alice.m.notification_mode() is cfg.NotifyMode.OFF  # in force at once
            assert await alice.m.setting(cfg.DEFAULT_TIMER) == 3600
            await until(lambda: _has(alice, ev.HistoryRestored), what="the restored event")

            # Cancel while writing: the awaiting task is cancelled, nothing is left.
            started = asyncio.Event()
            slow = tmp_path / "cancelled.age"

            def progress(p: Progress) -> None:
                started.set()

            task = asyncio.ensure_future(
                alice.m.create_backup(slow, passphrase=PASS, progress=progress)
            )
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not slow.exists() and not Path(str(slow) + ".part").exists()

    run(scenario(), timeout=120)


def test_automatic_backups_to_the_card_keep_the_last_k(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker, automatic_backups=True)
        folder = tmp_path / "auto"
        try:
            # No backup key yet: the schedule says so as an event instead of failing silently.
            await alice.m.set_setting(cfg.BACKUP_FOLDER, str(folder))
            await alice.m.set_setting(cfg.BACKUP_EVERY_DAYS, 1)
            await until(lambda: _has(alice, ev.BackupFailed), what="a failure event without keys")
            assert alice.events_of(ev.BackupFailed)[-1].automatic
            key = await alice.m.add_backup_key()
            assert key.kind == "openpgp"
            folder.mkdir(exist_ok=True)
            for old in ("keybound-20200101-000000.age", "keybound-20200102-000000.age"):
                (folder / old).write_bytes(b"old")
            await alice.m.set_setting(cfg.BACKUP_KEEP, 2)
            await until(
                lambda: _has(alice, ev.BackupCreated), what="an automatic backup", timeout=30
            )
            created = alice.events_of(ev.BackupCreated)[-1]
            assert created.automatic and Path(created.path).exists()
            names = sorted(os.listdir(folder))
            assert len(names) == 2 and "keybound-20200101-000000.age" not in names
            assert Path(created.path).read_bytes().split(b"\n")[1].startswith(b"-> X25519 ")
            # Restored with the card alone (PSO:DECIPHER), no passphrase.
            summary = await alice.m.restore_backup(Path(created.path))
            assert summary.backup.identity_id == alice.m.identity_id
        finally:
            await alice.close()

    run(scenario(), timeout=120)


async def _knows_devices(person: Someone, n: int) -> bool:
    return any(len(c.devices) >= n for c in await person.m.contacts())


async def _has(person: Someone, kind: type[ev.Event]) -> bool:
    return bool(person.events_of(kind))


@pytest.mark.integration
def test_restore_onto_a_new_device_joined_with_the_same_card_through_pcscd(
    relay_factory: Any, virtual_card: CardFactory, tmp_path: Path, worker: TokenWorker
) -> None:
    relay: RelayProcess = relay_factory()
    inserted = virtual_card("openpgp", slot=2)  # slot 0 is where benchmarks put their cards
    source = PresentTokens(kind=TokenKind.OPENPGP, reader=inserted.reader)

    async def scenario() -> None:
        opts = options(source, worker)
        alice = Someone("alice", tmp_path / "alice", source, opts)
        messenger, _ = await Messenger.create_account(
            alice.profile, relay.url, prompter(), display_name="alice", enroll=ENROLL,
            options=opts,
        )  # fmt: skip
        alice.attach(messenger)
        await messenger.wait_online(20)
        bob = await create(tmp_path, "bob", relay.url, worker)
        newer: Someone | None = None
        try:
            _, b_conv = await _chat(alice, bob)
            path = tmp_path / "to-card.age"
            await alice.m.create_backup(path, to_keys=True)  # enrolls the card's key first
            before = await _history(alice)
            await alice.close()

            newer = await join(tmp_path, alice, relay.url, worker, device="new-computer")
            summary = await newer.m.restore_backup(path)  # PSO:DECIPHER through pcscd
            assert summary.added.messages == 6
            assert await _history(newer) == before
            again = await newer.m.restore_backup(path)
            assert again.added.messages == 0 and await _history(newer) == before
            # Sessions were made anew, not restored: the restore told bob about the new
            # device, and bob reaches it.
            await until(lambda: _knows_devices(bob, 2), what="bob sees the new device")
            await bob.m.send_text(b_conv, "after the restore")
            conv = before[0][0]
            await until(lambda: _count(newer, conv, 7), what="a new message", timeout=30)  # type: ignore[arg-type]
        finally:
            if newer is not None:
                await newer.close()
            await bob.close()

    run(scenario(), timeout=180)
