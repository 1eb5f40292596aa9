"""BER-TLV codec: multi-byte tags, long lengths, templates, malformed input."""

from __future__ import annotations

import pytest

from keybound.token.openpgp import tlv


@pytest.mark.parametrize(
    ("length", "encoded"),
    [
        (0, "00"),
        (0x7F, "7F"),
        (0x80, "8180"),
        (0xFF, "81FF"),
        (0x100, "820100"),
        (0x1234, "821234"),
    ],
)
def test_length_forms(length: int, encoded: str) -> None:
    assert tlv.encode_length(length) == bytes.fromhex(encoded)
    assert tlv.read_length(bytes.fromhex(encoded), 0) == (length, len(encoded) // 2)


@pytest.mark.parametrize(("tag", "encoded"), [(0x4F, "4F"), (0x5F52, "5F52"), (0x7F49, "7F49")])
def test_multi_byte_tags(tag: int, encoded: str) -> None:
    assert tlv.tag_bytes(tag) == bytes.fromhex(encoded)
    assert tlv.read_tag(bytes.fromhex(encoded) + b"\x00", 0) == (tag, len(encoded) // 2)


def test_three_byte_tag() -> None:
    assert tlv.read_tag(bytes.fromhex("5F8101"), 0) == (0x5F8101, 3)


def test_round_trip_long_value() -> None:
    value = bytes(range(256)) * 2
    encoded = tlv.encode(0x7F21, value)
    assert encoded[:5] == bytes.fromhex("7F21820200")
    assert tlv.parse(encoded) == [tlv.Tlv(0x7F21, value)]


def test_find_descends_into_templates_only() -> None:
    inner = tlv.encode_all(((0xC4, b"\x00\x7f"), (0xC5, b"fpr")))
    data = tlv.encode(0x6E, tlv.encode(0x4F, b"aid") + tlv.encode(0x73, inner))
    assert tlv.find(data, 0xC4) == b"\x00\x7f"
    assert tlv.find(data, 0x4F) == b"aid"
    assert tlv.find(data, 0xC9) is None
    # 5F52 is primitive: a C4-looking byte inside its value is not a tag
    assert tlv.find(tlv.encode(0x5F52, bytes.fromhex("C40100")), 0xC4) is None


def test_unwrap() -> None:
    assert tlv.unwrap(tlv.encode(0x6E, b"\x4f\x00"), 0x6E) == b"\x4f\x00"
    assert tlv.unwrap(b"\x4f\x00", 0x6E) == b"\x4f\x00"


@pytest.mark.parametrize(
    "bad",
    ["4F05AABB", "5F", "4F", "4F84000000010000", "4F8200", "7FFF"],
)
def test_malformed_raises_value_error(bad: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any ValueError is the contract
        tlv.parse(bytes.fromhex(bad))
