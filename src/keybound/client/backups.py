"""The engine's side of backups: what :class:`Messenger`'s backup methods delegate to.

- **create** reads a snapshot through a read-only connection on a thread of
  its own, so the engine goes on receiving while a large backup is written.
- **verify** decrypts and checks the whole file; it needs no unlocked history.
- **restore** runs on the database thread as one job (one transaction): the
  engine's own writes wait until it has committed or rolled back.
- **schedule**: while unlocked, a backup to the hardware keys every N days
  into a folder, keeping the last K; a failure is a :class:`BackupFailed` event.

Progress reaches the caller's callback (on the event loop) and the event
stream. Cancelling the awaiting task cancels the work and waits for it to
clean up, so when the cancellation arrives no partial file is left. Locking
cancels running backups.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from keybound.backup import keys as backup_keys
from keybound.backup import operations as ops
from keybound.backup.age_header import read_header
from keybound.backup.age_recipients import (
    SCRYPT,
    Identity,
    Recipient,
    ScryptIdentity,
    ScryptRecipient,
)
from keybound.backup.export import export_history
from keybound.backup.keys import BackupKey
from keybound.backup.passphrase import check as check_passphrase
from keybound.backup.values import BackupInfo, Control, Progress, RestoreSummary
from keybound.client import account, actions
from keybound.client import events as ev
from keybound.client import settings as cfg
from keybound.client.aio import wait
from keybound.client.core import Core, Effects
from keybound.client.identities import decode_chain
from keybound.client.options import Options
from keybound.client.profile import Profile
from keybound.client.session import Session
from keybound.errors import (
    BackupError,
    BackupNoMatchingKey,
    KeyboundError,
    MalformedData,
    UserFacingError,
)
from keybound.token.base import Token
from keybound.token.prompter import Prompter
from keybound.token.worker import TokenWorker
from keybound.wire import cbor

log = logging.getLogger(__name__)
T = TypeVar("T")

ProgressCallback = Callable[[Progress], None]
Emit = Callable[[ev.Event], None]
# Settings carried in a backup and applied on restore (not device name or relay).
CARRIED_SETTINGS = (
    cfg.DISPLAY_NAME, cfg.LOCK_ON_TOKEN_REMOVAL, cfg.IDLE_LOCK_SECONDS, cfg.READ_RECEIPTS,
    cfg.TYPING_INDICATORS, cfg.BACKUP_EVERY_DAYS, cfg.BACKUP_KEEP, cfg.NOTIFICATIONS,
    cfg.DEFAULT_TIMER,
)  # fmt: skip
AUTO_NAME = re.compile(r"keybound-(\d{8}-\d{6})\.age")
DEFAULT_KEEP = 5
RETRY_S = 3600.0
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Schedule:
    """Automatic backups as set: every ``every_days`` days (0: off) into ``folder``, keeping
    the newest ``keep``; ``last_at`` is when the last automatic backup was made (ms, 0: never)."""

    every_days: int = 0
    folder: str = ""
    keep: int = DEFAULT_KEEP
    last_at: int = 0


def needs_passphrase(path: Path) -> bool:
    """True if the backup at ``path`` is a passphrase backup (read from its header only)."""
    try:
        with path.open("rb") as f:
            return any(s.type == SCRYPT for s in read_header(f).stanzas)
    except OSError as exc:
        raise BackupError(f"The backup file {path} cannot be read: {exc.strerror}.") from None


class Backups:
    """Backup operations of one Messenger (see the module docstring)."""

    def __init__(
        self, profile: Profile, prompter: Prompter, options: Options, worker: TokenWorker,
        emit: Emit,
    ) -> None:  # fmt: skip
        self._profile, self._prompter, self._options = profile, prompter, options
        self._worker, self._emit = worker, emit
        self._running: set[Control] = set()
        self._schedule: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # --- running a step -------------------------------------------------------------------

    def _control(self, operation: str, progress: ProgressCallback | None) -> Control:
        loop = asyncio.get_running_loop()

        def report(p: Progress) -> None:
            def deliver() -> None:
                if progress is not None:
                    progress(p)
                self._emit(ev.BackupProgress(operation, p))

            loop.call_soon_threadsafe(deliver)

        return Control(report)

    async def _run(self, control: Control, start: Callable[[], Awaitable[T]]) -> T:
        """Await the step; on cancellation tell it to stop and wait until it has cleaned up."""
        self._running.add(control)
        task = asyncio.ensure_future(start())
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            control.cancelled.set()
            with contextlib.suppress(BaseException):
                await task
            raise
        finally:
            self._running.discard(control)

    def cancel_all(self) -> None:
        for control in list(self._running):
            control.cancelled.set()

    # --- hardware keys ------------------------------------------------------------------

    async def keys(self, session: Session) -> list[BackupKey]:
        raw = await session.db.run(session.core.get_setting, cfg.BACKUP_KEYS, b"")
        if not raw:
            return []
        try:
            records = cbor.decode(raw)
            if not isinstance(records, list):
                raise TypeError("not a list")
            return [BackupKey.from_record(r) for r in records]
        except (MalformedData, TypeError):
            raise BackupError("The list of backup keys is damaged; add the keys again.") from None

    async def add_key(self, session: Session) -> BackupKey:
        """Enroll the present token (of this profile) as a backup recipient."""
        token = await self._open_token()
        try:
            key: BackupKey = await self._worker.run(backup_keys.enroll, token)
        finally:
            await self._worker.run(token.close)
        known = [k for k in await self.keys(session) if k.public != key.public]
        value = cbor.encode([k.to_record() for k in [*known, key]])
        await session.db.run(session.core.set_setting, cfg.BACKUP_KEYS, value)
        return key

    async def remove_key(self, session: Session, public: bytes) -> None:
        remaining = [k for k in await self.keys(session) if k.public != public]
        value = cbor.encode([k.to_record() for k in remaining])
        await session.db.run(session.core.set_setting, cfg.BACKUP_KEYS, value)

    async def _open_token(self) -> Token:
        known = account.known_keys(self._profile)
        token: Token = await self._worker.run(self._options.tokens.open, self._prompter, known)
        return token

    # --- create ----------------------------------------------------------------------------

    async def create(
        self,
        session: Session,
        dest: Path,
        *,
        passphrase: str | None,
        to_keys: bool,
        attachments: bool,
        progress: ProgressCallback | None,
        automatic: bool = False,
    ) -> BackupInfo:
        recipients: list[Recipient] = []
        if passphrase is not None:
            check_passphrase(passphrase)  # WeakPassphrase says why
            recipients.append(ScryptRecipient(passphrase))
        if to_keys:
            if passphrase is not None:
                raise BackupError(
                    "A passphrase backup cannot also be opened by security keys (age allows "
                    "a passphrase only on its own). Make two backups."
                )
            enrolled = await self.keys(session)
            if not enrolled:
                enrolled = [await self.add_key(session)]
            recipients += [k.recipient() for k in enrolled]
        if not recipients:
            raise BackupError("Choose a backup passphrase or back up to your security keys.")
        core = session.core
        settings = {
            key: await session.db.run(core.get_setting, key, _DEFAULTS.get(key, ""))
            for key in CARRIED_SETTINGS
        }
        control = self._control("create", progress)
        now = session.env.now_ms()

        def work() -> BackupInfo:
            reader = core.db.reader()
            try:
                return ops.create(
                    reader, dest, recipients, own_identity=core.own_id, settings=settings,
                    include_attachments=attachments, control=control, now=now,
                )  # fmt: skip
            finally:
                reader.close()

        try:
            info = await self._run(control, lambda: asyncio.to_thread(work))
        except KeyboundError as exc:
            self._emit(ev.BackupFailed(str(exc), automatic))
            raise
        self._emit(ev.BackupCreated(str(dest), info, automatic))
        return info

    # --- verify and restore -------------------------------------------------------------------

    async def _identities(
        self, path: Path, passphrase: str | None
    ) -> tuple[list[Identity], Token | None]:
        """What opens the backup: the passphrase, or the present token (kept open until done)."""
        if passphrase is not None:
            return [ScryptIdentity(passphrase)], None
        if await asyncio.to_thread(needs_passphrase, path):
            raise BackupNoMatchingKey(
                "This backup is protected by a passphrase: enter its passphrase."
            )
        token = await self._open_token()
        try:
            # Token calls made later, from the thread that reads the file, go to the worker.
            identity = await self._worker.run(backup_keys.identity, token, self._worker.call)
        except BaseException:
            await self._worker.run(token.close)
            raise
        return [identity], token

    async def verify(
        self, path: Path, *, passphrase: str | None, progress: ProgressCallback | None
    ) -> BackupInfo:
        identities, token = await self._identities(path, passphrase)
        control = self._control("verify", progress)
        try:
            return await self._run(
                control, lambda: asyncio.to_thread(ops.verify, path, identities, control)
            )
        finally:
            if token is not None:
                await self._worker.run(token.close)

    async def restore(
        self,
        session: Session,
        path: Path,
        *,
        passphrase: str | None,
        progress: ProgressCallback | None,
    ) -> RestoreSummary:
        identities, token = await self._identities(path, passphrase)
        control = self._control("restore", progress)
        core = session.core

        def apply(values: dict[str, Any]) -> None:
            for key in CARRIED_SETTINGS:
                value = values.get(key)
                if value is not None and type(value) is type(_DEFAULTS.get(key, "")):
                    cfg.put(core.repo, key, value)

        def work() -> RestoreSummary:
            summary = ops.restore(
                core.db, path, identities, own_identity=core.own_id,
                attachments_dir=self._profile.root / "attachments", control=control,
                apply_settings=apply,
            )  # fmt: skip
            core.settings = cfg.load(core.repo)
            return summary

        try:
            summary = await self._run(control, lambda: session.db.run(work))
        finally:
            if token is not None:
                await self._worker.run(token.close)
        effects = await session.db.run(_adopt_restored_contacts, core)
        await session.after(effects)
        self._emit(ev.HistoryRestored(summary))
        return summary

    # --- readable export -----------------------------------------------------------------------

    async def export(
        self,
        session: Session,
        dest: Path,
        *,
        fmt: str,
        conversation_id: bytes | None,
        progress: ProgressCallback | None,
    ) -> Path:
        control = self._control("export", progress)
        core = session.core

        def work() -> Path:
            reader = core.db.reader()
            try:
                return export_history(
                    reader, dest, fmt=fmt, conversation_id=conversation_id, control=control
                )
            finally:
                reader.close()

        return await self._run(control, lambda: asyncio.to_thread(work))

    # --- schedule ------------------------------------------------------------------------------

    def start_schedule(self, session: Session) -> None:
        self.stop_schedule()
        self._schedule = asyncio.get_running_loop().create_task(self._scheduler(session))

    def stop_schedule(self) -> None:
        if self._schedule is not None:
            self._schedule.cancel()
            self._schedule = None

    def settings_changed(self) -> None:
        self._wake.set()

    async def schedule(self, session: Session) -> Schedule:
        get, run = session.core.get_setting, session.db.run
        return Schedule(
            every_days=await run(get, cfg.BACKUP_EVERY_DAYS, 0),
            folder=await run(get, cfg.BACKUP_FOLDER, ""),
            keep=await run(get, cfg.BACKUP_KEEP, DEFAULT_KEEP),
            last_at=await run(get, cfg.BACKUP_LAST_AT, 0),
        )

    async def set_schedule(self, session: Session, every_days: int, folder: str, keep: int) -> None:
        """Check and store the schedule (the folder made absolute); the scheduler looks again."""
        if every_days < 0 or keep < 1:
            raise UserFacingError(
                "Automatic backups run every 0 or more days (0: off) and keep 1 or more."
            )
        if every_days and not folder.strip():
            raise UserFacingError("Automatic backups need a folder to go into.")
        where = str(Path(folder.strip()).expanduser().absolute()) if folder.strip() else ""
        set_, run = session.core.set_setting, session.db.run
        await run(set_, cfg.BACKUP_EVERY_DAYS, every_days)
        await run(set_, cfg.BACKUP_FOLDER, where)
        await run(set_, cfg.BACKUP_KEEP, keep)
        self.settings_changed()

    async def _scheduler(self, session: Session) -> None:
        while True:
            wait_s = await self._due_in(session)
            if wait_s is not None and wait_s <= 0:
                wait_s = await self._automatic(session)
            self._wake.clear()
            await wait(self._wake, RETRY_S if wait_s is None else wait_s)  # cancellable

    async def _due_in(self, session: Session) -> float | None:
        """Seconds until the next automatic backup; None when they are off."""
        run = session.db.run
        every = await run(session.core.get_setting, cfg.BACKUP_EVERY_DAYS, 0)
        folder = await run(session.core.get_setting, cfg.BACKUP_FOLDER, "")
        if every <= 0 or not folder:
            return None
        last: int = await run(session.core.get_setting, cfg.BACKUP_LAST_AT, 0)
        return float(last + every * DAY_MS - session.env.now_ms()) / 1000

    async def _automatic(self, session: Session) -> float:
        """Make one automatic backup; seconds until the scheduler should look again."""
        run = session.db.run
        folder = Path(await run(session.core.get_setting, cfg.BACKUP_FOLDER, ""))
        keep = await run(session.core.get_setting, cfg.BACKUP_KEEP, DEFAULT_KEEP)
        if not await self.keys(session):
            text = (
                "Automatic backups need a security key enrolled as a backup key "
                "(`keybound backup keys add`)."
            )
            self._emit(ev.BackupFailed(text, True))
            return RETRY_S
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(session.env.now_s()))
            dest = folder / f"keybound-{stamp}.age"
            await self.create(
                session, dest, passphrase=None, to_keys=True, attachments=True,
                progress=None, automatic=True,
            )  # fmt: skip
        except asyncio.CancelledError:
            raise
        except (KeyboundError, OSError) as exc:
            if isinstance(exc, OSError):
                self._emit(ev.BackupFailed(f"Automatic backup failed: {exc.strerror}.", True))
            log.info("automatic backup failed")
            return RETRY_S  # create() already emitted BackupFailed for Keybound errors
        await run(session.core.set_setting, cfg.BACKUP_LAST_AT, session.env.now_ms())
        _prune(folder, max(1, keep))
        return 0.0


def _adopt_restored_contacts(core: Core) -> Effects:
    """Verify and pin the chains the backup brought (their devices become sendable), then
    tell every contact about this device: the sessions with them are made anew."""
    for person in core.repo.contacts():
        if person.chain is None or core.book.get(person.identity_id) is not None:
            continue
        try:
            core.book.accept(
                core.repo, decode_chain(person.chain), core.env.now_s(), core.now(),
                expected=person.identity_id,
            )  # fmt: skip
        except KeyboundError:
            log.warning("a restored identity chain did not verify; it is left unpinned")
    return actions.announce_devices(core, False)


def _prune(folder: Path, keep: int) -> None:
    """Keep the newest ``keep`` automatic backups in ``folder`` (by the time in their name)."""
    ours = sorted(p for p in folder.iterdir() if AUTO_NAME.fullmatch(p.name))
    for old in ours[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()


_DEFAULTS: dict[str, bool | int | str] = {
    cfg.DISPLAY_NAME: "", cfg.LOCK_ON_TOKEN_REMOVAL: True, cfg.IDLE_LOCK_SECONDS: 0,
    cfg.READ_RECEIPTS: True, cfg.TYPING_INDICATORS: True, cfg.BACKUP_EVERY_DAYS: 0,
    cfg.BACKUP_KEEP: DEFAULT_KEEP, cfg.NOTIFICATIONS: cfg.NotifyMode.SENDER.value,
    cfg.DEFAULT_TIMER: 0,
}  # fmt: skip
