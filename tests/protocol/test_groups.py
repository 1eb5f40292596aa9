"""Megolm groups: sharing, rotation, removal, late keys, replays."""

from __future__ import annotations

import contextlib

import pytest

from keybound.errors import (
    DecryptionFailed,
    HeaderMismatch,
    ReplayDetected,
    SenderNotCertified,
)
from keybound.protocol.content import ContentType, GroupRemove, Text
from keybound.protocol.envelope import Envelope, Scheme
from keybound.protocol.machine import (
    Config,
    Deferred,
    Dropped,
    Duplicate,
    Machine,
    Received,
    RoomKeyAccepted,
)
from keybound.protocol.megolm import RotationPolicy
from keybound.wire import cbor
from tests.protocol.net import PICKLE_KEY, Network, Node

A, B, C, D = b"alice", b"bob", b"carol", b"dave"
GROUP = b"group-1"


def setup(config: Config | None = None, **kw: object) -> tuple[Network, dict[bytes, list[Node]]]:
    net = Network(config=config, **kw)  # type: ignore[arg-type]
    people = {p: [net.add_device(p, p + b"1"), net.add_device(p, p + b"2")] for p in (A, B, C)}
    return net, people


def session_of(out_data: bytes) -> str:
    return Envelope.decode(out_data).session_id


def megolm_session(net: Network, message_id: bytes) -> str:
    for _, _, data in net.sent:
        env = Envelope.decode(data)
        if env.message_id == message_id:
            return env.session_id
    raise AssertionError("not sent")


def test_every_member_device_reads_and_keys_are_shared_once() -> None:
    net, people = setup()
    a1 = people[A][0]
    first = net.send_group(a1, GROUP, [A, B, C], Text("hi all"))
    kinds = [Envelope.decode(d.data).content_type for d in first.deliveries]
    assert kinds == [ContentType.ROOM_KEY] * 5 + [ContentType.TEXT] * 5  # keys go first
    second = net.send_group(a1, GROUP, [A, B, C], Text("again"))
    assert [Envelope.decode(d.data).scheme for d in second.deliveries] == [Scheme.MEGOLM] * 5
    assert len({d.data for d in second.deliveries}) == 1  # one ciphertext for everyone
    net.flush()
    for node in [people[A][1], *people[B], *people[C]]:
        assert node.texts == ["hi all", "again"], node.device
        keys = [e for e in node.events if isinstance(e, RoomKeyAccepted)]
        assert [(k.group_id, k.sender_identity) for k in keys] == [(GROUP, A)]
        received = [e for e in node.events if isinstance(e, Received)]
        assert all(e.conversation_id == GROUP and e.scheme is Scheme.MEGOLM for e in received)
    assert a1.events == []


def test_a_removed_member_cannot_read_what_is_sent_after_removal() -> None:
    net, people = setup()
    a1 = people[A][0]
    before = net.send_group(a1, GROUP, [A, B, C], Text("before"))
    net.flush()
    old_session = megolm_session(net, before.message_id)
    # The removal itself still reaches Carol (on the old session), so she learns of it.
    net.send_group(a1, GROUP, [A, B, C], GroupRemove((C,)))
    net.flush()
    after = net.send_group(a1, GROUP, [A, B], Text("after"))
    new_session = megolm_session(net, after.message_id)
    assert new_session != old_session
    # Nothing sent after the removal goes to Carol's devices.
    for node in people[C]:
        assert node.inbox == []
        assert [e.content for e in node.events if isinstance(e, Received)][-1] == GroupRemove((C,))
    # Even if Carol gets every envelope ever sent (a leaky relay), she cannot read it.
    for _, _, data in net.sent:
        for node in people[C]:
            with contextlib.suppress(DecryptionFailed, SenderNotCertified):
                node.receive(data)
    net.flush()
    for node in people[C]:
        assert node.texts == ["before"]
        assert any(
            isinstance(e, Deferred) and e.message_id == after.message_id for e in node.events
        )
    for node in [people[A][1], *people[B]]:
        assert node.texts == ["before", "after"]


def test_a_new_member_gets_the_current_key_but_cannot_read_earlier_messages() -> None:
    net, people = setup()
    a1 = people[A][0]
    early = net.send_group(a1, GROUP, [A, B], Text("early"))
    net.flush()
    d1 = net.add_device(D, b"d1")
    late = net.send_group(a1, GROUP, [A, B, D], Text("late"))
    # Adding a member does not rotate: the session continues, shared from its current index.
    assert megolm_session(net, early.message_id) == megolm_session(net, late.message_id)
    net.flush()
    assert d1.texts == ["late"]
    early_data = next(
        data for i, _, data in net.sent if Envelope.decode(data).message_id == early.message_id
    )
    with pytest.raises(DecryptionFailed):
        d1.receive(early_data)


def test_rotation_after_a_message_count_and_an_age() -> None:
    config = Config(rotation=RotationPolicy(max_messages=3, max_age_ms=60_000))
    net, people = setup(config)
    a1 = people[A][0]
    ids = [net.send_group(a1, GROUP, [A, B], Text(str(i))).message_id for i in range(7)]
    sessions = [megolm_session(net, m) for m in ids]
    assert sessions[0] == sessions[2] != sessions[3] == sessions[5] != sessions[6]
    net.tick(60_000)
    later = net.send_group(a1, GROUP, [A, B], Text("later"))
    assert megolm_session(net, later.message_id) != sessions[6]
    net.flush()
    assert people[B][0].texts == [*map(str, range(7)), "later"]


