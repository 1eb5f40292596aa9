"""The age v1 header (C2SP age specification): stanzas, their encoding, and the header MAC.

Sans-I/O apart from reading lines from a binary stream. Parsing is strict,
as the specification and the CCTV vectors demand: LF line ends only,
canonical unpadded base64, 64-column body lines ending in one short line,
arguments of visible ASCII. A parse failure is :class:`BackupHeaderInvalid`;
a MAC failure is :class:`BackupTampered`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keybound.errors import BackupHeaderInvalid, BackupTampered

VERSION_LINE = b"age-encryption.org/v1\n"
_STANZA_PREFIX = b"-> "
_MAC_PREFIX = b"--- "
_BODY_COLUMNS = 64
_MAX_HEADER = 1024 * 1024  # far more than any real header; stops a runaway parse
FILE_KEY_SIZE = 16


@dataclass(frozen=True)
class Stanza:
    """One recipient stanza: its type, its arguments, and its (decoded) body."""

    type: str
    args: tuple[str, ...]
    body: bytes


@dataclass(frozen=True)
class Header:
    """A parsed header: the stanzas, the MAC, and the bytes the MAC covers."""

    stanzas: tuple[Stanza, ...]
    mac: bytes
    mac_input: bytes  # from the version line up to and including "---"


def b64encode(data: bytes) -> str:
    """Standard base64 without padding, as age writes it."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str | bytes, what: str = "a stanza") -> bytes:
    """Canonical unpadded base64 only: anything else is a header failure."""
    raw = text.encode("ascii") if isinstance(text, str) else text
    if b"=" in raw or b"\r" in raw or b"\n" in raw or len(raw) % 4 == 1:
        raise BackupHeaderInvalid(f"the base64 in {what} is not canonical")
    try:
        decoded = base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise BackupHeaderInvalid(f"the base64 in {what} is not canonical") from None
    if b64encode(decoded).encode("ascii") != raw:
        raise BackupHeaderInvalid(f"the base64 in {what} is not canonical")
    return decoded


def _header_key(file_key: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=b"", info=b"header").derive(file_key)


def header_mac(file_key: bytes, mac_input: bytes) -> bytes:
    mac = hmac.new(_header_key(file_key), mac_input, "sha256")
    return mac.digest()


def check_mac(header: Header, file_key: bytes) -> None:
    if not hmac.compare_digest(header_mac(file_key, header.mac_input), header.mac):
        raise BackupTampered()


def encode_stanza(stanza: Stanza) -> bytes:
    line = " ".join((stanza.type, *stanza.args)).encode("ascii")
    body = b64encode(stanza.body).encode("ascii")
    lines = [body[i : i + _BODY_COLUMNS] for i in range(0, len(body), _BODY_COLUMNS)]
    if not lines or len(lines[-1]) == _BODY_COLUMNS:
        lines.append(b"")  # a body always ends with a short (possibly empty) line
    return _STANZA_PREFIX + line + b"\n" + b"".join(part + b"\n" for part in lines)


def encode_header(stanzas: list[Stanza], file_key: bytes) -> bytes:
    """The complete header, MAC line included."""
    mac_input = VERSION_LINE + b"".join(encode_stanza(s) for s in stanzas) + b"---"
    mac = header_mac(file_key, mac_input)
    return mac_input + b" " + b64encode(mac).encode("ascii") + b"\n"


def _valid_arg(arg: bytes) -> bool:
    return bool(arg) and all(0x21 <= ch <= 0x7E for ch in arg)


class _Lines:
    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.consumed = bytearray()

    def next(self) -> bytes:
        line = self._source.readline(_MAX_HEADER - len(self.consumed) + 1)
        self.consumed += line
        if not line.endswith(b"\n") or len(self.consumed) > _MAX_HEADER:
            raise BackupHeaderInvalid("the header ends early")
        if b"\r" in line:
            raise BackupHeaderInvalid("a header line ends with CR")
        return line[:-1]


def read_header(source: BinaryIO) -> Header:
    """Read the header from ``source``, leaving it positioned at the payload nonce."""
    lines = _Lines(source)
    first = source.readline(len(VERSION_LINE))
    lines.consumed += first
    if first != VERSION_LINE:
        if first.startswith(b"age-encryption.org/"):
            raise BackupHeaderInvalid("it is an age file of an unsupported version")
        raise BackupHeaderInvalid("it is not an age file")
    stanzas: list[Stanza] = []
    while True:
        line = lines.next()
        if line.startswith(_MAC_PREFIX):
            mac_input = bytes(lines.consumed[: len(lines.consumed) - len(line) - 1]) + b"---"
            mac = b64decode(line[len(_MAC_PREFIX) :], "the header MAC")
            if len(mac) != 32:
                raise BackupHeaderInvalid("the header MAC has the wrong size")
            return Header(tuple(stanzas), mac, mac_input)
        if not line.startswith(_STANZA_PREFIX):
            raise BackupHeaderInvalid("a header line is neither a stanza nor the MAC")
        parts = line[len(_STANZA_PREFIX) :].split(b" ")
        if not all(_valid_arg(p) for p in parts):
            raise BackupHeaderInvalid("a stanza has an empty or invalid argument")
        body = bytearray()
        while True:
            body_line = lines.next()
            if len(body_line) > _BODY_COLUMNS:
                raise BackupHeaderInvalid("a stanza body line is too long")
            body += body_line
            if len(body_line) < _BODY_COLUMNS:
                break
        decoded = b64decode(bytes(body), "a stanza body")
        texts = [p.decode("ascii") for p in parts]
        stanzas.append(Stanza(texts[0], tuple(texts[1:]), decoded))
