"""Repairing a damaged history: the engine's entry point for ``keybound repair`` and the app.

The profile must not be in use (``ProfileInUse`` otherwise: close the app or
stop ``keybound listen``).  The present enrolled token unlocks the keyslots,
which proves the key is right, so pages failing their check are damage, not
a wrong key.  ``store.repair`` copies every readable row into a new encrypted
file beside the old one; only when that finished is the damaged file moved to
``history.db.damaged-<time>`` (kept, never deleted) and the new one put in its
place.  Cancelling, or any failure, leaves the damaged file where it was.

``progress(done, total)`` and ``cancelled()`` are called from a worker thread
(the GUI bridges them to its own thread, as for token prompts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from keybound.client import account
from keybound.client.options import Options
from keybound.client.profile import Profile
from keybound.errors import ProfileError, UserFacingError
from keybound.store import repair
from keybound.store.keys import KeyPurpose
from keybound.store.lock import ProfileLock
from keybound.store.repair import Damage, RepairReport
from keybound.token.prompter import Prompter
from keybound.token.worker import TokenWorker

REPAIRING_SUFFIX = ".repairing"


async def repair_history(
    profile_dir: Path,
    prompter: Prompter,
    options: Options | None = None,
    *,
    progress: repair.Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> RepairReport:
    """Copy what can be read of a damaged history into a new one; the report says what."""
    opts = options or Options()
    profile = Profile(profile_dir)
    if not profile.exists() or not profile.history.exists():
        raise ProfileError(f"There is no Keybound history in {profile_dir} to repair.")
    lock = ProfileLock.acquire(profile.root)
    worker = opts.token_worker or TokenWorker()
    try:
        master_key, _ = await worker.run(account.unlock, profile, opts.tokens, prompter)
        key = master_key.derive(KeyPurpose.SQLCIPHER)
        return await asyncio.to_thread(
            _repair, profile.history, key, progress, cancelled, opts.memory_security
        )
    finally:
        lock.release()
        if opts.token_worker is None:
            worker.stop()


def _repair(
    history: Path,
    key: bytes,
    progress: repair.Progress | None,
    cancelled: Callable[[], bool],
    memory_security: bool,
) -> RepairReport:
    damage: Damage = repair.scan(history, key)
    if not damage.damaged:
        raise UserFacingError("The message history is not damaged: there is nothing to repair.")
    out = history.with_name(history.name + REPAIRING_SUFFIX)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{out}{suffix}").unlink(missing_ok=True)  # a repair cut short before
    report = repair.salvage(
        history, key, out, progress=progress, cancelled=cancelled, memory_security=memory_security
    )
    kept = repair.replace_history(history, out)
    return replace(report, damaged_copy=kept)
