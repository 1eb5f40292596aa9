"""Bech32 (BIP 173), the text encoding of age recipients and identities.

An encoding, not cryptography: ``age1...`` recipient strings for a person's
own use with stock age, and ``AGE-SECRET-KEY-1...`` identities in tests. As
in age, the 90-character limit of BIP 173 does not apply.
"""

from __future__ import annotations

from keybound.errors import MalformedData

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_GEN):
            chk ^= gen if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or (acc << (to_bits - bits)) & maxv:
        raise MalformedData("a bech32 string has invalid padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    values = _convert(data, 8, 5, True)
    polymod = _polymod([*_hrp_expand(hrp), *values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[v] for v in values + checksum)


def decode(text: str) -> tuple[str, bytes]:
    """(human-readable part, data); upper or lower case, never mixed."""
    if text.lower() != text and text.upper() != text:
        raise MalformedData("a bech32 string mixes upper and lower case")
    lowered = text.lower()
    pos = lowered.rfind("1")
    if pos < 1 or pos + 7 > len(lowered):
        raise MalformedData("a bech32 string has no separator or checksum")
    hrp, rest = lowered[:pos], lowered[pos + 1 :]
    if any(c not in _CHARSET for c in rest):
        raise MalformedData("a bech32 string has an invalid character")
    values = [_CHARSET.index(c) for c in rest]
    if _polymod(_hrp_expand(hrp) + values) != 1:
        raise MalformedData("a bech32 checksum does not match")
    return hrp, bytes(_convert(values[:-6], 5, 8, False))
