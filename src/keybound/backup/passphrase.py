"""Backup passphrases: a generated one, grouped like the recovery code, or a strong typed one.

A passphrase backup is only as strong as its passphrase against an offline
guesser (the file can be copied anywhere), so weak ones are refused. The
estimate is deliberately simple and conservative: the character pool of the
classes used, counted over the characters that are not repeats or runs,
and it must reach 64 bits; a generated passphrase carries 150 bits.

The recovery code is not a backup key: it unlocks a vault, not a file.
"""

from __future__ import annotations

import math
import secrets

from keybound.errors import WeakPassphrase
from keybound.store.recovery import ALPHABET

GROUPS, GROUP_SIZE = 6, 5
MIN_BITS = 64
MIN_LENGTH = 12


def generate() -> str:
    """6 groups of 5 Crockford base32 characters (150 bits), e.g. ``7K2QM-9XA0B-...``."""
    return "-".join(
        "".join(secrets.choice(ALPHABET) for _ in range(GROUP_SIZE)) for _ in range(GROUPS)
    )


def estimated_bits(passphrase: str) -> float:
    pool = 0
    if any(c.islower() for c in passphrase):
        pool += 26
    if any(c.isupper() for c in passphrase):
        pool += 26
    if any(c.isdigit() for c in passphrase):
        pool += 10
    if any(not c.isalnum() for c in passphrase):
        pool += 33
    if any(ord(c) > 127 for c in passphrase):
        pool += 100
    effective = 0
    for i, ch in enumerate(passphrase):
        if i and (ch == passphrase[i - 1] or abs(ord(ch) - ord(passphrase[i - 1])) == 1):
            continue  # a repeat or a run ("aaaa", "abcd", "1234") adds next to nothing
        effective += 1
    return effective * math.log2(pool) if pool else 0.0


def check(passphrase: str) -> None:
    """Raise :class:`WeakPassphrase` (saying why) unless ``passphrase`` is strong enough."""
    if len(passphrase) < MIN_LENGTH:
        raise WeakPassphrase(
            f"The backup passphrase is too short: use at least {MIN_LENGTH} characters, "
            "a few unrelated words, or the generated passphrase."
        )
    if len(set(passphrase.lower())) < 6 or estimated_bits(passphrase) < MIN_BITS:
        raise WeakPassphrase(
            "The backup passphrase is too easy to guess: add more unrelated words or "
            "characters, or use the generated passphrase."
        )
