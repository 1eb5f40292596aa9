"""Relay frames: every type round-trips; anything else is MalformedData."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keybound.errors import MalformedData
from keybound.wire import cbor
from keybound.wire import frames as f


def strategy_for(hint: Any, max_size: int | None = None) -> st.SearchStrategy[Any]:
    """Values of a frame field's type, within its declared size limit."""
    if isinstance(hint, types.UnionType):
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return st.none() | strategy_for(inner, max_size)
    if typing.get_origin(hint) is tuple:
        return st.lists(strategy_for(typing.get_args(hint)[0], max_size), max_size=3).map(tuple)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return st.sampled_from(list(hint))
    if dataclasses.is_dataclass(hint):
        return dataclass_strategy(hint)
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(-(2**63), 2**63 - 1)
    if hint is bytes:
        return st.binary(max_size=min(max_size or 64, 64))
    if hint is str:
        return st.text(max_size=min(max_size or 32, 32))
    raise AssertionError(hint)


def dataclass_strategy(cls: Any) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    return st.builds(
        cls,
        **{
            fld.name: strategy_for(hints[fld.name], fld.metadata.get("max"))
            for fld in dataclasses.fields(cls)
        },
    )


any_frame = st.sampled_from(sorted(f.FRAME_TYPES.values(), key=lambda c: c.TYPE)).flatmap(
    dataclass_strategy
)


@given(st.integers(0, 2**53), any_frame)
def test_every_frame_round_trips(request_id: int, body: f.Frame) -> None:
    data = f.encode_frame(request_id, body)
    assert f.decode_frame(data) == f.Envelope(request_id, body)


@given(st.binary(max_size=300))
def test_garbage_is_malformed(data: bytes) -> None:
    try:
        f.decode_frame(data)
    except MalformedData:
        pass
    else:  # only possible for bytes that are a valid frame: re-encoding gives them back
        env = f.decode_frame(data)
        assert f.encode_frame(env.request_id, env.body) == data


@given(any_frame, st.data())
def test_mutated_bodies_are_malformed_or_valid(body: f.Frame, data: st.DataObject) -> None:
    outer = cbor.decode_map(f.encode_frame(7, body))
    inner = dict(outer["b"])  # type: ignore[arg-type]
    key = data.draw(st.sampled_from([*inner, "bogus"]))
    inner[key] = data.draw(st.none() | st.integers() | st.binary(max_size=8) | st.text(max_size=4))
    mutated = cbor.encode({**outer, "b": inner})
    try:
        env = f.decode_frame(mutated)
    except MalformedData:
        return
    assert f.encode_frame(env.request_id, env.body) == mutated


def frame(**outer: object) -> bytes:
    return cbor.encode({"v": 1, "t": "ping", "id": 1, "b": {}, **outer})


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (frame(v=2), "version 2"),
        (frame(t="nope"), "unknown frame type"),
        (frame(id=-1), "below"),
        (frame(x=1), "unknown fields"),
        (frame(t="fetch", b={"limit": "ten"}), "fetch.limit must be an integer"),
        (frame(t="send", b={}), "missing field send.messages"),
        (frame(t="error", b={"code": "bogus"}), "unknown value"),
        (frame(t="send", b={"messages": [{"to": {}, "payload": b""}]}), "missing field"),
        (frame(t="ack", b={"queue_ids": list(range(f.MAX_ITEMS + 1))}), "more than"),
        (frame(t="blob_get", b={"blob_id": b"x" * 65}), "longer than 64"),
        (frame(t="publish_keys", b={"one_time_keys": [], "fallback_key": None}), "null"),
        (b"\x00" * (f.MAX_FRAME_SIZE + 1), "limit"),
    ],
)
def test_rejections_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(MalformedData, match=reason):
        f.decode_frame(data)


def test_oversized_payload_is_refused_before_sending() -> None:
    big = f.Outgoing(f.DeviceAddress(b"i", b"d"), b"x" * (f.MAX_PAYLOAD_SIZE + 1))
    with pytest.raises(MalformedData, match="longer than"):
        f.encode_frame(1, f.Send((big,)))


def test_body_as_checks_the_type() -> None:
    env = f.decode_frame(f.encode_frame(3, f.Ok()))
    assert f.body_as(env, f.Ok) == f.Ok()
    with pytest.raises(MalformedData, match="expected a sent frame, got ok"):
        f.body_as(env, f.Sent)


def test_auth_signing_bytes_bind_relay_nonce_and_device() -> None:
    dev = f.DeviceAddress(b"i" * 32, b"d" * 16)
    base = f.auth_signing_bytes(f.Challenge(b"n" * 32, "relay.example"), dev)
    assert base != f.auth_signing_bytes(f.Challenge(b"m" * 32, "relay.example"), dev)
    assert base != f.auth_signing_bytes(f.Challenge(b"n" * 32, "other.example"), dev)
    assert base != f.auth_signing_bytes(
        f.Challenge(b"n" * 32, "relay.example"), f.DeviceAddress(b"i" * 32, b"e" * 16)
    )
