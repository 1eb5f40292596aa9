"""The recovery code as the wizard shows it and checks it (pure logic, no Qt)."""

from __future__ import annotations

import secrets


def code_groups(code: str) -> list[str]:
    """The code's groups, as printed (the code is its groups joined by dashes)."""
    return [g for g in code.split("-") if g]


def groups_to_retype(count: int, rng: secrets.SystemRandom | None = None) -> tuple[int, int]:
    """Two different group numbers (1-based, ascending) the person must type again."""
    chooser = rng or secrets.SystemRandom()
    first, second = sorted(chooser.sample(range(1, count + 1), 2))
    return first, second


def normalize_group(typed: str) -> str:
    """What a person typed for one group, compared case- and space-insensitively."""
    return "".join(typed.split()).replace("-", "").upper()


def wrong_groups(code: str, asked: tuple[int, ...], typed: tuple[str, ...]) -> list[int]:
    """The asked group numbers whose retyped text does not match the code."""
    groups = code_groups(code)
    return [
        n for n, text in zip(asked, typed, strict=True) if normalize_group(text) != groups[n - 1]
    ]
