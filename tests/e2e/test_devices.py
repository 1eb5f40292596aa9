"""A second device joins with the same card (two processes share it through pcscd),
sees new messages from both sides, and once removed receives nothing new."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .people import Person, befriend, eventually, has_message, make_person

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]  # many processes


def _alice_devices(person: Person, alice: Person, by_contact: bool) -> set[str]:
    if by_contact:
        [c] = [c for c in person.run("contact", "list", "--json").lines() if c["name"] == "alice"]
        return {d["device_id"] for d in c["devices"]}
    return {d["device_id"] for d in person.run("devices", "--json").lines() if not d["removed"]}


def test_a_second_device_joins_with_the_same_card_and_is_removed_again(
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
    alice.run("send", "bob", "before the laptop")

    (tmp_path / "alice-laptop").mkdir()
    laptop = Person("alice-laptop", tmp_path / "alice-laptop", alice.card)
    laptop.init(relay.url, join=True)
    assert laptop.identity == alice.identity and laptop.device != alice.device
    both = {alice.device, laptop.device}
    eventually(lambda: _alice_devices(alice, alice, False) == both, what="the desktop learns")
    eventually(lambda: _alice_devices(bob, alice, True) == both, what="bob learns")
    eventually(lambda: "bob" in laptop.run("contact", "list").out, what="contact sync")
    assert {d["name"] for d in laptop.run("devices", "--json").lines()} >= {"alice-laptop"}

    try:
        listener = laptop.listen()
        bob.run("send", "alice", "hello both")
        listener.wait(has_message("hello both"), 60, "bob's text on the laptop")
        eventually(lambda: "hello both" in alice.texts("bob"), what="bob's text on the desktop")
        alice.run("send", "bob", "from the desktop")
        own = listener.wait(has_message("from the desktop"), 60, "the desktop's text")
        assert own["outgoing"] and own["sender"] == alice.identity
        assert own["sender_device"] == alice.device
        laptop.run("send", "bob", "from the laptop", pins=None)  # through its listener
        eventually(lambda: "from the laptop" in bob.texts("alice"), what="bob gets it")
        eventually(lambda: "from the laptop" in alice.texts("bob"), what="the desktop gets it")

        # the laptop is lost: the desktop revokes it with the card
        alice.run("devices", "remove", laptop.device[:12])
        eventually(lambda: _alice_devices(bob, alice, True) == {alice.device}, what="bob")
        bob.run("send", "alice", "not for the lost laptop")
        eventually(lambda: "not for the lost laptop" in alice.texts("bob"), what="desktop")
        time.sleep(3)
        assert not [m for m in listener.messages() if m["body"] == "not for the lost laptop"]
    finally:
        laptop.stop_listeners()
    removed = alice.run("devices", "--json").lines()
    assert {d["device_id"]: d["removed"] for d in removed}[laptop.device] is True
    texts = laptop.run("history", "bob", "--json", expect=None)
    if texts.code == 0:  # it may have locked itself out for good once it saw its removal
        bodies = [m["body"] for m in texts.lines()]
        assert "from the laptop" in bodies and "not for the lost laptop" not in bodies
    else:
        assert texts.code in (1, 3), texts.err
