"""Direct (Olm) conversations between identities with several devices each."""

from __future__ import annotations

import pytest

from keybound.errors import (
    DecryptionFailed,
    HeaderMismatch,
    MalformedData,
    MissingSession,
    SenderNotCertified,
    UnsupportedEnvelope,
)
from keybound.protocol.content import DeviceListNotice, Encoded, Text, Unsupported
from keybound.protocol.envelope import Envelope, Scheme
from keybound.protocol.machine import Duplicate, Machine, Received
from keybound.protocol.pq.header import PqHeader
from keybound.wire import cbor
from tests.protocol.net import PICKLE_KEY, Network

ALICE, BOB, CAROL = b"alice-identity", b"bob-identity", b"carol-identity"
CONV = b"conversation-ab"


def two_people(pq: bool = True, **kw: object) -> tuple[Network, list, list]:
    """Alice and Bob with two devices each; ``pq=False``: devices from before the PQ layer."""
    net = Network(**kw)
    alice = [net.add_device(ALICE, b"a1", pq=pq), net.add_device(ALICE, b"a2", pq=pq)]
    bob = [net.add_device(BOB, b"b1", pq=pq), net.add_device(BOB, b"b2", pq=pq)]
    return net, alice, bob


def test_every_device_of_both_people_gets_the_message_but_not_the_sender() -> None:
    net, (a1, a2), (b1, b2) = two_people()
    out = net.send(a1, CONV, [BOB], Text("hello **Bob**"))
    assert {(d.identity_id, d.device_id) for d in out.deliveries} == {
        (ALICE, b"a2"), (BOB, b"b1"), (BOB, b"b2"),
    }  # fmt: skip
    net.flush()
    for node in (a2, b1, b2):
        (event,) = node.events
        assert isinstance(event, Received)
        assert event.content == Text("hello **Bob**")
        assert (event.sender_identity, event.sender_device) == (ALICE, b"a1")
        assert event.conversation_id == CONV and event.message_id == out.message_id
        assert event.scheme is Scheme.OLM
    assert a1.events == [] and a1.inbox == []


def test_a_conversation_back_and_forth_switches_to_normal_messages() -> None:
    net, (a1, a2), (b1, b2) = two_people()
    for i in range(3):
        net.send(a1, CONV, [BOB], Text(f"a{i}"))
        net.flush()
        net.send(b1, CONV, [ALICE], Text(f"b{i}"))
        net.flush()
    assert b2.texts == ["a0", "b0", "a1", "b1", "a2", "b2"]
    assert a1.texts == ["b0", "b1", "b2"]
    assert b1.texts == ["a0", "a1", "a2"]
    assert a2.texts == ["a0", "b0", "a1", "b1", "a2", "b2"]

    def setups(identity: bytes, device: bytes) -> list[bool]:
        """Which messages still carry the session setup (the Olm type is inside the PQ layer)."""
        sent = [Envelope.decode(data) for i, d, data in net.sent if (i, d) == (identity, device)]
        assert all(env.scheme is Scheme.OLM_PQ for env in sent)
        return [PqHeader.decode(env.pq_header).setup is not None for env in sent]

    assert setups(BOB, b"b1") == [True, False, False]  # once answered, no more setup
    assert setups(ALICE, b"a1") == [False] * 3  # Bob answers on the session Alice opened


@pytest.mark.parametrize("seed", range(4))
def test_lost_duplicated_and_reordered_delivery(seed: int) -> None:
    net, (a1, a2), (b1, b2) = two_people(seed=seed, loss=0.2, dup=0.3, reorder=True)
    sent = []
    for i in range(12):
        out = net.send(a1 if i % 3 else b1, CONV, [BOB if i % 3 else ALICE], Text(f"m{i}"))
        sent.append(out.message_id)
        if i % 4 == 3:
            net.flush()
    net.flush()
    for node in (a1, a2, b1, b2):
        assert node.errors == []
        got = [e.message_id for e in node.events if isinstance(e, Received)]
        assert len(got) == len(set(got))  # exactly once, whatever the relay did
        assert set(got) <= set(sent)
    dups = sum(isinstance(e, Duplicate) for n in (a1, a2, b1, b2) for e in n.events)
    assert dups > 0
    # Nothing lost is lost forever: resending what was dropped still decrypts.
    for identity, device, data in net.sent:
        node = net.nodes[(identity, device)]
        node.receive(data)
    for node in (a2, b2):
        got = {e.message_id for e in node.events if isinstance(e, Received)}
        assert got == set(sent)


def test_replayed_envelope_is_a_duplicate_and_changes_nothing() -> None:
    net, (a1, _), (b1, _) = two_people()
    out = net.send(a1, CONV, [BOB], Text("once"))
    data = next(d.data for d in out.deliveries if d.device_id == b"b1")
    first = b1.receive(data)
    before = dict(b1.store)
    again = b1.receive(data)
    assert again.events == (Duplicate(out.message_id),) and again.changes == ()
    assert b1.store == before
    assert isinstance(first.events[0], Received)


def test_a_processed_hook_catches_ids_older_than_the_window() -> None:
    net, (a1, _), (b1, _) = two_people()
    out = net.send(a1, CONV, [BOB], Text("once"))
    data = next(d.data for d in out.deliveries if d.device_id == b"b1")
    b1.receive(data)
    fresh = Machine.load(
        BOB, b"b1", b1.records(), net.lookup, PICKLE_KEY, processed={out.message_id}.__contains__
    )
    b1.store = {k: v for k, v in b1.store.items() if k[0] != "seen"}
    assert fresh.decrypt(data).events == (Duplicate(out.message_id),)


