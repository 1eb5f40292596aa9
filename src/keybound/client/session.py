"""The engine while unlocked: database thread, core, relay link and background tasks.

A :class:`Session` starts when the profile is unlocked and is stopped when it
is locked.  It owns:

- the relay link and its callbacks: pushed batches are stored and committed
  (``inbox.process``) and only then acknowledged; after each authentication
  our one-time keys are topped up and our own chain refreshed;
- the sending tasks of ``sending`` (flusher, composer);
- the **expirer** (disappearing messages), the **publisher** (our identity
  chain on the relay: it is how we log in) and the idle watch;
- identity refreshes: fetching a chain again when a device-list notice
  arrives, when a message comes from a device we do not know, or when we
  need to send to someone whose chain we lack.

Everything that changes the store runs on the database thread and reports
back :class:`~keybound.client.core.Effects`, which :meth:`Session.after`
turns into events and wake-ups.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from keybound.client import actions, contacts, identity_alerts, inbox, requests, rollback, sending
from keybound.client import events as ev
from keybound.client import settings as cfg
from keybound.client.aio import sentence, wait
from keybound.client.core import Core, Effects
from keybound.client.dbthread import DbThread
from keybound.client.identities import ChainUpdate, decode_documents
from keybound.client.keys import pq_to_wire, to_wire
from keybound.client.link import KeyStatus, LinkState, LinkStatus, RelayLink
from keybound.client.options import LinkRequest, Options, SettingsPinStore
from keybound.client.receiving import DISK_FULL, STORAGE, ReceivingGate
from keybound.client.values import LockReason
from keybound.client.verification import Verifications
from keybound.errors import (
    EngineLocked,
    HistoryDiskFull,
    HistoryError,
    IdentityFork,
    IdentityRollback,
    KeyboundError,
    RelayRefused,
    RelayUnavailable,
)
from keybound.identity.document import SignedDocument, encode_document
from keybound.token.base import TokenRef
from keybound.wire.frames import MAX_ITEMS, DeviceAddress, Incoming

log = logging.getLogger(__name__)
T = TypeVar("T")

Emit = Callable[[ev.Event], None]
RequestLock = Callable[[LockReason], None]


@dataclass
class _Wakeups:
    flush: asyncio.Event = field(default_factory=asyncio.Event)
    compose: asyncio.Event = field(default_factory=asyncio.Event)
    publish: asyncio.Event = field(default_factory=asyncio.Event)


class Session:
    def __init__(
        self,
        db: DbThread,
        core: Core,
        token: TokenRef | None,  # None: unlocked with the recovery code
        options: Options,
        emit: Emit,
        request_lock: RequestLock,
        last_activity: Callable[[], int],
    ) -> None:
        self.db = db
        self.core = core
        self.token = token
        self.options = options
        self.env = options.env
        self.emit = emit
        self._request_lock = request_lock
        self._last_activity = last_activity
        self.link: RelayLink | None = None
        self.wake = _Wakeups()
        self.closing = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._refreshing: dict[bytes, asyncio.Task[ChainUpdate | None]] = {}
        self._stop_watch: Callable[[], None] = lambda: None
        self._watching = False  # the token's removal is being watched
        self._sends: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._sender: asyncio.Task[None] | None = None
        self.receiving = ReceivingGate(
            emit, options.storage_retry_s, options.storage_retry_max_s, lambda: self.closing
        )
        self.verification = Verifications(self)
        # set by the Messenger: state the PQ layer in our certificate (needs the token)
        self.upgrade_post_quantum: Callable[[], Coroutine[Any, Any, None]] | None = None

    @property
    def relay(self) -> RelayLink:
        assert self.link is not None
        return self.link

    @property
    def online(self) -> bool:
        return self.link is not None and self.link.status.state is LinkState.ONLINE

    # --- life ----------------------------------------------------------------------------

    async def start(self) -> None:
        core, db = self.core, self.db
        pin = await db.run(core.get_setting, cfg.TLS_PIN, "")
        pinned = await db.run(core.get_setting, cfg.TLS_PINNED, False)
        self.link = self.options.link_factory(
            LinkRequest(
                core.settings.relay_url,
                DeviceAddress(core.own_id, core.device_id),
                core.machine.sign,
                SettingsPinStore(db, core, pin) if pinned else None,
            )
        )
        for loop_fn in (
            sending.flush_forever,
            sending.compose_forever,
            Session._expire_forever,
            Session._publish_forever,
            Session._keys_forever,
        ):
            self.spawn(self._keep(loop_fn))
        self.spawn(self._idle_watch())
        self.wake.flush.set()
        self.wake.compose.set()
        self.wake.publish.set()
        self.settings_changed()
        await self.link.start(self._on_deliver, self._on_status, self._on_online)

    def settings_changed(self) -> None:
        """Apply ``core.settings`` to what runs now (after ``Messenger.set_setting``).

        Most settings are read where they are used (the idle watch, receipts,
        typing) and need nothing here; the token's removal watch is started or
        stopped to match "lock when the token is removed".
        """
        wanted = self.core.settings.lock_on_token_removal and self.token is not None
        if wanted and not self._watching:
            self._watch_token()
        elif not wanted and self._watching:
            self._stop_watch()
            self._stop_watch = lambda: None
            self._watching = False

    def _watch_token(self) -> None:
        assert self.token is not None
        loop = asyncio.get_running_loop()

        def removed() -> None:
            loop.call_soon_threadsafe(self._token_removed)

        try:
            self._stop_watch = self.options.tokens.watch(self.token, removed)
        except KeyboundError as exc:
            log.warning("cannot watch the token for removal: %s", exc)
            return
        self._watching = True

    async def stop(self) -> None:
        """Cancel everything, close the link, then close the database: keys dropped."""
        self.closing = True
        self.verification.stop()
        self.receiving.stop()
        self._stop_watch()
        for _, future in self._sends:
            if not future.done():
                future.set_exception(EngineLocked())
        self._sends.clear()
        tasks = [*self._tasks, *self._refreshing.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.link is not None:
            with contextlib.suppress(Exception):
                await self.link.close()
        with contextlib.suppress(Exception):
            await self.db.run(self.core.close)
        await asyncio.get_running_loop().run_in_executor(None, self.db.close)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        # a task cancelled before it ran never started ``coro``: close it, or Python
        # prints "coroutine ... was never awaited" at the person when it is collected
        task.add_done_callback(lambda _: coro.close())
        return task

    async def _guard(self, coro: Coroutine[Any, Any, Any]) -> Any:
        try:
            return await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if self.closing:
                return None
            log.exception("engine task failed")
            self.emit(ev.EngineError(sentence(exc), "task"))
            return None

    async def _keep(self, loop_fn: Callable[[Session], Coroutine[Any, Any, None]]) -> None:
        """Run a background loop; a history that cannot be written (disk full) pauses
        it and it starts again later, instead of ending it until the next unlock."""
        told = False
        while True:
            try:
                await loop_fn(self)
                return
            except HistoryError as exc:
                if self.closing:
                    return
                log.warning("a background task paused: %s", type(exc).__name__)
                # what it encrypted in memory was not stored: back to the database's state
                with contextlib.suppress(Exception):
                    await self.db.run(rollback.reload, self.core)
                if not told:
                    what = DISK_FULL if isinstance(exc, HistoryDiskFull) else STORAGE
                    self.emit(ev.EngineError(sentence(exc), what))
                    told = True
                await asyncio.sleep(self.options.storage_retry_max_s)

    def _token_removed(self) -> None:
        if not self.closing and self._watching:  # not turned off since it was scheduled
            self._request_lock(LockReason.TOKEN_REMOVED)

    # --- running jobs ----------------------------------------------------------------------

    async def act(self, fn: Callable[..., Effects], *args: Any) -> None:
        """Run ``fn(core, *args)`` on the database thread and act on its effects."""
        await self.after(await self.db.run(fn, self.core, *args))

    async def batched(self, job: Callable[[], T]) -> T:
        """Run ``job`` on the database thread together with the sends queued meanwhile,
        all in one transaction: one commit (one fsync) for a burst of messages."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._sends.append((job, future))
        if self._sender is None or self._sender.done():
            self._sender = self.spawn(self._drain_sends())
        result: T = await future
        return result

    async def _drain_sends(self) -> None:
        while self._sends:
            jobs, self._sends = self._sends, []
            try:
                results = await self.db.run(sending.run_together, self.core, [j for j, _ in jobs])
            except BaseException as exc:
                for _, future in jobs:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else EngineLocked())
                raise
            for (_, future), result in zip(jobs, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def after(self, effects: Effects) -> None:
        """Act on what a committed job changed: events, wake-ups, refreshes, locking."""
        for event in effects.events:
            self.emit(event)
        if self.closing:
            return
        if effects.envelopes:
            self.wake.flush.set()
        if effects.composing:
            self.wake.compose.set()
        for identity_id in effects.refresh:
            if identity_id not in self._refreshing:
                self.spawn(self.refresh(identity_id))
        if effects.lock is not None:
            self._request_lock(effects.lock)
        for message in effects.verification:
            await self.verification.receive(message)

    # --- relay callbacks -------------------------------------------------------------------

    def _on_status(self, status: LinkStatus) -> None:
        if self.closing:
            return
        self.emit(ev.ConnectionChanged(status))
        if status.state is LinkState.ONLINE:
            self.wake.flush.set()
            self.wake.compose.set()

    async def _on_online(self, keys: KeyStatus) -> None:
        if self.closing:
            return
        self.wake.flush.set()
        self.wake.compose.set()
        await self._top_up_keys(keys)
        await self._top_up_pq_keys()
        await self.refresh(self.core.own_id)

    async def _top_up_keys(self, keys: KeyStatus) -> None:
        core = self.core
        upload = await self.db.run(
            core.prepare_keys, keys.one_time_keys_left, not keys.has_fallback_key
        )
        if upload is None:
            return
        one_time, fallback = to_wire(upload)
        try:
            await self.relay.publish_keys(one_time, fallback)
        except (RelayUnavailable, RelayRefused) as exc:
            log.info("publishing one-time keys failed: %s", type(exc).__name__)
            return
        await self.db.run(core.keys_published)

    async def _top_up_pq_keys(self) -> None:
        """The same for ML-KEM prekeys; an empty publish asks the relay for the count."""
        core = self.core
        try:
            status = await self.relay.publish_pq_keys([], None)
            keys = await self.db.run(
                core.prepare_pq_keys, status.one_time_keys_left, not status.has_fallback_key
            )
            if not keys:
                return
            one_time, last_resort = pq_to_wire(keys)
            await self.relay.publish_pq_keys(one_time, last_resort)
        except (RelayUnavailable, RelayRefused) as exc:
            log.info("publishing post-quantum prekeys failed: %s", type(exc).__name__)
            return
        await self.db.run(core.pq_keys_published)
        if self.upgrade_post_quantum is not None:
            self.spawn(self.upgrade_post_quantum())  # nothing to do once the head states it

    async def _on_deliver(self, batch: Sequence[Incoming]) -> None:
        """Store and commit, then acknowledge; senders we do not know yet are looked up."""
        if self.closing:
            return
        result = await self._store(list(batch), False)
        if result is None:
            return
        await self.after(result.effects)
        await self._ack(result.ack)
        for identity_id, held in result.unknown.items():
            if self.closing:
                return
            await self.refresh(identity_id, stranger=True)
            retried = await self._store(held, True)
            if retried is None:
                return
            await self.after(retried.effects)
            await self._ack(retried.ack)

    async def _store(self, batch: list[Incoming], retrying: bool) -> inbox.InboxResult | None:
        """The batch committed, waiting (paused) while the history cannot be written."""

        async def job() -> inbox.InboxResult:
            return await self.db.run(inbox.process, self.core, batch, retrying=retrying)

        return await self.receiving.run(job)

    async def _ack(self, queue_ids: list[int]) -> None:
        for i in range(0, len(queue_ids), MAX_ITEMS):
            try:
                await self.relay.ack(queue_ids[i : i + MAX_ITEMS])
            except (RelayUnavailable, RelayRefused):
                return  # delivered again later; the duplicate is recognised and acknowledged

    # --- identity chains -------------------------------------------------------------------

    async def refresh(self, identity_id: bytes, *, stranger: bool = False) -> ChainUpdate | None:
        """Fetch what is new in someone's chain (ours too) and take it in; one at a time.

        ``stranger``: they wrote to us; if we do not know them yet they become a
        message request, not a contact."""
        running = self._refreshing.get(identity_id)
        if running is None:
            running = asyncio.get_running_loop().create_task(self._refresh(identity_id, stranger))
            self._refreshing[identity_id] = running
            running.add_done_callback(lambda _: self._refreshing.pop(identity_id, None))
        return await asyncio.shield(running)

    async def _refresh(self, identity_id: bytes, stranger: bool = False) -> ChainUpdate | None:
        core = self.core
        pinned = await self.db.run(core.book.get, identity_id)
        try:
            raw = await self.relay.fetch_identity(
                identity_id, pinned.version if pinned is not None else -1
            )
        except (RelayUnavailable, RelayRefused) as exc:
            log.info("could not fetch an identity chain: %s", type(exc).__name__)
            return None
        if not raw:
            return None
        try:
            docs = decode_documents(raw)
            if identity_id == core.own_id:
                update = await self.db.run(self.accept_own, docs)
            else:
                update = await self.db.run(
                    core.book.accept, core.repo, docs, self.env.now_s(), self.env.now_ms(),
                    expected=identity_id, request=stranger,
                )  # fmt: skip
        except KeyboundError as exc:
            self.emit(ev.EngineError(sentence(exc), "identity"))
            if isinstance(exc, IdentityFork | IdentityRollback) and identity_id != core.own_id:
                await self.identity_alert(identity_id, identity_alerts.ATTACK, sentence(exc))
            return None
        await self.chain_events(update)
        return update

    async def identity_alert(self, identity_id: bytes, kind: str, detail: str) -> None:
        """Record an alert for the contact's banner (``identity_alerts``) and tell the UI."""
        alert = await self.db.run(identity_alerts.record, self.core, identity_id, kind, detail)
        self.emit(ev.IdentityAlertChanged(identity_id, alert))
        if kind != identity_alerts.ATTACK:
            return  # the chain change was told already
        try:
            info = await self.db.run(contacts.contact_info, self.core, identity_id)
        except KeyboundError:
            return
        self.emit(ev.ContactChanged(info, needs_reverification=info.needs_reverification))

    def accept_own(self, docs: Sequence[SignedDocument]) -> ChainUpdate:
        """Database thread: take in our own chain as it grew."""
        core = self.core
        return core.book.accept(
            core.repo, docs, self.env.now_s(), self.env.now_ms(), expected=core.own_id,
            is_self=True,
        )  # fmt: skip

    async def chain_events(self, update: ChainUpdate) -> None:
        """Tell the UI, and react: a new device of ours gets our contacts; ours removed locks."""
        if not update.changed:
            return
        core = self.core
        own = update.identity_id == core.own_id
        for device_id in update.added_devices:
            if device_id != core.device_id:
                self.emit(ev.DeviceAdded(update.identity_id, device_id, own))
        for device_id in update.removed_devices:
            self.emit(ev.DeviceRemoved(update.identity_id, device_id, own))
        if own:
            if core.device_id in update.removed_devices:
                self._request_lock(LockReason.DEVICE_REMOVED)
                return
            if update.added_devices and not update.is_new:
                await self.act(actions.announce_devices, True)
            self.wake.publish.set()
            return
        try:
            info = await self.db.run(contacts.contact_info, core, update.identity_id)
        except KeyboundError:
            return
        if update.is_new and await self.db.run(requests.is_request, core, update.identity_id):
            self.emit(ev.MessageRequestReceived(update.identity_id))
        elif update.is_new:
            self.emit(ev.ContactAdded(info))
        else:
            self.emit(ev.ContactChanged(info, needs_reverification=update.tokens_changed))
            if update.tokens_changed:
                await self.identity_alert(update.identity_id, identity_alerts.CHANGED, "")
        self.wake.compose.set()

    # --- background tasks ---------------------------------------------------------------------

    async def _expire_forever(self) -> None:
        while True:
            await self.after(await self.db.run(self.core.expire))
            await asyncio.sleep(self.options.expiry_interval_s)

    async def _publish_forever(self) -> None:
        """Keep the relay's copy of our chain current (it is how we log in)."""
        core, db = self.core, self.db
        while True:
            await wait(self.wake.publish, None)
            while True:
                docs = await db.run(core.book.documents, core.own_id)
                published = await db.run(core.get_setting, cfg.PUBLISHED_VERSION, -1)
                if not docs or docs[-1].version <= published:
                    break
                try:
                    await self.relay.publish_identity([encode_document(d) for d in docs])
                except (RelayUnavailable, RelayRefused) as exc:
                    log.info("publishing our identity failed: %s", type(exc).__name__)
                    await asyncio.sleep(self.options.publish_retry_s)
                    continue
                await db.run(core.set_setting, cfg.PUBLISHED_VERSION, docs[-1].version)

    async def _keys_forever(self) -> None:
        """Contacts use up our one-time keys while we stay connected: look now and then."""
        while True:
            await asyncio.sleep(self.options.key_check_s)
            if self.online:
                try:
                    status = await self.relay.publish_keys([], None)  # just the counts
                except (RelayUnavailable, RelayRefused):
                    continue
                await self._top_up_keys(status)

    async def _idle_watch(self) -> None:
        while True:
            await asyncio.sleep(self.options.idle_check_s)
            idle = self.core.settings.idle_lock_seconds
            if idle > 0 and self.env.now_ms() - self._last_activity() >= idle * 1000:
                self._request_lock(LockReason.IDLE)
                return
