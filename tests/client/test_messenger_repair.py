"""A damaged or emptied history file, as a person meets it (issue 11, items 2 and 7).

Opening says which part is damaged; the engine's repair (what `keybound
repair` and the app call) copies what is readable into a new vault, keeps the
damaged file beside it, and the messenger opens again with the history.  A
0-byte history file is refused with an explanation, never replaced silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from keybound.client.history_repair import repair_history
from keybound.client.profile import Profile
from keybound.client.staging import prepare as prepare_setup
from keybound.errors import HistoryDamaged, HistoryUnreadable, ProfileError
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import befriend, create, people, prompter, run, texts, until


def _flip(path: Path, offset: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        byte = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([byte ^ 0x40]))


def test_a_damaged_history_is_named_and_repaired(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            a_conv, b_conv = await befriend(alice, bob)
            for i in range(20):
                await alice.m.send_text(a_conv, f"note {i}")
            await until(lambda: _count(bob, b_conv, 20), what="bob has the notes")
            await bob.close()
            history = bob.profile / "history.db"
            _flip(history, 200)  # page 1: the file header and the table directory
            with pytest.raises(HistoryDamaged, match="table directory") as info:
                await bob.open()
            assert "keybound repair" in str(info.value)
            steps: list[int] = []
            report = await repair_history(
                bob.profile, prompter(), bob.options, progress=lambda d, t: steps.append(d)
            )
            assert steps and report.messages_lost == 0
            assert report.damaged_copy is not None and report.damaged_copy.exists()
            assert report.damaged_copy.parent == bob.profile
            await bob.open()
            assert await texts(bob, b_conv) == [f"note {i}" for i in range(20)]
            await alice.m.send_text(a_conv, "after the repair")  # the sessions survived
            await until(lambda: _count(bob, b_conv, 21), what="a message after the repair")

    run(scenario())


def test_an_empty_history_file_is_refused_not_replaced(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        carol = await create(tmp_path, "carol", shared_relay.url, worker)
        await carol.close()
        history = carol.profile / "history.db"
        history.write_bytes(b"")
        for side in ("history.db-wal", "history.db-shm"):
            (carol.profile / side).unlink(missing_ok=True)
        with pytest.raises(HistoryUnreadable, match="empty"):
            await carol.open()
        assert history.stat().st_size == 0  # nothing was written into it

    run(scenario())


async def _count(person, conv: bytes, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(await person.m.history(conv, 500)) >= n


def test_a_keyslot_file_left_only_as_its_backup_is_one_account_and_restores(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        dave = await create(tmp_path, "dave", shared_relay.url, worker)
        await dave.close()
        keyslots = Profile(dave.profile).keyslots
        backup = keyslots.with_name(keyslots.name + ".bak")
        keyslots.rename(backup)  # as a rewrite cut short between its two renames leaves it
        with pytest.raises(ProfileError, match="already an account"):
            prepare_setup(Profile(dave.profile))  # what `init` says ...
        await dave.open()  # ... and every other command agrees: it is an account
        assert keyslots.exists() and not backup.exists()  # restored from the backup
        await dave.close()

    run(scenario())
