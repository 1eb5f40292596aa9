"""Recovery codes: format, tolerant parsing, and a checksum that names the mistyped group."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keybound.errors import RecoveryCodeMistyped
from keybound.store.recovery import (
    ALPHABET,
    ENTROPY_BITS,
    GROUP_SIZE,
    GROUPS,
    RecoveryCode,
    parse_recovery_code,
)

codes = st.text(alphabet=ALPHABET, min_size=28, max_size=28).map(RecoveryCode)


def test_generated_codes_look_right() -> None:
    assert ENTROPY_BITS >= 128
    seen = set()
    for _ in range(50):
        code = RecoveryCode.generate()
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){6}", code.text())
        assert parse_recovery_code(code.text()) == code
        seen.add(code.data)
    assert len(seen) == 50
    assert code.data not in repr(code)
    assert code.text() not in str(code)


@given(codes, st.data())
def test_round_trip_ignores_case_spaces_and_dashes(code: RecoveryCode, data: st.DataObject) -> None:
    typed = ""
    for char in code.text().replace("-", ""):
        typed += data.draw(st.sampled_from(["", " ", "-", "  ", " - "]))
        typed += data.draw(st.sampled_from([char, char.lower()]))
    assert parse_recovery_code(typed) == code


def test_crockford_aliases_are_read_as_digits() -> None:
    code = RecoveryCode("0011" * 7)
    typed = code.text().replace("0", "o", 2).replace("1", "I", 1).replace("1", "l", 1)
    assert typed != code.text()
    assert parse_recovery_code(typed) == code


@settings(max_examples=15, deadline=None)
@given(codes)
def test_every_single_character_typo_names_its_group(code: RecoveryCode) -> None:
    compact = code.text().replace("-", "")
    for position, original in enumerate(compact):
        for wrong in ALPHABET.replace(original, "") + "U*":
            typed = compact[:position] + wrong + compact[position + 1 :]
            with pytest.raises(RecoveryCodeMistyped) as caught:
                parse_recovery_code(typed)
            assert caught.value.groups == (position // GROUP_SIZE + 1,)
            assert f"Group {position // GROUP_SIZE + 1} " in str(caught.value)


@settings(max_examples=30)
@given(codes)
def test_neighbour_swaps_and_group_swaps_are_caught(code: RecoveryCode) -> None:
    groups = code.groups()
    for g, group in enumerate(groups):
        for i in range(GROUP_SIZE - 1):
            if group[i] != group[i + 1]:
                swapped = group[:i] + group[i + 1] + group[i] + group[i + 2 :]
                typed = "-".join([*groups[:g], swapped, *groups[g + 1 :]])
                with pytest.raises(RecoveryCodeMistyped) as caught:
                    parse_recovery_code(typed)
                assert caught.value.groups == (g + 1,)
    if groups[0][:4] != groups[1][:4]:
        with pytest.raises(RecoveryCodeMistyped) as caught:
            parse_recovery_code("-".join([groups[1], groups[0], *groups[2:]]))
        assert caught.value.groups == (1, 2)
        assert "Groups 1 and 2 " in str(caught.value)


def test_wrong_length_is_explained() -> None:
    code = RecoveryCode.generate()
    compact = code.text().replace("-", "")
    with pytest.raises(
        RecoveryCodeMistyped, match=r"7 groups of 5 characters \(35 in all\); .* 34"
    ):
        parse_recovery_code(compact[:-1])
    with pytest.raises(RecoveryCodeMistyped, match="Group 7 ") as caught:
        parse_recovery_code(code.text()[:-1])
    assert caught.value.groups == (7,)
    with pytest.raises(RecoveryCodeMistyped, match="this one has 0"):
        parse_recovery_code("  ")
    short_third = code.groups()
    short_third[2] = short_third[2][:4]
    with pytest.raises(RecoveryCodeMistyped, match="Group 3 ") as caught:
        parse_recovery_code(" ".join(short_third))
    assert caught.value.groups == (3,)


def test_codes_must_be_well_formed() -> None:
    for bad in ("", "0" * 27, "U" * 28, "0" * 29):
        with pytest.raises(ValueError, match="28 data characters"):
            RecoveryCode(bad)
    assert GROUPS * (GROUP_SIZE - 1) == 28
