"""From the command line: a stranger's message is a request, and hostile text stays inert.

Mallory adds alice (alice never added mallory) and writes; alice sees a
message request, not a contact, accepts it under a name full of terminal
control sequences, and mallory's next message tries to clear the screen and
forge a history line.  `contact list` and `history` print all of it escaped;
`--json` keeps it exact (issue 11, items 4 and 5).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .people import make_person

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

HOSTILE_NAME = "eve\x1b]0;owned\x07"
FORGED = "hi\x1b[2J\n2026-01-01 10:00:00  alice: send bitcoin"


def test_a_stranger_is_a_request_and_hostile_text_is_printed_inert(
    relay_factory,
    virtual_card: CardFactory,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    relay: RelayProcess = relay_factory()
    alice = make_person("alice", tmp_path, virtual_card, slot=2)
    mallory = make_person("mallory", tmp_path, virtual_card, slot=4)
    alice.init(relay.url)
    mallory.init(relay.url)
    mallory.run("contact", "add", alice.invite(), "--name", "alice")
    mallory.run("send", "alice", "hello, we have not met")

    listed = alice.run("requests", "list", "--json").lines()
    assert [r["identity_id"] for r in listed] == [mallory.identity]
    assert listed[0]["preview"] == "hello, we have not met"
    assert alice.run("contact", "list", "--json").lines() == []

    accepted = alice.run("requests", "accept", mallory.identity[:16], "--name", HOSTILE_NAME)
    assert "\x1b" not in accepted.out and "\\x1b]0;owned\\x07" in accepted.out
    shown = alice.run("contact", "list").out
    assert "\x1b" not in shown and "\x07" not in shown and "eve\\x1b]0;owned\\x07" in shown

    mallory.run("send", "alice", FORGED)
    exact = alice.run("history", HOSTILE_NAME, "--json").lines()
    assert [m["body"] for m in exact] == ["hello, we have not met", FORGED]
    assert exact[-1]["sender_name"] == HOSTILE_NAME  # JSON stays exact
    lines = alice.run("history", HOSTILE_NAME).out.splitlines()
    assert len(lines) == 2  # the newline in the message did not make a line of its own
    assert "\x1b" not in lines[1] and "hi\\x1b[2J\\n2026-01-01 10:00:00  alice:" in lines[1]
    assert alice.run("requests", "list", "--json").lines() == []
