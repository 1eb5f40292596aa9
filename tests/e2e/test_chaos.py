"""Chaos: 2,000 messages each way while the relay and the people's processes are
SIGKILLed at random moments and restarted; afterwards every message is in both
histories exactly once, in each sender's order.

Each person is a `keybound listen` process holding the profile; the test sends
through its daemon socket (the same requests as `keybound send`), resuming after
a kill from what the sender's own history says was durably queued.  The
schedule is seeded: the seed is printed, and ``KEYBOUND_CHAOS_SEED=N`` replays
it (``KEYBOUND_CHAOS_MESSAGES`` changes the count, e.g. for a quick local run).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from keybound.client.daemon import DaemonClient, DaemonUnavailable
from keybound.errors import DaemonRequestFailed
from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .people import Person, befriend, make_person

pytestmark = pytest.mark.integration

COUNT = int(os.environ.get("KEYBOUND_CHAOS_MESSAGES", "2000"))
KILLS = int(os.environ.get("KEYBOUND_CHAOS_KILLS", "10"))


@dataclass
class Side:
    person: Person
    peer: Person
    prefix: str
    queued: int = 0
    restarts: int = 0
    log: list[str] = field(default_factory=list)

    def body(self, i: int) -> str:
        return f"{self.prefix}:{i:05d}"


@pytest.mark.timeout(420)
def test_chaos_nothing_lost_nothing_twice_order_kept(
    relay_factory,
    virtual_card: CardFactory,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    seed = int(os.environ.get("KEYBOUND_CHAOS_SEED", str(random.SystemRandom().randrange(2**32))))
    print(f"\nchaos seed {seed} (replay with KEYBOUND_CHAOS_SEED={seed})")
    rng = random.Random(seed)
    relay: RelayProcess = relay_factory()
    alice = make_person("alice", tmp_path, virtual_card, slot=2)
    bob = make_person("bob", tmp_path, virtual_card, slot=4)
    alice.init(relay.url)
    bob.init(relay.url)
    befriend(alice, bob)
    sides = [Side(alice, bob, "A"), Side(bob, alice, "B")]
    try:
        for side in sides:
            side.person.listen()
        started = time.monotonic()
        asyncio.run(asyncio.wait_for(_chaos(sides, relay, rng), 360))
        print(f"chaos phase: {time.monotonic() - started:.1f} s, "
              f"restarts {[s.restarts for s in sides]}")  # fmt: skip
    finally:
        for side in sides:
            side.person.stop_listeners()

    # the verdict, through the command line (each person's own process, direct)
    for side in sides:
        history = side.person.history(side.peer.name, 4 * COUNT + 10)
        theirs = [m["body"] for m in history if not m["outgoing"]]
        mine = [m["body"] for m in history if m["outgoing"]]
        other = next(s for s in sides if s is not side)
        assert theirs == [other.body(i) for i in range(COUNT)], _diff(theirs, other, seed)
        assert mine == [side.body(i) for i in range(COUNT)], _diff(mine, side, seed)
        assert all(m["status"] in ("sent", "delivered", "read") for m in history if m["outgoing"])


async def _chaos(sides: list[Side], relay: RelayProcess, rng: random.Random) -> None:
    senders = [asyncio.create_task(_send_all(side)) for side in sides]
    kills = 0
    while kills < KILLS or not all(t.done() for t in senders):
        await asyncio.sleep(rng.uniform(0.3, 2.0))
        for t in senders:
            if t.done() and t.exception() is not None:
                raise t.exception()  # type: ignore[misc]
        if kills >= KILLS:
            continue
        kills += 1
        victim = rng.choice(["relay", "alice", "bob"])
        down = rng.uniform(0.1, 1.5)
        if victim == "relay":
            relay.kill()
            await asyncio.sleep(down)
            await asyncio.to_thread(relay.start)
        else:
            side = next(s for s in sides if s.person.name == victim)
            for listener in side.person.listeners:
                listener.kill()
            side.person.listeners.clear()
            await asyncio.sleep(down)
            side.restarts += 1
            await asyncio.to_thread(side.person.listen)
    await asyncio.gather(*senders)
    await _converge(sides, 150)


async def _client(person: Person) -> DaemonClient:
    deadline = time.monotonic() + 60
    while True:
        try:
            return await DaemonClient.connect(person.profile)
        except DaemonUnavailable:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def _history(client: DaemonClient, side: Side) -> list[dict[str, object]]:
    result = await client.call("history", {"with": side.peer.name, "limit": 4 * COUNT + 10})
    assert isinstance(result, list)
    return result


async def _resume(client: DaemonClient, side: Side) -> int:
    """How many of our messages are durably queued: the outbox is in our own history."""
    mine = [str(m["body"]) for m in await _history(client, side) if m["outgoing"]]
    assert mine == [side.body(i) for i in range(len(mine))], "own history out of order"
    return len(mine)


async def _send_all(side: Side) -> None:
    while side.queued < COUNT:
        client = await _client(side.person)
        try:
            side.queued = await _resume(client, side)
            while side.queued < COUNT:
                text = side.body(side.queued)
                await client.call("send", {"to": side.peer.name, "text": text, "timeout": 0})
                side.queued += 1
        except (DaemonUnavailable, DaemonRequestFailed, ConnectionError) as exc:
            side.log.append(f"{side.queued}: {type(exc).__name__}: {exc}")
            await asyncio.sleep(0.1)
        finally:
            await client.close()


async def _converge(sides: list[Side], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: dict[str, int] = {}
    while True:
        done = True
        for side in sides:
            try:
                client = await _client(side.person)
                try:
                    history = await _history(client, side)
                finally:
                    await client.close()
            except (DaemonUnavailable, DaemonRequestFailed):
                done = False
                continue
            last[side.prefix] = sum(1 for m in history if not m["outgoing"])
            pending = [m for m in history if m["outgoing"] and m["status"] == "sending"]
            done = done and last[side.prefix] >= COUNT and not pending
        if done:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not converged: received {last}; logs {[s.log for s in sides]}")
        await asyncio.sleep(1.0)


def _diff(got: list[str], side: Side, seed: int) -> str:
    want = [side.body(i) for i in range(COUNT)]
    seen: set[str] = set()
    dups = sorted({b for b in got if b in seen or seen.add(b)})  # type: ignore[func-returns-value]
    missing = sorted(set(want) - set(got))
    first_bad = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
    return (
        f"seed {seed}: {len(got)} of {COUNT} from {side.prefix}; duplicates {dups[:10]}, "
        f"missing {missing[:10]}, first out of order at {first_bad}"
    )
