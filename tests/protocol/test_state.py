"""Persistence: every change comes out as a StateChange, and load() continues from them."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keybound.errors import DecryptionFailed, HeaderMismatch, ProtocolStateError
from keybound.protocol.content import Text
from keybound.protocol.machine import Config, Duplicate, Machine, Received
from keybound.protocol.state import StateChange
from tests.protocol.net import PICKLE_KEY, Network, Node

A, B = b"alice", b"bob"
CONV, GROUP = b"direct", b"group"


def reload(net: Network, node: Node) -> None:
    node.machine = Machine.load(
        node.identity, node.device, node.records(), net.lookup, PICKLE_KEY, random=net.random_bytes
    )


def converse(net: Network, a: Node, b: Node, tag: str) -> None:
    net.send(a, CONV, [B], Text(f"{tag} direct a"))
    net.send_group(a, GROUP, [A, B], Text(f"{tag} group a"))
    net.flush()
    net.send(b, CONV, [A], Text(f"{tag} direct b"))
    net.send_group(b, GROUP, [A, B], Text(f"{tag} group b"))
    net.flush()


def test_pickle_store_load_and_continue_the_conversation() -> None:
    net = Network()
    a, b = net.add_device(A, b"a1"), net.add_device(B, b"b1")
    converse(net, a, b, "1")
    keys_before = a.machine.device_keys
    reload(net, a)
    reload(net, b)
    assert a.machine.device_keys == keys_before
    converse(net, a, b, "2")
    # Restarting mid-flight: messages queued for a device survive its restart.
    net.send(a, CONV, [B], Text("3 while b restarts"))
    reload(net, b)
    net.flush()
    assert b.texts == ["1 direct a", "1 group a", "2 direct a", "2 group a", "3 while b restarts"]
    assert a.texts == ["1 direct b", "1 group b", "2 direct b", "2 group b"]
    assert b.errors == [] and a.errors == []
    # No new Olm or Megolm sessions were needed after the restart: same sessions continue.
    sessions = [k for k in a.store if k[0] in ("olm.session", "megolm.outbound")]
    assert len(sessions) == 2


def test_the_store_never_holds_plaintext_or_keys_in_clear() -> None:
    net = Network()
    a, b = net.add_device(A, b"a1"), net.add_device(B, b"b1")
    converse(net, a, b, "secret-marker")
    blob = b"".join(v for node in (a, b) for v in node.store.values())
    assert b"secret-marker" not in blob
    kinds = {k for node in (a, b) for k, _ in node.store}
    assert {"olm.account", "olm.session", "megolm.outbound", "megolm.inbound", "seen"} <= kinds


def test_load_replays_a_change_log_with_deletions() -> None:
    net = Network()
    a, b = net.add_device(A, b"a1"), net.add_device(B, b"b1")
    log: list[StateChange] = [StateChange(k, key, v) for (k, key), v in b.store.items()]
    original = b.apply

    def record(changes: tuple[StateChange, ...] | list[StateChange]) -> None:
        log.extend(changes)
        original(changes)

    b.apply = record  # type: ignore[method-assign]
    converse(net, a, b, "x")
    b.machine = Machine.load(B, b"b1", log, net.lookup, PICKLE_KEY)
    net.send(a, CONV, [B], Text("after replaying the log"))
    net.flush()
    assert b.texts[-1] == "after replaying the log"


def test_wrong_pickle_key_or_damaged_records_are_a_clear_error() -> None:
    net = Network()
    a = net.add_device(A, b"a1")
    with pytest.raises(ProtocolStateError):
        Machine.load(A, b"a1", a.records(), net.lookup, b"q" * 32)
    with pytest.raises(ProtocolStateError):
        Machine.load(A, b"a1", [], net.lookup, PICKLE_KEY)
    damaged = [*a.records(), StateChange("olm.session", b"k" * 40, b"garbage")]
    with pytest.raises(ProtocolStateError):
        Machine.load(A, b"a1", damaged, net.lookup, PICKLE_KEY)
    with pytest.raises(ValueError, match="32 bytes"):
        Machine.create(A, b"a1", net.lookup, b"short")


def test_seen_window_is_bounded_and_survives_reload() -> None:
    net = Network(config=Config(seen_capacity=3))
    a, b = net.add_device(A, b"a1"), net.add_device(B, b"b1")
    outs = [net.send(a, CONV, [B], Text(str(i))) for i in range(5)]
    net.flush()
    assert len([k for k in b.store if k[0] == "seen"]) == 3
    reload(net, b)
    last = next(d.data for d in outs[-1].deliveries if d.device_id == b"b1")
    assert b.receive(last).events == (Duplicate(outs[-1].message_id),)
    assert [e for e in b.events if isinstance(e, Received)][-1].content == Text("4")


GOOD = Network().add_device(A, b"a1")
KINDS = [
    "olm.account",
    "olm.session",
    "megolm.outbound",
    "megolm.inbound",
    "seen",
    "megolm.pending",
]


@settings(max_examples=150)
@given(
    st.lists(
        st.tuples(st.sampled_from(KINDS), st.binary(max_size=48), st.binary(max_size=120)),
        min_size=1,
        max_size=4,
    )
)
def test_garbage_records_are_a_state_error_never_a_crash(
    garbage: list[tuple[str, bytes, bytes]],
) -> None:
    records = [*GOOD.records(), *(StateChange(k, key, v) for k, key, v in garbage)]
    with contextlib.suppress(ProtocolStateError):
        Machine.load(A, b"a1", records, lambda i: [], PICKLE_KEY)


@pytest.mark.parametrize("pq", [False, True])
def test_a_batch_written_once_at_its_end_continues_like_one_written_per_message(pq: bool) -> None:
    """Ratchet records defer their pickles: a transaction keeps the last record per key
    and takes its value at the commit; what it stores continues both conversations, and
    a message rejected inside the batch still leaves the genuine one readable (plain
    Olm rolls its session back; the hybrid layer refuses the edit before Olm)."""
    net = Network()
    a, b = net.add_device(A, b"a1", pq=pq), net.add_device(B, b"b1", pq=pq)
    converse(net, a, b, "1")
    sent: dict[tuple[str, bytes], StateChange] = {}
    received: dict[tuple[str, bytes], StateChange] = {}
    for i in range(30):
        direct = a.machine.encrypt_direct(CONV, [B], Text(f"batch {i}"), net.now)
        group = a.machine.encrypt_group(GROUP, [A, B], Text(f"group {i}"), net.now)
        for out in (direct, group):
            for c in out.changes:
                sent[(c.kind, c.key)] = c
            for d in out.deliveries:
                if d.device_id != b"b1":
                    continue
                if i == 10 and out is direct:  # a relay's edit of the header: rejected
                    with pytest.raises(DecryptionFailed if pq else HeaderMismatch):
                        b.machine.decrypt(_edited_timestamp(d.data))
                result = b.machine.decrypt(d.data)
                b.events += result.events
                for c in result.changes:
                    received[(c.kind, c.key)] = c
        reply = b.machine.encrypt_direct(CONV, [A], Text(f"reply {i}"), net.now)
        for c in reply.changes:  # the same Olm session both ways
            received[(c.kind, c.key)] = c
        for d in reply.deliveries:
            if d.device_id == b"a1":
                result = a.machine.decrypt(d.data)
                a.events += result.events
                for c in result.changes:
                    sent[(c.kind, c.key)] = c
    a.apply(list(sent.values()))  # the two commits, one per side
    b.apply(list(received.values()))
    reload(net, a)
    reload(net, b)
    converse(net, a, b, "2")
    expected = [t for i in range(30) for t in (f"batch {i}", f"group {i}")]
    assert b.texts == ["1 direct a", "1 group a", *expected, "2 direct a", "2 group a"]
    replies = [f"reply {i}" for i in range(30)]
    assert a.texts == ["1 direct b", "1 group b", *replies, "2 direct b", "2 group b"]
    assert a.errors == [] and b.errors == []


def _edited_timestamp(data: bytes) -> bytes:
    from keybound.wire import cbor

    m = cbor.decode_map(data)
    m[4] = 1_700_000_000_000
    return cbor.encode(m)
