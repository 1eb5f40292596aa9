"""Recovery codes: 140 random bits a person can write down, read aloud and type back.

Format: 7 groups of 5 characters, joined by dashes when shown, e.g.
``7K2QM-9XA0B-...``. Characters come from Crockford's base32 alphabet
(``0-9`` and ``A-Z`` without ``I L O U``), so no two look or sound alike.
In each group the first 4 characters carry data (20 bits; 28 data
characters, 140 bits in all) and the 5th is a check character.

The check character of group ``g`` (1..7) with data values ``v1..v4`` is
``a^1 v1 + a^2 v2 + a^3 v3 + a^4 v4 + a^5 g`` computed in GF(32) (polynomial
``x^5 + x^2 + 1``, ``a = x``). Because every weight is a distinct non-zero
power of ``a`` (whose order is 31), any single wrong character in a group,
any swap of two neighbouring characters (the check character included) and
any swap of two whole groups changes the check, so we can say which group
looks mistyped rather than just "wrong code".

On input, case, spaces and dashes do not matter, and ``I``/``L`` are read as
``1`` and ``O`` as ``0`` (Crockford's decoding rule).

The code is shown once, when it is made, and never stored: the keyslot file
only holds the master key wrapped under an Argon2id key derived from it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from ..errors import RecoveryCodeMistyped

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = 7
DATA_PER_GROUP = 4
GROUP_SIZE = DATA_PER_GROUP + 1
ENTROPY_BITS = GROUPS * DATA_PER_GROUP * 5
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = re.compile(r"[\s\-]+")


def _gf_mul(a: int, b: int) -> int:
    """Multiplication in GF(2^5) modulo x^5 + x^2 + 1."""
    product = 0
    for _ in range(5):
        if b & 1:
            product ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= 0b100101
    return product


def _power(n: int) -> int:
    result = 1
    for _ in range(n):
        result = _gf_mul(result, 2)
    return result


_WEIGHTS = tuple(_power(i) for i in range(1, GROUP_SIZE + 1))


def check_char(group: int, data: str) -> str:
    """The check character of 1-based ``group`` holding the 4 data characters ``data``."""
    total = _gf_mul(_WEIGHTS[DATA_PER_GROUP], group)
    for weight, char in zip(_WEIGHTS[:DATA_PER_GROUP], data, strict=True):
        total ^= _gf_mul(weight, _VALUE[char])
    return ALPHABET[total]


@dataclass(frozen=True)
class RecoveryCode:
    """A recovery code; ``repr`` hides it, ``text()`` is for showing it to its owner once."""

    data: str = field(repr=False)  # the 28 data characters

    def __post_init__(self) -> None:
        if len(self.data) != GROUPS * DATA_PER_GROUP or any(c not in _VALUE for c in self.data):
            raise ValueError("a recovery code has 28 data characters from the base32 alphabet")

    @classmethod
    def generate(cls) -> RecoveryCode:
        return cls("".join(secrets.choice(ALPHABET) for _ in range(GROUPS * DATA_PER_GROUP)))

    def groups(self) -> list[str]:
        chunks = [
            self.data[i : i + DATA_PER_GROUP] for i in range(0, len(self.data), DATA_PER_GROUP)
        ]
        return [chunk + check_char(g, chunk) for g, chunk in enumerate(chunks, start=1)]

    def text(self) -> str:
        """The code as shown and printed: groups joined by dashes."""
        return "-".join(self.groups())

    def kdf_input(self) -> bytes:
        """The bytes Argon2id stretches: the canonical text."""
        return self.text().encode("ascii")


def _mistyped(groups: list[int]) -> RecoveryCodeMistyped:
    if len(groups) == 1:
        message = f"Group {groups[0]} of the recovery code looks mistyped."
    else:
        names = ", ".join(map(str, groups[:-1])) + f" and {groups[-1]}"
        message = f"Groups {names} of the recovery code look mistyped."
    return RecoveryCodeMistyped(message + " Check it against the printed code.", tuple(groups))


def parse_recovery_code(typed: str) -> RecoveryCode:
    """Read a code as a person typed it; raise RecoveryCodeMistyped naming the bad groups."""
    text = typed.upper().translate(_ALIASES)
    compact = _SEPARATORS.sub("", text)
    total = GROUPS * GROUP_SIZE
    if len(compact) != total:
        chunks = [c for c in _SEPARATORS.split(text.strip()) if c]
        if len(chunks) == GROUPS:
            bad = [g for g, c in enumerate(chunks, start=1) if len(c) != GROUP_SIZE]
            if bad:
                raise _mistyped(bad)
        raise RecoveryCodeMistyped(
            f"A recovery code has {GROUPS} groups of {GROUP_SIZE} characters "
            f"({total} in all); this one has {len(compact)}."
        )
    groups = [compact[i : i + GROUP_SIZE] for i in range(0, total, GROUP_SIZE)]
    bad = [
        g
        for g, chunk in enumerate(groups, start=1)
        if any(c not in _VALUE for c in chunk)
        or check_char(g, chunk[:DATA_PER_GROUP]) != chunk[DATA_PER_GROUP]
    ]
    if bad:
        raise _mistyped(bad)
    return RecoveryCode("".join(chunk[:DATA_PER_GROUP] for chunk in groups))
