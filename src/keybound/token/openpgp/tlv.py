"""BER-TLV as the OpenPGP card uses it: multi-byte tags, long lengths.

Pure functions shared by the card backend (which parses what the card says)
and the virtual card (which builds it), so both sides agree byte for byte.
Malformed input raises ``ValueError``; callers turn that into their own error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes

    @property
    def constructed(self) -> bool:
        """Bit 6 of the first tag byte: the value is itself a list of TLVs."""
        return bool(_first_tag_byte(self.tag) & 0x20)


def _first_tag_byte(tag: int) -> int:
    return tag_bytes(tag)[0]


def tag_bytes(tag: int) -> bytes:
    """The tag as it is written: big-endian, as few bytes as it takes."""
    if tag < 0:
        raise ValueError("negative tag")
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big")


def encode_length(length: int) -> bytes:
    """Short form below 128, else 81 xx / 82 xx xx / 83 xx xx xx."""
    if length < 0:
        raise ValueError("negative length")
    if length < 0x80:
        return bytes((length,))
    size = (length.bit_length() + 7) // 8
    if size > 3:
        raise ValueError("length too large for a card")
    return bytes((0x80 | size,)) + length.to_bytes(size, "big")


def encode(tag: int, value: bytes) -> bytes:
    return tag_bytes(tag) + encode_length(len(value)) + value


def encode_all(items: Iterable[tuple[int, bytes]]) -> bytes:
    return b"".join(encode(tag, value) for tag, value in items)


def read_tag(data: bytes, offset: int) -> tuple[int, int]:
    """Read one tag at ``offset``; return (tag, offset after it)."""
    if offset >= len(data):
        raise ValueError("TLV ends before its tag")
    first = data[offset]
    tag = first
    offset += 1
    if first & 0x1F == 0x1F:  # more tag bytes follow, each with bit 8 = "more"
        while True:
            if offset >= len(data):
                raise ValueError("TLV ends inside a multi-byte tag")
            byte = data[offset]
            offset += 1
            tag = (tag << 8) | byte
            if not byte & 0x80:
                break
            if tag > 0xFFFFFFFF:
                raise ValueError("TLV tag too long")
    return tag, offset


def read_length(data: bytes, offset: int) -> tuple[int, int]:
    """Read one length at ``offset``; return (length, offset after it)."""
    if offset >= len(data):
        raise ValueError("TLV ends before its length")
    first = data[offset]
    offset += 1
    if first < 0x80:
        return first, offset
    size = first & 0x7F
    if size == 0 or size > 3:
        raise ValueError("unsupported TLV length form")
    if offset + size > len(data):
        raise ValueError("TLV ends inside its length")
    return int.from_bytes(data[offset : offset + size], "big"), offset + size


def parse(data: bytes) -> list[Tlv]:
    """All TLVs at the top level of ``data`` (not descending into templates)."""
    items: list[Tlv] = []
    offset = 0
    while offset < len(data):
        tag, offset = read_tag(data, offset)
        length, offset = read_length(data, offset)
        end = offset + length
        if end > len(data):
            raise ValueError("TLV value longer than the data")
        items.append(Tlv(tag, bytes(data[offset:end])))
        offset = end
    return items


def find(data: bytes, tag: int) -> bytes | None:
    """The value of the first ``tag``, searching depth-first into templates."""
    for item in parse(data):
        if item.tag == tag:
            return item.value
        if item.constructed:
            found = find(item.value, tag)
            if found is not None:
                return found
    return None


def unwrap(data: bytes, tag: int) -> bytes:
    """If ``data`` is exactly one ``tag`` TLV, its value; else ``data`` itself.

    GET DATA of a template returns the template with its tag (``6E ...``);
    this lets callers accept either form.
    """
    try:
        items = parse(data)
    except ValueError:
        return data
    if len(items) == 1 and items[0].tag == tag:
        return items[0].value
    return data