def tamper(data: bytes, key: int, value: object) -> bytes:
    m = cbor.decode_map(data)
    m[key] = value  # type: ignore[assignment]
    return cbor.encode(m)


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        (0, 2, UnsupportedEnvelope),
        (1, b"\x00" * 16, HeaderMismatch),
        (2, CAROL, SenderNotCertified),
        (3, b"a2", DecryptionFailed),  # another certified device of the same identity
        (3, b"zz", SenderNotCertified),
        (4, 1_700_000_000_000, HeaderMismatch),
        (5, 99, HeaderMismatch),
        (6, 1, MalformedData),
        (7, b"\x00" * 100, DecryptionFailed),
        (8, 1, DecryptionFailed),
        (9, "x", MalformedData),
    ],
)
def test_each_tampered_envelope_field_is_rejected_and_the_original_still_reads(
    key: int, value: object, error: type[Exception]
) -> None:
    """Plain Olm between devices from before the PQ layer (tests/protocol/pq covers the layer)."""
    net, (a1, _), (b1, _) = two_people(pq=False)
    net.add_device(CAROL, b"c1", pq=False)
    out = net.send(a1, CONV, [BOB], Text("genuine"))
    data = next(d.data for d in out.deliveries if d.device_id == b"b1")
    before = dict(b1.store)
    with pytest.raises(error):
        b1.receive(tamper(data, key, value))
    assert b1.store == before
    (event,) = b1.receive(data).events
    assert isinstance(event, Received) and event.content == Text("genuine")


def test_flipped_ciphertext_bits_are_rejected() -> None:
    net, (a1, _), (b1, _) = two_people()
    out = net.send(a1, CONV, [BOB], Text("genuine"))
    data = next(d.data for d in out.deliveries if d.device_id == b"b1")
    body = Envelope.decode(data).body
    for pos in (0, len(body) // 2, len(body) - 1):
        flipped = body[:pos] + bytes([body[pos] ^ 1]) + body[pos + 1 :]
        with pytest.raises((DecryptionFailed, MalformedData)):
            b1.receive(tamper(data, 7, flipped))
    assert isinstance(b1.receive(data).events[0], Received)


def test_a_device_not_certified_for_its_identity_is_rejected() -> None:
    net, (a1, _), (b1, _) = two_people()
    mallory = net.add_device(ALICE, b"a-rogue", certify=False)
    # Mallory runs a real device that Alice's chain does not certify.
    out = net.send(mallory, CONV, [BOB], Text("it's me, Alice"))
    data = next(d.data for d in out.deliveries if d.device_id == b"b1")
    with pytest.raises(SenderNotCertified):
        b1.receive(data)
    # Even reusing the device ID of a real device of Alice's does not help.
    forged = tamper(data, 3, b"a1")
    with pytest.raises(DecryptionFailed):
        b1.receive(forged)
    # A device that is revoked later is rejected too.
    net.send(a1, CONV, [BOB], Text("before"))
    net.revoke(a1)
    out = net.send(a1, CONV, [BOB], Text("after revocation"))
    b1.inbox.clear()
    with pytest.raises(SenderNotCertified):
        b1.receive(next(d.data for d in out.deliveries if d.device_id == b"b1"))


def test_encrypting_without_a_session_says_so() -> None:
    net, (a1, _), _ = two_people()
    with pytest.raises(MissingSession):
        a1.machine.encrypt_direct(CONV, [BOB], Text("x"), net.now)
    assert {d.device_id for d in a1.machine.devices_needing_session([BOB])} == {b"a2", b"b1", b"b2"}


def test_unknown_content_types_arrive_as_unsupported() -> None:
    net, (a1, _), (b1, _) = two_people()
    net.send(a1, CONV, [BOB], Unsupported(999, cbor.encode({0: "from the future"})))
    net.flush()
    (event,) = b1.events
    assert isinstance(event, Received)
    assert event.content == Unsupported(999, cbor.encode({0: "from the future"}))


def test_new_device_mid_conversation_is_announced_and_receives_new_messages() -> None:
    net, (a1, _a2), (b1, b2) = two_people()
    net.send(a1, CONV, [BOB], Text("before"))
    net.flush()
    b3 = net.add_device(BOB, b"b3")  # Bob certifies a new device in his chain
    net.send(b1, CONV, [ALICE], DeviceListNotice(BOB, b"\x01" * 32, 2))
    net.flush()
    notices = [e for e in a1.events if isinstance(e, Received)]
    assert notices[-1].content == DeviceListNotice(BOB, b"\x01" * 32, 2)
    # b3 also gets the notice (it is one of Bob's own devices) and Alice's next message.
    net.send(a1, CONV, [BOB], Text("after"))
    net.flush()
    assert b3.texts[-1] == "after" and "before" not in b3.texts
    assert b2.texts == ["before", "after"]


def test_a_body_encoded_already_arrives_as_the_content_it_encodes() -> None:
    """The engine's compose queue keeps bodies as bytes and sends them as they are."""
    net, (a1, _), (b1, _) = two_people()
    text = Text("from the compose queue")
    net.send(a1, CONV, [BOB], Encoded(int(text.TYPE), text.encode()))
    net.send_group(a1, b"group", [ALICE, BOB], Encoded(int(text.TYPE), text.encode()))
    net.flush()
    assert b1.texts == [text.text, text.text]
    received = [e for e in b1.events if isinstance(e, Received)]
    assert [e.content for e in received] == [text, text]
