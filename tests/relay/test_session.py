"""The session without sockets: bytes in, frames out, real SQLite storage."""

from __future__ import annotations

import asyncio
from pathlib import Path

from keybound.relay.config import RelayConfig
from keybound.relay.core import RelayCore
from keybound.relay.session import CLOSE_GOING_AWAY, Session
from keybound.relay.storage.base import Limits, QueuedMessage
from keybound.relay.storage.sqlite import SqliteStorage
from keybound.wire import frames as f
from tests.helpers.relay_process import Person, send


class Recorder:
    """A transport that keeps what the session sends."""

    def __init__(self) -> None:
        self.frames: list[f.Envelope] = []
        self.closed: tuple[int, str] | None = None

    async def send(self, data: bytes) -> None:
        self.frames.append(f.decode_frame(data))

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def replies(self) -> dict[int, f.Frame]:
        return {e.request_id: e.body for e in self.frames if e.request_id}


async def _login(core: RelayCore, person: Person) -> tuple[Session, Recorder]:
    transport = Recorder()
    session = Session(core, transport, "192.0.2.1")
    challenge = f.body_as(f.decode_frame(session.hello()), f.Challenge)
    await session.handle(f.encode_frame(1, f.PublishIdentity(person.chain())))
    await session.handle(f.encode_frame(2, person.device.answer(challenge)))
    assert isinstance(transport.replies()[2], f.Authenticated)
    return session, transport


def test_pipelined_sends_are_stored_in_order_in_few_commits(tmp_path: Path) -> None:
    async def scenario() -> None:
        storage = SqliteStorage(tmp_path / "relay.db")
        core = RelayCore(storage, RelayConfig(name="relay.test"))
        await core.start()
        alice, bob = Person(), Person()
        sender, out = await _login(core, alice)
        await _login(core, bob)
        commits = storage.commit_count
        for i in range(100):  # as fast as frames arrive; none waits for its commit
            await sender.handle(f.encode_frame(10 + i, send(bob.device, b"%03d" % i)))
        while len(out.replies()) < 102:
            await asyncio.sleep(0.01)
        assert all(out.replies()[10 + i] == f.Sent(1) for i in range(100))
        assert storage.commit_count - commits < 50  # batches, not one commit per send
        queued = await storage.fetch(bob.device.address, 0, 200)
        assert [m.payload for m in queued] == [b"%03d" % i for i in range(100)]
        await core.close()

    asyncio.run(scenario())


def test_drain_answers_the_send_in_hand_before_closing(tmp_path: Path) -> None:
    async def scenario() -> None:
        core = RelayCore(SqliteStorage(tmp_path / "relay.db"), RelayConfig(name="relay.test"))
        await core.start()
        alice, bob = Person(), Person()
        session, out = await _login(core, alice)
        await _login(core, bob)
        await session.handle(f.encode_frame(7, send(bob.device, b"last words")))
        await session.drain()  # the send's write may still be in flight
        for _ in range(200):
            if out.closed:
                break
            await asyncio.sleep(0.01)
        assert out.replies()[7] == f.Sent(1)
        assert out.closed == (CLOSE_GOING_AWAY, "relay shutting down")
        assert out.frames[-1].body == f.Sent(1)  # nothing after the close
        await core.close()

    asyncio.run(scenario())


def test_overlapping_batches_keep_order_when_some_sends_are_refused(tmp_path: Path) -> None:
    """Several batches of one sender are in flight at once (SQLite keeps their
    order): a send refused in the middle leaves the others stored in order."""

    async def scenario() -> None:
        limits = Limits(max_queue_messages=200)
        storage = SqliteStorage(tmp_path / "relay.db", limits)
        core = RelayCore(storage, RelayConfig(name="relay.test", storage=limits))
        await core.start()
        alice, bob, carol = Person(), Person(), Person()
        sender, out = await _login(core, alice)
        await _login(core, bob)
        await _login(core, carol)
        await storage.enqueue(
            carol.device.address, [QueuedMessage(bob.device.address, b"x")] * 195, 0
        )
        for i in range(100):  # every tenth also goes to Bob, who has room for five
            to_bob = f.Outgoing(bob.device.address, b"%03d" % i)
            to_carol = f.Outgoing(carol.device.address, b"%03d" % i)
            body = f.Send((to_carol, to_bob) if i % 10 == 0 else (to_carol,))
            await sender.handle(f.encode_frame(10 + i, body))
        while len(out.replies()) < 102:
            await asyncio.sleep(0.01)
        replies = [out.replies()[10 + i] for i in range(100)]
        refused = [i for i, r in enumerate(replies) if isinstance(r, f.Error)]
        assert refused == [50, 60, 70, 80, 90]
        assert all(replies[i] == f.Sent(1 + (i % 10 == 0)) for i in range(100) if i not in refused)
        queued = await storage.fetch(carol.device.address, 0, 200)
        assert [m.payload for m in queued] == [b"%03d" % i for i in range(100) if i not in refused]
        to_bob_stored = [m.payload for m in await storage.fetch(bob.device.address, 0, 300)]
        assert to_bob_stored[195:] == [b"%03d" % i for i in range(0, 100, 10) if i not in refused]
        await core.close()

    asyncio.run(scenario())
