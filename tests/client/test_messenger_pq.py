"""The hybrid layer through the whole engine: two Messengers, real relay, real SQLCipher.

Spies wrap the real Olm and PQ code (they record, then call through) so the
test can name the exact Olm ciphertexts and look for them in the relay's files.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from keybound.client import account
from keybound.client.values import MessageStatus
from keybound.identity.document import PQ_HYBRID_V1, decode_document
from keybound.protocol.envelope import Envelope, Scheme
from keybound.protocol.machine import Incoming, Machine, Received
from keybound.protocol.olm import OlmAccount
from keybound.protocol.pq.layer import PqLayer
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import befriend, create, people, run, texts, until


def spy(
    monkeypatch: pytest.MonkeyPatch, cls: type, name: str, record: Callable[[Any], None]
) -> None:
    real = getattr(cls, name)

    def wrapper(*args: Any, **kw: Any) -> Any:
        result = real(*args, **kw)
        record(result)
        return result

    monkeypatch.setattr(cls, name, wrapper)


def queued_payloads(relay: RelayProcess) -> tuple[list[bytes], bytes]:
    """What the relay's SQLite files hold: the queued payloads, and every byte on disk."""
    db = relay.data / "relay.sqlite3"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        payloads = [bytes(p) for (p,) in conn.execute("SELECT payload FROM queue")]
    raw = b"".join(p.read_bytes() for p in relay.data.glob("relay.sqlite3*") if p.is_file())
    return payloads, raw


def test_the_relay_stores_no_olm_ciphertext_and_sessions_survive_a_restart(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    olm_bodies: list[bytes] = []
    pq_starts: list[object] = []
    pq_received: list[bool] = []
    spy(monkeypatch, OlmAccount, "encrypt", lambda r: olm_bodies.append(r[1]))
    spy(monkeypatch, PqLayer, "start", pq_starts.append)

    def note(result: Incoming) -> None:
        pq_received.extend(e.pq for e in result.events if isinstance(e, Received))

    spy(monkeypatch, Machine, "decrypt", note)

    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            a_conv, b_conv = await befriend(alice, bob)
            assert all(d.post_quantum for d in await alice.m.devices())
            await bob.close()  # what Alice sends now waits on the relay
            before = len(olm_bodies)
            mid = await alice.m.send_text(a_conv, "harvest me if you can")
            await alice.m.wait_status(mid, MessageStatus.SENT, 15)
            sent = olm_bodies[before:]
            assert sent
            payloads, raw = queued_payloads(shared_relay)
            assert payloads and all(Envelope.decode(p).scheme is Scheme.OLM_PQ for p in payloads)
            for body in sent:
                assert body not in raw  # no Olm ciphertext in clear form on the relay's disk
            assert b"harvest me" not in raw
            starts = len(pq_starts)
            await alice.close()
            await bob.open()
            await alice.open()
            await until(lambda: texts(bob, b_conv), what="bob receives after the restart")
            assert await texts(bob, b_conv) == ["harvest me if you can"]
            reply = await bob.m.send_text(b_conv, "read it")
            await until(lambda: alice.m.message(reply), what="alice receives the reply")
            assert len(pq_starts) == starts  # the stored outer sessions carried on
            assert pq_received and all(pq_received)

    run(scenario())


def test_a_device_from_before_the_layer_states_it_once_it_publishes_pq_keys(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(account, "PQ_HYBRID_V1", 0)  # certificates as before the layer

    async def scenario() -> None:
        old = await create(tmp_path, "old", shared_relay.url, worker)
        monkeypatch.undo()
        try:

            async def upgraded() -> bool:
                return all(d.post_quantum for d in await old.m.devices())

            await until(upgraded, what="the certificate states the layer")
            assert await old.m.upgrade_post_quantum() is False  # nothing left to do

            async def published() -> list[int]:
                """The device's capability in each document of the chain the relay holds."""
                db = shared_relay.data / "relay.sqlite3"
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                    rows = conn.execute(
                        "SELECT document FROM chain_documents WHERE identity_id = ?"
                        " ORDER BY version",
                        (old.m.identity_id,),
                    ).fetchall()
                chain = [decode_document(bytes(r[0])) for r in rows]
                pq = [
                    next(d.pq for d in doc.body.devices if d.device_id == old.m.device_id)
                    for doc in chain
                ]
                return pq if pq and pq[-1] == PQ_HYBRID_V1 else []

            pq = await until(published, what="the relay holds the upgraded chain")
            assert pq[0] == 0  # made without it, signed in later
            async with people(tmp_path, shared_relay.url, worker, "bob") as bob:
                o_conv, b_conv = await befriend(old, bob)
                mid = await bob.m.send_text(b_conv, "hybrid now")
                await until(lambda: texts(old, o_conv), what="the old device receives")
                assert await bob.m.wait_status(mid, MessageStatus.DELIVERED, 15)
        finally:
            await old.close()

    run(scenario())
