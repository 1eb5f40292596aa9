"""Getting queued messages to the relay: the flusher and the composer tasks.

The **flusher** reads the outbox in order and sends what may go
(``outbox.sendable``) in frames under the relay's limits; an envelope leaves
the outbox only when the relay answered ``sent`` (it stored it durably).  A
refusal is pinned on the envelope(s) it concerns and settled by
``outbox.outcome``: retried with backoff, dropped, or failed with a reason.

The **composer** empties the compose queue: it fetches the chains of
recipients we do not know yet, claims one-time keys for devices without an
Olm session, opens the sessions and encrypts, in queue order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from keybound.client import events as ev
from keybound.client import rollback
from keybound.client.aio import sentence, wait
from keybound.client.core import Core, Effects
from keybound.client.dbthread import DbThread
from keybound.client.env import Environment
from keybound.client.identities import ChainUpdate
from keybound.client.keys import addresses, pair_claimed, pair_claimed_pq
from keybound.client.link import RelayLink
from keybound.client.options import Options
from keybound.client.outbox import Outcome, QueuedEnvelope, batches, outcome, sendable
from keybound.errors import HistoryError, RelayRefused, RelayUnavailable, UserFacingError
from keybound.wire.frames import MAX_ITEMS, DeviceAddress, ErrorCode
from keybound.wire.frames import Outgoing as WireOutgoing


class _Wakeups(Protocol):
    flush: asyncio.Event
    compose: asyncio.Event


class Sender(Protocol):
    """What sending needs of the session.

    A protocol rather than an import of :class:`keybound.client.session.Session`
    (which has all of it), so that the session may import this module.
    """

    core: Core
    db: DbThread
    env: Environment
    options: Options

    @property
    def wake(self) -> _Wakeups: ...

    def emit(self, event: ev.Event, /) -> None: ...

    @property
    def relay(self) -> RelayLink: ...

    @property
    def online(self) -> bool: ...

    async def after(self, effects: Effects) -> None: ...

    async def refresh(
        self, identity_id: bytes, *, stranger: bool = False
    ) -> ChainUpdate | None: ...


_WHOLE_BATCH_RETRY = {ErrorCode.RATE_LIMITED, ErrorCode.UNAVAILABLE, ErrorCode.INTERNAL}


def run_together(core: Core, jobs: Sequence[Callable[[], Any]]) -> list[Any]:
    """Database thread: all jobs in one transaction.  A job refused for a reason a
    person can meet (no such conversation, not a member) raises before it writes
    anything, so its error is its result; anything else rolls the whole batch back.
    (No savepoint per job: FTS5 writes an index segment at every savepoint.)"""
    results: list[Any] = []
    try:
        with core.db.transaction():
            for job in jobs:
                try:
                    results.append(job())
                except UserFacingError as exc:
                    if isinstance(exc, HistoryError):
                        raise
                    results.append(exc)
    except BaseException:
        # the ratchets moved for envelopes that were never stored: back to the database
        with contextlib.suppress(Exception):
            rollback.reload(core)
        raise
    return results


# --- the flusher ----------------------------------------------------------------------------


async def flush_forever(session: Sender) -> None:
    """Send the outbox in order; mark envelopes sent only after the relay's ``sent``."""
    core, db = session.core, session.db
    timeout: float | None = None
    while True:
        await wait(session.wake.flush, timeout)
        timeout = None
        if not session.online:
            continue  # woken when the link is back
        while True:
            ready = sendable(await db.run(core.pending), session.env.now_ms())
            if not ready or not await _send(session, ready):
                break
        next_at = await db.run(core.next_attempt_at)
        if next_at is not None:
            timeout = max(0.05, (next_at - session.env.now_ms()) / 1000)


async def _send(session: Sender, ready: list[QueuedEnvelope]) -> bool:
    """False when the relay became unreachable (wait for it to come back)."""
    for batch in batches(ready):
        try:
            await session.relay.send([WireOutgoing(e.recipient, e.payload) for e in batch])
        except RelayUnavailable:
            return False
        except RelayRefused as exc:
            await _refused(session, batch, exc)
            return True  # read the queue again: what was settled changed the plan
        await session.after(await session.db.run(session.core.settle, sent=batch))
    return True


async def _refused(session: Sender, batch: list[QueuedEnvelope], exc: RelayRefused) -> None:
    """Find out which envelopes the relay refuses, and settle each."""
    now = session.env.now_ms()
    if exc.code in _WHOLE_BATCH_RETRY:
        policy = session.options.backoff
        delay = exc.retry_after_ms or policy.delay_ms(
            min(e.attempts for e in batch), _unit(session)
        )
        retry = [(e, now + delay, str(exc)) for e in batch]
        await session.after(await session.db.run(session.core.settle, retry=retry))
        return
    if exc.device is not None:
        address = DeviceAddress(*exc.device)
        culprits = [e for e in batch if e.recipient == address]
        if culprits:
            await _settle_refused(session, culprits, exc.code, now)
            return
    if len(batch) == 1:
        await _settle_refused(session, batch, exc.code, now)
        return
    for env in batch:  # the relay did not say which: try them one by one
        try:
            await session.relay.send([WireOutgoing(env.recipient, env.payload)])
        except RelayRefused as single:
            await _settle_refused(session, [env], single.code, now)
        else:
            await session.after(await session.db.run(session.core.settle, sent=[env]))


async def _settle_refused(
    session: Sender, envelopes: list[QueuedEnvelope], code: str, now: int
) -> None:
    policy = session.options.backoff
    dropped, retry, failed = [], [], []
    for env in envelopes:
        decision = outcome(code, env, now, policy)
        if decision.outcome is Outcome.DROP:
            dropped.append(env)
        elif decision.outcome is Outcome.RETRY:
            retry.append(
                (env, now + policy.delay_ms(env.attempts, _unit(session)), decision.reason)
            )
        else:
            failed.append((env, decision.reason))
    effects = await session.db.run(session.core.settle, dropped=dropped, retry=retry, failed=failed)
    await session.after(effects)


def _unit(session: Sender) -> float:
    """A random number in [0, 1) for jitter, from the session's injectable random source."""
    return int.from_bytes(session.env.random(4), "big") / 2**32


# --- the composer ----------------------------------------------------------------------------


async def compose_forever(session: Sender) -> None:
    """Fetch unknown recipients' chains, claim keys for devices without a session,
    then encrypt the compose queue in order."""
    core, db = session.core, session.db
    while True:
        await wait(session.wake.compose, None)
        try:
            strangers = await db.run(core.backlog_strangers)
            if strangers and not session.online:
                continue  # woken again once online
            for identity_id in strangers:
                await session.refresh(identity_id)
            devices = await db.run(core.backlog_devices)
            if devices and not session.online:
                continue
            unreachable: set[tuple[bytes, bytes]] = set()
            for i in range(0, len(devices), MAX_ITEMS):
                chunk = devices[i : i + MAX_ITEMS]
                claimed = await session.relay.claim_keys(addresses(chunk))
                pairs, missing = pair_claimed(chunk, claimed)
                pq_claimed = await session.relay.claim_pq_keys(addresses(chunk))
                pq_keys = pair_claimed_pq(chunk, pq_claimed)
                errors, refused = await db.run(core.start_sessions, pairs, pq_keys)
                for reason in errors:
                    session.emit(ev.EngineError(reason, "session"))
                unreachable |= missing | refused
            await session.after(await db.run(core.encrypt_backlog, unreachable))
        except RelayUnavailable:
            continue
        except RelayRefused as exc:
            session.emit(ev.EngineError(sentence(exc), "claim_keys"))
