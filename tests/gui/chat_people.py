"""Two people for the chat view tests: real Messengers, a real relay process, bridges.

``chat_relay`` (module scope) is one relay process and one token thread for
a test module.  The people themselves live inside one test's coroutine
(``async with people(chat_relay) as pair``): pytest-qt processes Qt events
between tests, outside the asyncio loop, and engine tasks must not be woken
there.  ``bulk_history`` writes a long history straight through the store's
bulk path (what a backup restore does), so a test can scroll through
thousands of messages without sending each one through the relay.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from keybound.client.messenger import Messenger
from keybound.gui.bridge import Bridge
from keybound.store.models import (
    Conversation,
    ConversationKind,
    Message,
    MessageStatus,
    new_message_id,
)
from keybound.token.worker import TokenWorker
from tests.client.harness import Someone, befriend, create
from tests.helpers.relay_process import RelayProcess


@dataclass
class ChatRelay:
    relay: RelayProcess
    worker: TokenWorker
    tmp: Path


@dataclass
class Pair:
    alice: Someone
    bob: Someone
    a_bridge: Bridge
    b_bridge: Bridge
    a_conv: bytes  # Alice's direct conversation with Bob
    b_conv: bytes  # Bob's with Alice
    tmp: Path
    # with ``people(..., carol=True)``: Carol, introduced to Alice only (Bob meets her in a group)
    carol: Someone | None = None
    c_bridge: Bridge | None = None
    ac_conv: bytes = b""  # Alice's direct conversation with Carol
    c_conv: bytes = b""  # Carol's with Alice


@pytest.fixture(scope="module")
def chat_relay(qapp: QApplication, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChatRelay]:
    qapp.setQuitOnLastWindowClosed(False)  # closing a test's window must not stop the loop
    tmp = tmp_path_factory.mktemp("chat")
    relay = RelayProcess(tmp / "relay").start()
    worker = TokenWorker()
    yield ChatRelay(relay, worker, tmp)
    worker.stop()
    relay.kill()


@contextlib.asynccontextmanager
async def people(
    ctx: ChatRelay, tag: str, *, introduced: bool = True, carol: bool = False
) -> AsyncIterator[Pair]:
    """Alice and Bob, introduced, each with a Bridge (and Carol, if asked for, who knows
    only Alice); closed again afterwards.

    ``introduced=False``: Alice and Bob are strangers to each other (no conversation IDs)."""
    tmp = ctx.tmp / tag
    tmp.mkdir()
    alice = await create(tmp, "alice", ctx.relay.url, ctx.worker)
    bob = await create(tmp, "bob", ctx.relay.url, ctx.worker)
    third = await create(tmp, "carol", ctx.relay.url, ctx.worker) if carol else None
    a_bridge, b_bridge = Bridge(), Bridge()
    c_bridge = Bridge() if third is not None else None
    try:
        a_conv, b_conv = await befriend(alice, bob) if introduced else (b"", b"")
        pair = Pair(alice, bob, a_bridge, b_bridge, a_conv, b_conv, tmp)
        if third is not None and c_bridge is not None:
            pair.ac_conv, pair.c_conv = await befriend(alice, third)
            pair.carol, pair.c_bridge = third, c_bridge
            c_bridge.attach(third.m)
        a_bridge.attach(alice.m)
        b_bridge.attach(bob.m)
        yield pair
    finally:
        for bridge in (a_bridge, b_bridge, c_bridge):
            if bridge is not None:
                await bridge.shutdown()
        for person in (alice, bob, third):
            if person is not None:
                await person.close()


async def bulk_history(
    messenger: Messenger, conversation_id: bytes, peer: bytes, count: int, start_ms: int
) -> list[bytes]:
    """Write ``count`` old messages (a minute apart, every third one ours) in bulk; their IDs."""
    session = messenger._need()  # the test reaches below the facade on purpose
    own = messenger.identity_id
    rows = []
    for i in range(count):
        at = start_ms + i * 60_000
        mine = i % 3 == 0
        rows.append(
            Message(
                new_message_id(at), conversation_id, own if mine else peer,
                secrets.token_bytes(8), mine, at, f"history line {i} word{i % 97}",
                received_at=None if mine else at,
                status=MessageStatus.READ if mine else MessageStatus.RECEIVED,
            )
        )  # fmt: skip
    for start in range(0, count, 1000):
        await session.db.run(session.core.repo.insert_messages, rows[start : start + 1000])
    return [m.message_id for m in rows]


async def bulk_conversations(
    messenger: Messenger, peer: bytes, count: int, start_ms: int
) -> list[bytes]:
    """Write ``count`` groups ("Group N", a minute apart), each with one unread message
    from ``peer``, straight into the store (as :func:`bulk_history`); their IDs."""
    session = messenger._need()  # the test reaches below the facade on purpose
    repo = session.core.repo
    ids = [b"bulk-group-%04d" % i for i in range(count)]

    def write() -> None:
        with repo.db.transaction():
            for i, conv in enumerate(ids):
                at = start_ms + i * 60_000
                repo.upsert_conversation(
                    Conversation(conv, ConversationKind.GROUP, at, f"Group {i}")
                )
                repo.insert_message(
                    Message(
                        new_message_id(at), conv, peer, secrets.token_bytes(8), False, at,
                        f"hello from group {i}", received_at=at,
                    )
                )  # fmt: skip

    await session.db.run(write)
    return ids