def test_revoking_a_device_rotates() -> None:
    net, people = setup()
    a1, (_b1, b2) = people[A][0], people[B]
    first = net.send_group(a1, GROUP, [A, B], Text("1"))
    net.revoke(b2)
    second = net.send_group(a1, GROUP, [A, B], Text("2"))
    assert megolm_session(net, first.message_id) != megolm_session(net, second.message_id)
    assert all(d.device_id != b2.device for d in second.deliveries)


def test_messages_wait_for_their_key_and_are_returned_when_it_arrives() -> None:
    net, people = setup()
    a1, b1 = people[A][0], people[B][0]
    out1 = net.send_group(a1, GROUP, [A, B], Text("one"))
    out2 = net.send_group(a1, GROUP, [A, B], Text("two"))
    mine = [d.data for d in (*out1.deliveries, *out2.deliveries) if d.device_id == b1.device]
    room_key, message1, message2 = mine
    assert b1.receive(message2).events == (Deferred(out2.message_id),)
    assert b1.receive(message1).events == (Deferred(out1.message_id),)
    assert b1.receive(message2).events == (Deferred(out2.message_id),)  # queued once
    result = b1.receive(room_key)
    assert isinstance(result.events[0], RoomKeyAccepted)
    assert [e.message_id for e in result.events[1:] if isinstance(e, Received)] == [
        out2.message_id,
        out1.message_id,
    ]
    assert b1.receive(message1).events == (Duplicate(out1.message_id),)
    assert not any(kind == "megolm.pending" for kind, _ in b1.store)


def test_the_pending_queue_is_bounded() -> None:
    net, people = setup(Config(pending_capacity=2))
    a1, b1 = people[A][0], people[B][0]
    outs = [net.send_group(a1, GROUP, [A, B], Text(str(i))) for i in range(3)]
    data = [d.data for o in outs for d in o.deliveries if d.device_id == b1.device]
    room_key, megolm = data[0], data[1:]
    b1.receive(megolm[0])
    b1.receive(megolm[1])
    result = b1.receive(megolm[2])
    assert result.events[0] == Deferred(outs[2].message_id)
    assert (
        isinstance(result.events[1], Dropped) and result.events[1].message_id == outs[0].message_id
    )
    b1.receive(room_key)
    assert b1.texts == ["1", "2"]


def test_same_index_with_another_message_is_a_replay_and_the_same_message_a_duplicate() -> None:
    net, people = setup()
    a1, b1 = people[A][0], people[B][0]
    net.send_group(a1, GROUP, [A, B], Text("zeroth"))
    snapshot = a1.records()
    first = net.send_group(a1, GROUP, [A, B], Text("first"))
    net.flush()
    # Alice's device is restored from an old backup and reuses the ratchet position.
    a1.machine = Machine.load(
        A, a1.device, snapshot, net.lookup, PICKLE_KEY, random=net.random_bytes
    )
    second = net.send_group(a1, GROUP, [A, B], Text("second"))
    megolm = [d.data for d in second.deliveries if d.device_id == b1.device][-1]
    with pytest.raises(ReplayDetected):
        b1.receive(megolm)
    # With the seen window forgotten, the very same envelope is still a duplicate.
    original = [d.data for d in first.deliveries if d.device_id == b1.device][-1]
    b1.store = {k: v for k, v in b1.store.items() if k[0] != "seen"}
    b1.machine = Machine.load(B, b1.device, b1.records(), net.lookup, PICKLE_KEY)
    assert b1.receive(original).events == (Duplicate(first.message_id),)
    assert b1.texts == ["zeroth", "first"]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (1, b"\x00" * 16, HeaderMismatch),
        (2, B, SenderNotCertified),
        (3, b"zz", SenderNotCertified),
        (3, b"alice2", Deferred),  # a real device of Alice's, without that session
        (4, 1_700_000_000_000, HeaderMismatch),
        (5, int(ContentType.TYPING), HeaderMismatch),
        (7, b"\x03" + b"\x00" * 120, DecryptionFailed),
        (9, "AAAA", Deferred),  # an unknown session: waits (bounded), harmless
    ],
)
def test_tampered_group_envelopes(key: int, value: object, expected: type) -> None:
    net, people = setup()
    a1, b1 = people[A][0], people[B][0]
    out = net.send_group(a1, GROUP, [A, B], Text("genuine"))
    room_key, megolm = [d.data for d in out.deliveries if d.device_id == b1.device]
    b1.receive(room_key)
    m = cbor.decode_map(megolm)
    m[key] = value  # type: ignore[assignment]
    if expected is Deferred:
        assert isinstance(b1.receive(cbor.encode(m)).events[0], Deferred)
    else:
        with pytest.raises(expected):
            b1.receive(cbor.encode(m))
    (event,) = b1.receive(megolm).events
    assert isinstance(event, Received) and event.content == Text("genuine")


def test_a_members_new_device_gets_the_current_key_without_rotation() -> None:
    net, people = setup()
    a1 = people[A][0]
    first = net.send_group(a1, GROUP, [A, B], Text("1"))
    b3 = net.add_device(B, b"bob3")  # Bob's chain now certifies a third device
    second = net.send_group(a1, GROUP, [A, B], Text("2"))
    shares = [d for d in second.deliveries if Envelope.decode(d.data).scheme is Scheme.OLM_PQ]
    assert [(d.identity_id, d.device_id) for d in shares] == [(B, b"bob3")]
    assert megolm_session(net, first.message_id) == megolm_session(net, second.message_id)
    net.flush()
    assert b3.texts == ["2"] and people[B][0].texts == ["1", "2"]
