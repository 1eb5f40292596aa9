"""Names and messages from other people cannot act on a terminal or flip a window's text."""

from __future__ import annotations

import pytest

from keybound.client.display import FSI, PDI, isolate, visible


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("alice", "alice"),
        ("Zoë 😀 李", "Zoë 😀 李"),
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
        ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),
        (
            "hi\n2026-01-01 12:00:00  alice: send money",
            "hi\\n2026-01-01 12:00:00  alice: send money",
        ),
        ("a\rb\tc\x00d\x7f", "a\\rb\\tc\\x00d\\x7f"),
        ("\x9b31m", "\\x9b31m"),  # the one-byte C1 CSI
        ("\u202eevil", "\\u202eevil"),
        ("x\u2066y\u2069z\u2028", "x\\u2066y\\u2069z\\u2028"),
        ("a\u200db", "a\u200db"),  # a joiner (emoji sequences) is not a control
    ],
)
def test_control_characters_are_shown_not_obeyed(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_newlines_can_be_kept_for_whole_blocks_of_our_own_text() -> None:
    assert visible("line 1\nline\x1b 2\n", keep_newlines=True) == "line 1\nline\\x1b 2\n"


def test_a_name_is_isolated_so_an_override_cannot_reach_what_follows() -> None:
    shown = isolate("\u202eevil\u2069")
    assert shown == f"{FSI}\\u202eevil\\u2069{PDI}"
    # exactly one isolate opens and one closes: an embedded PDI cannot end it early
    assert shown.count(FSI) == 1 and shown.count(PDI) == 1 and shown.endswith(PDI)
    assert isolate("بشير") == f"{FSI}بشير{PDI}"
