"""The canonical CBOR codec: one encoding per value, garbage always a MalformedData."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keybound.errors import MalformedData
from keybound.wire import cbor

scalars = st.none() | st.booleans() | st.integers(-(2**64) + 1, 2**64 - 1) | st.binary() | st.text()
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.integers(-1000, 1000) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


@given(values)
def test_round_trip(value: object) -> None:
    data = cbor.encode(value)
    assert cbor.decode(data) == value
    assert cbor.encode(cbor.decode(data)) == data


@given(values)
def test_the_fast_path_writes_what_the_canonical_encoder_writes(value: object) -> None:
    assert cbor.encode(value) == cbor2.dumps(value, canonical=True)


@given(st.dictionaries(st.integers(0, 300), st.integers(0, 30), min_size=2, max_size=6))
def test_integer_keys_out_of_order_are_not_canonical(m: dict[int, int]) -> None:
    backwards = dict(sorted(m.items(), reverse=True))
    with pytest.raises(MalformedData, match="canonical"):
        cbor.decode(cbor2.dumps(backwards))
    assert cbor.decode(cbor2.dumps(dict(sorted(m.items())))) == m


@given(st.binary(max_size=200))
def test_garbage_is_malformed_data_or_a_canonical_value(data: bytes) -> None:
    try:
        value = cbor.decode(data)
    except MalformedData:
        return
    assert cbor.encode(value) == data


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes.fromhex("1801"), "canonical"),  # 1 in a two-byte form
        (bytes.fromhex("a2616101616102"), "CBOR"),  # duplicate key "a"
        (bytes.fromhex("a2616201616101"), "canonical"),  # keys out of order
        (bytes.fromhex("a201010000"), "canonical"),  # integer keys out of order
        (bytes.fromhex("a2200100a0"), "canonical"),  # -1 before 0
        (bytes.fromhex("9f01ff"), "CBOR"),  # indefinite-length array
        (bytes.fromhex("0101"), "trailing"),
        (bytes.fromhex("c101"), "not allowed"),  # tag 1 (epoch date)
        (bytes.fromhex("f93c00"), "not allowed"),  # half float 1.0
        (b"", "empty"),
        (bytes.fromhex("81" * 40 + "01"), "deep"),
    ],
)
def test_rejections_name_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(MalformedData, match=reason):
        cbor.decode(data)


def test_size_limit() -> None:
    data = cbor.encode(b"x" * 100)
    with pytest.raises(MalformedData, match="limit"):
        cbor.decode(data, max_size=50)


def test_encode_refuses_floats_and_tags() -> None:
    with pytest.raises(MalformedData):
        cbor.encode({"x": 1.5})
    with pytest.raises(MalformedData):
        cbor.encode(cbor2.CBORTag(1, 0))


def test_typed_getters_name_the_field() -> None:
    m = cbor.decode_map(cbor.encode({1: 5, 2: b"ab", 3: "s", 4: [1], 5: True, 6: {}}))
    assert cbor.get_int(m, 1, min_value=0) == 5
    assert cbor.get_bytes(m, 2, size=2) == b"ab"
    assert cbor.get_str(m, 3) == "s"
    assert cbor.get_list(m, 4) == [1]
    assert cbor.get_bool(m, 5) is True
    assert cbor.get_map(m, 6) == {}
    with pytest.raises(MalformedData, match="missing field version"):
        cbor.get_int(m, 9, name="version")
    with pytest.raises(MalformedData, match="must be 3 bytes"):
        cbor.get_bytes(m, 2, size=3)
    with pytest.raises(MalformedData, match="must be an integer"):
        cbor.get_int(m, 5)
    with pytest.raises(MalformedData, match="unknown fields"):
        cbor.reject_unknown(m, {1, 2}, what="document")
