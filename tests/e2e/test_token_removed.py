"""The card is pulled out while a message waits in the outbox: the listener locks,
commands through its socket say "locked" (exit 3), and after the card is back and
`keybound unlock` the message goes out."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .people import befriend, eventually, make_person

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]  # many processes


def test_pulling_the_card_locks_and_the_queued_message_goes_out_after_unlock(
    relay_factory,
    virtual_card: CardFactory,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    relay: RelayProcess = relay_factory()
    alice = make_person("alice", tmp_path, virtual_card, slot=2)
    bob = make_person("bob", tmp_path, virtual_card, slot=4)
    alice.init(relay.url)
    bob.init(relay.url)
    befriend(alice, bob)
    alice.run("send", "bob", "first")
    try:
        listener = alice.listen()
        relay.kill()
        listener.wait(lambda e: e["type"] == "connection" and e["state"] == "connecting")
        queued = alice.run("send", "bob", "sent as the card came out", "--timeout", "1",
                           pins=None, expect=4)  # fmt: skip
        mid = queued.out.strip()
        alice.card.remove()
        locked = listener.wait(lambda e: e["type"] == "locked", 20, "the lock")
        assert locked["reason"] == "token_removed"
        assert alice.run("status", "--json", pins=None).lines()[0]["locked"] is True
        refused = alice.run("history", "bob", pins=None, expect=3)
        assert "locked" in refused.err
        relay.start()
        assert bob.texts("alice") == ["first"]

        alice.card.insert()  # `listen` notices and unlocks by itself, asking on its PIN source
        listener.give_pin()
        listener.wait(lambda e: e["type"] == "unlocked", 30, "listen unlocks by itself")
        assert alice.run("unlock", pins=None).out.strip() == "unlocked"
        eventually(lambda: "sent as the card came out" in bob.texts("alice"), what="sent")
        listener.wait(
            lambda e: e["type"] == "status" and e["message_id"] == mid
            and e["status"] == "delivered", 60, "delivered",
        )  # fmt: skip
        assert bob.texts("alice") == ["first", "sent as the card came out"]
    finally:
        alice.stop_listeners()
