"""ISO 7816-4 command and response APDUs: encoding, parsing, chaining.

Pure functions, shared by the card backends (which build commands) and the
virtual card (which parses them), so both sides agree byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from ..errors import TokenCommunicationError

SW_OK = 0x9000
MAX_SHORT_LC = 255
MAX_SHORT_LE = 256


@dataclass(frozen=True)
class CommandApdu:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None  # None: no Le field; 0 is never used, 256/65536 mean "all"
    extended: bool = False  # force the extended encoding

    def encode(self) -> bytes:
        header = bytes((self.cla, self.ins, self.p1, self.p2))
        ext = (
            self.extended
            or len(self.data) > MAX_SHORT_LC
            or (self.le is not None and self.le > MAX_SHORT_LE)
        )
        if not ext:
            body = b""
            if self.data:
                body += bytes((len(self.data),)) + self.data
            if self.le is not None:
                body += bytes((self.le % 256,))
            return header + body
        if len(self.data) > 65535:
            raise ValueError("APDU data too long")
        body = b"\x00"
        if self.data:
            body += len(self.data).to_bytes(2, "big") + self.data
        if self.le is not None:
            le = self.le % 65536
            body += le.to_bytes(2, "big")
        return header + body

    @classmethod
    def parse(cls, raw: bytes) -> CommandApdu:
        """Parse the four ISO cases, short and extended (raises ValueError)."""
        if len(raw) < 4:
            raise ValueError("APDU shorter than its header")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, b"", body[0] or 256)
        if body[0] != 0:  # short, Lc present
            lc = body[0]
            data = body[1 : 1 + lc]
            if len(data) != lc:
                raise ValueError("APDU shorter than its Lc")
            rest = body[1 + lc :]
            if not rest:
                return cls(cla, ins, p1, p2, data)
            if len(rest) == 1:
                return cls(cla, ins, p1, p2, data, rest[0] or 256)
            raise ValueError("trailing bytes after short APDU")
        # extended
        if len(body) == 3:
            le = int.from_bytes(body[1:3], "big") or 65536
            return cls(cla, ins, p1, p2, b"", le, extended=True)
        if len(body) < 3:
            raise ValueError("malformed extended APDU")
        lc = int.from_bytes(body[1:3], "big")
        data = body[3 : 3 + lc]
        if len(data) != lc or lc == 0:
            raise ValueError("APDU shorter than its Lc")
        rest = body[3 + lc :]
        if not rest:
            return cls(cla, ins, p1, p2, data, extended=True)
        if len(rest) == 2:
            le = int.from_bytes(rest, "big") or 65536
            return cls(cla, ins, p1, p2, data, le, extended=True)
        raise ValueError("trailing bytes after extended APDU")


@dataclass(frozen=True)
class ResponseApdu:
    data: bytes
    sw: int

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF

    def encode(self) -> bytes:
        return self.data + self.sw.to_bytes(2, "big")

    @classmethod
    def parse(cls, raw: bytes) -> ResponseApdu:
        if len(raw) < 2:
            raise TokenCommunicationError("The token sent a response too short to read.")
        return cls(raw[:-2], int.from_bytes(raw[-2:], "big"))


class ApduTransport(Protocol):
    """Sends one raw APDU, returns the raw response (data + SW1 SW2)."""

    @property
    def name(self) -> str: ...

    def transmit(self, apdu: bytes) -> bytes: ...

    def close(self) -> None: ...


def chained(command: CommandApdu, max_chunk: int = MAX_SHORT_LC) -> Iterator[CommandApdu]:
    """Split a command with long data into ISO command chaining (CLA bit 0x10)."""
    data = command.data
    if len(data) <= max_chunk:
        yield command
        return
    while len(data) > max_chunk:
        chunk, data = data[:max_chunk], data[max_chunk:]
        yield CommandApdu(command.cla | 0x10, command.ins, command.p1, command.p2, chunk)
    yield CommandApdu(command.cla, command.ins, command.p1, command.p2, data, command.le)


def exchange(
    transmit: Callable[[bytes], bytes],
    command: CommandApdu,
    *,
    use_extended: bool = False,
    before_each: Callable[[], None] | None = None,
) -> ResponseApdu:
    """Send a command (chained if long, unless extended), collect 61xx GET RESPONSE.

    ``before_each`` runs before every APDU (the cancel check).
    """
    pieces = [command] if use_extended else list(chained(command))
    response = ResponseApdu(b"", SW_OK)
    for piece in pieces:
        if before_each is not None:
            before_each()
        response = ResponseApdu.parse(transmit(piece.encode()))
        if piece is not pieces[-1] and response.sw != SW_OK:
            return response
    data = response.data
    while response.sw1 == 0x61:
        if before_each is not None:
            before_each()
        get_response = CommandApdu(0x00, 0xC0, 0x00, 0x00, le=response.sw2 or 256)
        response = ResponseApdu.parse(transmit(get_response.encode()))
        data += response.data
    return ResponseApdu(data, response.sw)
