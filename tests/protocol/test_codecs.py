"""Every protocol codec: round trips, and garbage is a clear error, never another exception."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keybound.errors import MalformedData, ProtocolError
from keybound.protocol import content as c
from keybound.protocol.devices import KeyUpload, SignedKey
from keybound.protocol.envelope import Envelope, Inner, Scheme
from keybound.protocol.ids import message_id_time, new_message_id
from keybound.protocol.markdown import Span, parse_markdown
from keybound.wire import cbor
from tests.protocol.net import Network

mid = st.binary(min_size=16, max_size=16)
ident = st.binary(max_size=64)
text = st.text(max_size=200)
name = st.text(max_size=256)
key32 = st.binary(min_size=32, max_size=32)
u = st.integers(0, 1 << 53)

CONTENT = {
    c.Text: st.builds(c.Text, text),
    c.Reply: st.builds(c.Reply, text, mid),
    c.Edit: st.builds(c.Edit, mid, text),
    c.Delete: st.builds(c.Delete, mid),
    c.Reaction: st.builds(c.Reaction, mid, st.text(min_size=1, max_size=32), st.booleans()),
    c.DeliveryReceipt: st.builds(c.DeliveryReceipt, st.lists(mid, max_size=20).map(tuple)),
    c.ReadReceipt: st.builds(c.ReadReceipt, st.lists(mid, max_size=20).map(tuple)),
    c.Typing: st.builds(c.Typing, st.booleans()),
    c.Attachment: st.builds(
        c.Attachment, ident, key32, key32, u, name, name, st.none() | st.binary(max_size=2048)
    ),
    c.GroupCreate: st.builds(c.GroupCreate, name, st.lists(ident, max_size=10).map(tuple)),
    c.GroupAdd: st.builds(c.GroupAdd, st.lists(ident, max_size=10).map(tuple)),
    c.GroupRemove: st.builds(c.GroupRemove, st.lists(ident, max_size=10).map(tuple)),
    c.GroupRename: st.builds(c.GroupRename, name),
    c.GroupLeave: st.builds(c.GroupLeave),
    c.DisappearingTimer: st.builds(c.DisappearingTimer, st.integers(0, 1 << 32)),
    c.DeviceListNotice: st.builds(c.DeviceListNotice, ident, ident, u),
    c.RoomKey: st.builds(c.RoomKey, ident, st.text(max_size=64), st.text(max_size=1024), u),
}
any_content = st.one_of(*CONTENT.values())
cbor_maps = st.dictionaries(
    st.integers(-2, 12),
    st.none() | st.booleans() | st.integers(-5, 1 << 60) | st.binary(max_size=40)
    | st.text(max_size=10) | st.lists(st.binary(max_size=20) | st.integers(), max_size=3),
    max_size=10,
)  # fmt: skip


def test_every_content_type_has_a_strategy() -> None:
    assert set(CONTENT) == set(c.CONTENT_CLASSES.values())


@given(any_content)
def test_content_round_trip(value: c.Content) -> None:
    raw = value.encode()
    assert c.decode_content(c.content_type(value), raw) == value
    assert type(value).decode(raw) == value


@given(
    st.sampled_from(sorted(c.CONTENT_CLASSES)), st.binary(max_size=100) | cbor_maps.map(cbor.encode)
)
def test_content_garbage_is_malformed_data(type_: int, raw: bytes) -> None:
    try:
        value = c.decode_content(type_, raw)
    except MalformedData:
        return
    assert c.content_type(value) == type_


@given(st.integers(0, 1 << 16).filter(lambda t: t not in c.CONTENT_CLASSES), st.binary())
def test_unknown_types_are_kept_unsupported(type_: int, raw: bytes) -> None:
    value = c.decode_content(type_, raw)
    assert value == c.Unsupported(type_, raw) and value.encode() == raw


def test_limits_are_enforced() -> None:
    with pytest.raises(ValueError, match="thumbnail"):
        c.Attachment(b"b", b"k" * 32, b"d" * 32, 1, "image/png", "a.png", b"x" * (64 * 1024 + 1))
    too_big = cbor.encode(
        {0: b"b", 1: b"k" * 32, 2: b"d" * 32, 3: 1, 4: "", 5: "", 6: b"x" * 70000}
    )
    with pytest.raises(MalformedData, match="thumbnail"):
        c.Attachment.decode(too_big)
    with pytest.raises(MalformedData, match="emoji"):
        c.Reaction.decode(cbor.encode({0: b"m" * 16, 1: "", 2: False}))
    with pytest.raises(MalformedData, match="message id"):
        c.Delete.decode(cbor.encode({0: b"short"}))
    # Newer senders may add fields; older readers ignore them.
    assert c.Text.decode(cbor.encode({0: "hi", 1: "future"})) == c.Text("hi")


envelopes = st.builds(
    Envelope,
    mid, ident, ident, st.integers(0, (1 << 48) - 1), st.integers(0, 1 << 16),
    st.sampled_from(Scheme), st.binary(max_size=300),
)  # fmt: skip


@given(envelopes, st.integers(0, 1), st.text(max_size=64))
def test_envelope_round_trip(env: Envelope, olm_type: int, session_id: str) -> None:
    if env.scheme is Scheme.OLM:
        env = dataclasses.replace(env, olm_type=olm_type)
    elif env.scheme is Scheme.MEGOLM:
        env = dataclasses.replace(env, session_id=session_id)
    else:
        env = dataclasses.replace(env, pq_header=session_id.encode())
    assert Envelope.decode(env.encode()) == env


@given(st.builds(Inner, mid, ident, ident, key32, ident, st.integers(0, (1 << 48) - 1),
                 st.integers(0, 1 << 16), st.binary(max_size=300)))  # fmt: skip
def test_inner_round_trip(inner: Inner) -> None:
    assert Inner.decode(inner.encode()) == inner


@given(
    st.builds(
        SignedKey, st.text(max_size=64), key32, st.booleans(), st.binary(min_size=64, max_size=64)
    )
)
def test_signed_key_round_trip(key: SignedKey) -> None:
    assert SignedKey.decode(key.encode()) == key
    assert KeyUpload.decode(KeyUpload((key, key)).encode()) == KeyUpload((key, key))


@given(st.binary(max_size=300) | cbor_maps.map(cbor.encode))
def test_structural_garbage_is_a_clear_error(data: bytes) -> None:
    for decode in (Envelope.decode, Inner.decode, SignedKey.decode, KeyUpload.decode):
        with contextlib.suppress(MalformedData, ProtocolError):
            decode(data)


NET = Network()
RECEIVER = NET.add_device(b"bob", b"b1")
SENDER = NET.add_device(b"alice", b"a1")
GENUINE = [
    d.data
    for out in (
        NET.send(SENDER, b"ab", [b"bob"], c.Text("direct")),
        NET.send_group(SENDER, b"g", [b"bob"], c.Text("group")),
    )
    for d in out.deliveries
]


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(envelopes, st.booleans(), st.integers(0, 1), st.text(max_size=64))
def test_the_receive_path_rejects_garbage_cleanly(
    env: Envelope, real_sender: bool, olm_type: int, sid: str
) -> None:
    if real_sender:  # so that decryption itself is exercised
        env = dataclasses.replace(env, sender_identity=b"alice", sender_device=b"a1")
    data = dataclasses.replace(env, olm_type=olm_type, session_id=sid).encode()
    with contextlib.suppress(MalformedData, ProtocolError):
        RECEIVER.machine.decrypt(data)


@settings(max_examples=300)
@given(st.sampled_from(GENUINE), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)),
                                          min_size=1, max_size=4))  # fmt: skip
def test_mutated_genuine_envelopes_are_rejected_cleanly(
    data: bytes, edits: list[tuple[int, int]]
) -> None:
    mutated = bytearray(data)
    for pos, byte in edits:
        mutated[pos % len(mutated)] = byte
    with contextlib.suppress(MalformedData, ProtocolError):
        RECEIVER.machine.decrypt(bytes(mutated))


def test_message_ids_sort_by_time_and_carry_it() -> None:
    ids = [new_message_id(t) for t in (0, 1, 255, 256, 1_750_000_000_000, (1 << 48) - 1)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert [message_id_time(i) for i in ids] == [0, 1, 255, 256, 1_750_000_000_000, (1 << 48) - 1]
    assert new_message_id(5, lambda n: b"\x07" * n) == bytes.fromhex("000000000005") + b"\x07" * 10
    with pytest.raises(ValueError, match="48-bit"):
        new_message_id(1 << 48)


@given(st.integers(0, (1 << 48) - 2), st.integers(1, 1000))
def test_later_ids_sort_after_earlier_ones(t: int, dt: int) -> None:
    assert new_message_id(t) < new_message_id(min(t + dt, (1 << 48) - 1))


def test_markdown_subset() -> None:
    spans = parse_markdown(
        "a **b** *c* _d_ `e*f` [g](https://x.org/h) [j](javascript:k) snake_case_x"
    )
    assert spans == (
        Span("text", "a "), Span("bold", "b"), Span("text", " "), Span("italic", "c"),
        Span("text", " "), Span("italic", "d"), Span("text", " "), Span("code", "e*f"),
        Span("text", " "), Span("link", "g", "https://x.org/h"),
        Span("text", " [j](javascript:k) snake_case_x"),
    )  # fmt: skip


@given(st.text(max_size=300))
def test_markdown_never_fails_and_keeps_plain_text(source: str) -> None:
    spans = parse_markdown(source)
    if not any(ch in source for ch in "*_`["):
        assert spans == ((Span("text", source),) if source else ())
