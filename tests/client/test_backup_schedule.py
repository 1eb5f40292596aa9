"""The automatic backups' schedule through Messenger: checked, stored in the vault, read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from keybound.client.backups import DEFAULT_KEEP, Schedule
from keybound.errors import UserFacingError
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import people, run


def test_schedule_is_checked_stored_and_survives_a_reopen(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice") as alice:
            assert await alice.m.backup_schedule() == Schedule(0, "", DEFAULT_KEEP, 0)
            with pytest.raises(UserFacingError, match="need a folder"):
                await alice.m.set_backup_schedule(3, " ", 4)
            with pytest.raises(UserFacingError, match="keep 1 or more"):
                await alice.m.set_backup_schedule(3, str(tmp_path), 0)
            with pytest.raises(UserFacingError, match="0 or more days"):
                await alice.m.set_backup_schedule(-1, str(tmp_path), 2)
            assert await alice.m.backup_schedule() == Schedule()  # nothing was stored
            await alice.m.set_backup_schedule(3, "relative/folder", 4)
            await alice.close()
            await alice.open()
            schedule = await alice.m.backup_schedule()
            assert schedule.every_days == 3 and schedule.keep == 4 and schedule.last_at == 0
            assert Path(schedule.folder).is_absolute() and schedule.folder.endswith(
                "relative/folder"
            )
            await alice.m.set_backup_schedule(0, "", 4)  # off needs no folder
            assert (await alice.m.backup_schedule()).every_days == 0

    run(scenario(), timeout=60)
