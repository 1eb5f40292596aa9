"""ISO 7816-4 APDU encoding, parsing, chaining and GET RESPONSE collection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keybound.errors import TokenCommunicationError
from keybound.token.apdu import CommandApdu, ResponseApdu, chained, exchange

# ISO 7816-4 §5.1 cases, short and extended.
VECTORS = [
    (CommandApdu(0x00, 0xA4, 0x04, 0x00), "00a40400"),  # case 1
    (CommandApdu(0x00, 0xCA, 0x00, 0x6E, le=256), "00ca006e00"),  # case 2S, Le=256
    (CommandApdu(0x00, 0x20, 0x00, 0x81, b"123456"), "0020008106313233343536"),  # case 3S
    (
        CommandApdu(0x00, 0xA4, 0x04, 0x00, bytes.fromhex("d27600012401"), le=256),
        "00a4040006d2760001240100",
    ),  # case 4S
    (CommandApdu(0x00, 0xCA, 0x00, 0x6E, le=65536, extended=True), "00ca006e000000"),  # 2E
    (
        CommandApdu(0x00, 0x2A, 0x9E, 0x9A, b"\x01" * 300, le=65536),
        "002a9e9a00012c" + "01" * 300 + "0000",
    ),  # case 4E
]


@pytest.mark.parametrize(("apdu", "hexstr"), VECTORS)
def test_encode_and_parse_iso_cases(apdu: CommandApdu, hexstr: str) -> None:
    assert apdu.encode().hex() == hexstr
    parsed = CommandApdu.parse(bytes.fromhex(hexstr))
    assert (parsed.cla, parsed.ins, parsed.p1, parsed.p2, parsed.data, parsed.le) == (
        apdu.cla,
        apdu.ins,
        apdu.p1,
        apdu.p2,
        apdu.data,
        apdu.le,
    )


@pytest.mark.parametrize(
    "raw", ["00a4", "0020008106313233", "00200081023132333435", "002a9e9a0001"]
)
def test_parse_rejects_malformed(raw: str) -> None:
    with pytest.raises(ValueError, match="APDU"):
        CommandApdu.parse(bytes.fromhex(raw))


@given(
    data=st.binary(max_size=600),
    le=st.one_of(st.none(), st.integers(1, 65536)),
    ins=st.integers(0, 255),
)
def test_roundtrip_any_command(data: bytes, le: int | None, ins: int) -> None:
    apdu = CommandApdu(0x00, ins, 0x12, 0x34, data, le)
    parsed = CommandApdu.parse(apdu.encode())
    assert parsed.data == data
    assert parsed.le == le


def test_chaining_splits_long_data_and_keeps_le_on_the_last_piece() -> None:
    pieces = list(chained(CommandApdu(0x00, 0x2A, 0x80, 0x86, bytes(600), le=256)))
    assert [len(p.data) for p in pieces] == [255, 255, 90]
    assert [p.cla for p in pieces] == [0x10, 0x10, 0x00]
    assert pieces[-1].le == 256 and pieces[0].le is None


def test_exchange_collects_get_response() -> None:
    sent: list[bytes] = []
    replies = [bytes.fromhex("aabb6103"), bytes.fromhex("ccddee9000")]

    def transmit(raw: bytes) -> bytes:
        sent.append(raw)
        return replies.pop(0)

    response = exchange(transmit, CommandApdu(0x00, 0xCA, 0x00, 0x6E, le=256))
    assert response == ResponseApdu(bytes.fromhex("aabbccddee"), 0x9000)
    assert sent[1].hex() == "00c0000003"


def test_exchange_stops_chain_on_error() -> None:
    sent: list[bytes] = []

    def transmit(raw: bytes) -> bytes:
        sent.append(raw)
        return bytes.fromhex("6a80")

    response = exchange(transmit, CommandApdu(0x00, 0xDA, 0x00, 0xC1, bytes(300)))
    assert response.sw == 0x6A80 and len(sent) == 1


def test_response_too_short_is_a_clear_error() -> None:
    with pytest.raises(TokenCommunicationError, match="too short"):
        ResponseApdu.parse(b"\x90")
