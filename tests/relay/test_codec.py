"""The relay's hand-coded hot-path frames agree with the generic codec of ``keybound.wire``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keybound.errors import MalformedData
from keybound.relay import codec
from keybound.wire import frames as f

ids = st.binary(max_size=f.MAX_ID_SIZE + 2)
addresses = st.builds(f.DeviceAddress, ids, ids)
payloads = st.binary(max_size=300)
int64 = st.integers(min_value=-(2**63) - 1, max_value=2**63)
request_ids = st.integers(min_value=-1, max_value=2**53 + 1)


def _names(cls: type) -> frozenset[str]:
    return frozenset(field.name for field in dataclasses.fields(cls))


def test_the_hand_coded_field_sets_match_the_frame_classes() -> None:
    """A change to a hot frame in keybound.wire must be mirrored here."""
    assert _names(f.Send) == set(codec.SEND)
    assert _names(f.Outgoing) == set(codec.OUTGOING)
    assert _names(f.DeviceAddress) == set(codec.ADDRESS)
    assert _names(f.Ack) == set(codec.ACK)
    assert _names(f.Sent) == set(codec.SENT)
    assert _names(f.Ok) == set()
    assert _names(f.Deliver) == set(codec.DELIVER)
    assert _names(f.Incoming) == set(codec.INCOMING)
    assert codec.ENVELOPE == ("b", "t", "v", "id")  # what the encoder writes literally
    assert codec.INCOMING == ("sender", "payload", "queue_id", "received_ms")
    assert codec.ADDRESS == ("device_id", "identity_id")
    assert codec.DELIVER == ("more", "messages")


def _outcome(decode: Callable[[bytes], f.Envelope], data: bytes) -> object:
    try:
        return decode(data)
    except MalformedData as exc:
        return ("malformed", exc.detail)


def _same_decoding(data: bytes) -> None:
    assert _outcome(codec.decode, data) == _outcome(f.decode_frame, data)


def _raw(request_id: object, name: object, body: object) -> bytes:
    return bytes(cbor2.dumps({"v": 1, "t": name, "id": request_id, "b": body}))


# Frames near the valid ones: right and wrong types, sizes, missing and extra fields.
_maybe_bytes = st.one_of(ids, st.binary(min_size=60, max_size=70), st.integers(), st.none())
_address_maps = st.one_of(
    st.fixed_dictionaries({"identity_id": _maybe_bytes, "device_id": _maybe_bytes}),
    st.fixed_dictionaries({"identity_id": ids}),
    st.fixed_dictionaries({"identity_id": ids, "device_id": ids, "x": st.integers()}),
    st.binary(max_size=4),
)
_outgoing_maps = st.one_of(
    st.fixed_dictionaries({"to": _address_maps, "payload": st.one_of(payloads, st.text())}),
    st.fixed_dictionaries({"to": _address_maps}),
    st.fixed_dictionaries({"payload": payloads}),
    st.lists(st.integers(), max_size=2),
)
_send_bodies = st.one_of(
    st.fixed_dictionaries({"messages": st.lists(_outgoing_maps, max_size=3)}),
    st.fixed_dictionaries({"messages": st.binary()}),
    st.fixed_dictionaries({"messages": st.lists(_outgoing_maps, max_size=2), "more": st.just(1)}),
    st.just({}),
)
_ack_bodies = st.one_of(
    st.fixed_dictionaries(
        {"queue_ids": st.lists(st.one_of(int64, st.booleans(), st.binary()), max_size=4)}
    ),
    st.fixed_dictionaries({"queue_ids": st.integers()}),
    st.fixed_dictionaries({"queue_ids": st.lists(int64, max_size=2), "x": st.none()}),
    st.just({}),
)
_names_st = st.sampled_from(["send", "ack", "ok", "sent", "ping", "Send", ""])


def _dump(value: object) -> bytes:
    return bytes(cbor2.dumps(value, canonical=True))


@settings(max_examples=300, deadline=None)
@given(request_id=request_ids, body=_send_bodies)
def test_decoding_send_like_frames_agrees(request_id: int, body: object) -> None:
    _same_decoding(_dump(_map(request_id, "send", body)))


@settings(max_examples=300, deadline=None)
@given(request_id=request_ids, body=_ack_bodies)
def test_decoding_ack_like_frames_agrees(request_id: int, body: object) -> None:
    _same_decoding(_dump(_map(request_id, "ack", body)))


@settings(max_examples=300, deadline=None)
@given(
    request_id=st.one_of(request_ids, st.booleans(), st.binary(max_size=2)),
    name=_names_st,
    body=st.one_of(_send_bodies, _ack_bodies, st.integers(), st.none()),
    version=st.sampled_from([1, 2, True, "1"]),
    extra=st.dictionaries(st.sampled_from(["x", "v2"]), st.integers(), max_size=1),
    drop=st.sampled_from([None, "v", "t", "id", "b"]),
)
def test_decoding_generated_envelopes_agrees(
    request_id: object,
    name: object,
    body: object,
    version: object,
    extra: dict[str, int],
    drop: str | None,
) -> None:
    frame = {"v": version, "t": name, "id": request_id, "b": body, **extra}
    if drop is not None:
        del frame[drop]
    _same_decoding(_dump(frame))


@settings(max_examples=200, deadline=None)
@given(
    request_id=request_ids,
    messages=st.lists(st.builds(f.Outgoing, addresses, payloads), max_size=4),
    queue_ids=st.lists(int64, max_size=5),
)
def test_decoding_valid_hot_frames_agrees(
    request_id: int, messages: list[f.Outgoing], queue_ids: list[int]
) -> None:
    for body in ({"messages": [_to_map(m) for m in messages]}, {"queue_ids": queue_ids}):
        name = "send" if "messages" in body else "ack"
        data = bytes(cbor2.dumps(_map(request_id, name, body), canonical=True))
        _same_decoding(data)
        if isinstance(_outcome(f.decode_frame, data), f.Envelope):  # valid: the fast path took it
            assert codec.decode_fast(data) == f.decode_frame(data)
        _same_decoding(_raw(request_id, name, body))  # not canonical unless by chance


def test_non_canonical_and_garbage_input_agrees() -> None:
    good = f.encode_frame(7, f.Send((f.Outgoing(f.DeviceAddress(b"i", b"d"), b"x"),)))
    for data in (good, good + b"\x00", good[:-1], b"", b"\xa0", b"\xff" * 10, _reordered(good)):
        _same_decoding(data)


def _message(identity_id: bytes = b"i", device_id: bytes = b"d", payload: object = b"x") -> object:
    return {"to": {"identity_id": identity_id, "device_id": device_id}, "payload": payload}


_SEND = {"messages": [_message()]}
_ACK = {"queue_ids": [1, 2]}
_EDGES: list[tuple[object, object]] = [
    ("send", {"messages": [_message()] * (f.MAX_ITEMS + 1)}),
    ("send", {"messages": [_message()] * f.MAX_ITEMS}),
    ("ack", {"queue_ids": list(range(f.MAX_ITEMS + 1))}),
    ("ack", {"queue_ids": [2**63 - 1, -(2**63)]}),
    ("ack", {"queue_ids": [2**63]}),
    ("ack", {"queue_ids": [True]}),
    ("ack", {"queue_ids": [1], "more": True}),
    ("send", {"messages": [_message(payload=b"x" * f.MAX_PAYLOAD_SIZE)]}),
    ("send", {"messages": [_message(payload=b"x" * (f.MAX_PAYLOAD_SIZE + 1))]}),
    ("send", {"messages": [_message(payload="text")]}),
    ("send", {"messages": [_message(b"i" * f.MAX_ID_SIZE, b"d" * f.MAX_ID_SIZE)]}),
    ("send", {"messages": [_message(b"i" * (f.MAX_ID_SIZE + 1))]}),
    ("send", {"messages": [_message(device_id=b"d" * (f.MAX_ID_SIZE + 1))]}),
    ("send", {"messages": [{**_message(), "x": 1}]}),  # type: ignore[dict-item]
    ("send", {**_SEND, "x": 1}),
    ("send", _ACK),
    ("ack", _SEND),
    ("ok", {}),
]


def test_edge_cases_agree() -> None:
    for name, body in _EDGES:
        _same_decoding(_dump(_map(1, name, body)))  # type: ignore[arg-type]
    for body, name in ((_SEND, "send"), (_ACK, "ack")):
        valid = _map(1, name, body)
        _same_decoding(_dump({**valid, "x": 1}))
        for key in valid:
            _same_decoding(_dump({k: v for k, v in valid.items() if k != key}))
        for key, value in (("id", 2**53), ("id", 2**53 + 1), ("id", -1), ("id", True)):
            _same_decoding(_dump({**valid, key: value}))
        for value in (True, 2, 0, "1"):
            _same_decoding(_dump({**valid, "v": value}))


def test_canonical_form_is_checked_like_the_generic_decoder() -> None:
    ack = f.encode_frame(1, f.Ack((1,)))
    body = b"\xa1\x69queue_ids\x81\x01"
    assert body in ack
    variants = [
        ack.replace(b"\x81\x01", b"\x9f\x01\xff"),  # indefinite-length list
        ack.replace(b"\x81\x01", b"\x81\x18\x01"),  # an integer not in its shortest form
        ack.replace(b"\x62id\x01", b"\x62id\x19\x00\x01"),
        ack.replace(b"\x61v\x01", b"\x61v\xf5"),  # true for 1
        ack.replace(b"\x63ack", b"\x7f\x63ack\xff"),  # indefinite-length text
        b"\xa5" + ack[1:] + b"\x61b" + body,  # a duplicate key
        ack + b"\x00",  # trailing bytes
        ack[:-1],
    ]
    for data in variants:
        assert data != ack
        _same_decoding(data)
        assert codec.decode_fast(data) is None
    assert codec.decode_fast(ack) == f.decode_frame(ack)


def _reordered(data: bytes) -> bytes:
    """The same map with its keys in a non-canonical order."""
    value = cbor2.loads(data)
    return bytes(cbor2.dumps(dict(reversed(list(value.items())))))


def _map(request_id: int, name: str, body: object) -> dict[str, object]:
    return {"v": 1, "t": name, "id": request_id, "b": body}


def _to_map(m: f.Outgoing) -> dict[str, object]:
    return {
        "to": {"identity_id": m.to.identity_id, "device_id": m.to.device_id},
        "payload": m.payload,
    }


incoming = st.builds(
    f.Incoming,
    st.integers(min_value=0, max_value=2**62),
    st.builds(f.DeviceAddress, st.binary(max_size=64), st.binary(max_size=64)),
    st.integers(min_value=0, max_value=2**50),
    payloads,
)


@settings(max_examples=200, deadline=None)
@given(
    request_id=st.integers(min_value=0, max_value=2**53),
    n=st.integers(min_value=0, max_value=2**40),
    messages=st.lists(incoming, max_size=5),
    more=st.booleans(),
)
def test_encoding_gives_the_generic_codecs_bytes(
    request_id: int, n: int, messages: list[f.Incoming], more: bool
) -> None:
    assert codec.encode_sent(request_id, n) == f.encode_frame(request_id, f.Sent(n))
    assert codec.encode_ok(request_id) == f.encode_frame(request_id, f.Ok())
    assert codec.encode_deliver(request_id, messages, more) == f.encode_frame(
        request_id, f.Deliver(tuple(messages), more)
    )


def test_an_oversized_deliver_frame_is_refused() -> None:
    sender = f.DeviceAddress(b"i", b"d")
    big = [f.Incoming(i, sender, 0, b"x" * f.MAX_PAYLOAD_SIZE) for i in range(5)]
    with pytest.raises(MalformedData):
        codec.encode_deliver(0, big, False)
