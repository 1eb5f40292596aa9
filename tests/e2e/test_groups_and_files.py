"""A group of three with a member removed, and a 20 MB file, all from the command line."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .people import befriend, eventually, make_person

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]  # many processes


def test_a_group_of_three_with_a_member_removed(
    relay_factory,
    virtual_card: CardFactory,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    relay: RelayProcess = relay_factory()
    alice = make_person("alice", tmp_path, virtual_card, slot=2)
    bob = make_person("bob", tmp_path, virtual_card, slot=4)
    carol = make_person("carol", tmp_path, virtual_card, slot=5)
    for p in (alice, bob, carol):
        p.init(relay.url)
    befriend(alice, bob)
    befriend(alice, carol)  # bob and carol never met: the group introduces them

    gid = alice.run("group", "create", "hikers", "bob", "carol").out.strip()
    assert len(gid) == 32
    members = {m["name"]: m["role"] for m in alice.run(
        "group", "members", "hikers", "--json").lines()}  # fmt: skip
    assert members == {"me": "admin", "bob": "member", "carol": "member"}
    alice.run("send", "hikers", "hello group")
    bob.run("send", "hikers", "hi from bob")  # bob learns of the group as he opens
    for p in (alice, bob, carol):
        eventually(
            lambda p=p: sorted(p.texts("hikers")) == ["hello group", "hi from bob"],
            what=f"{p.name} has both",
        )
    carol_view = carol.history("hikers")
    by_bob = next(m for m in carol_view if m["body"] == "hi from bob")
    assert by_bob["sender"] == bob.identity and by_bob["conversation_id"] == gid

    alice.run("group", "remove", "hikers", "carol")
    eventually(lambda: "carol" not in bob.run("group", "members", "hikers").out, what="bob sees it")
    alice.run("send", "hikers", "after carol left")
    bob.run("send", "hikers", "bob, also after")
    eventually(lambda: len(bob.texts("hikers")) == 4, what="bob has all four")
    eventually(lambda: len(alice.texts("hikers")) == 4, what="alice has all four")
    assert sorted(carol.texts("hikers")) == ["hello group", "hi from bob"]
    refused = carol.run("send", "hikers", "still here?", expect=1)
    assert "no longer a member" in refused.err
    # the changes are lines in everyone's history, as the CLI prints it
    lines = carol.run("history", "hikers").out.splitlines()
    assert any(line.endswith("-- alice created the group “hikers” --") for line in lines)
    assert lines[-1].endswith("-- alice removed you --")
    mine = alice.run("history", "hikers").out
    assert "-- You created the group “hikers” --" in mine and "-- You removed carol --" in mine
    assert "now called walkers" in alice.run("group", "rename", "hikers", "walkers").out
    assert "after 1 day" in alice.run("timer", "walkers", "1d").out
    eventually(
        lambda: (
            bob.run("history", "walkers", expect=None)  # the rename may not be in yet
            .out.rstrip()
            .endswith("-- alice set disappearing messages to 1 day --")
        ),
        what="bob sees the rename and the timer",
    )
    assert "-- alice renamed the group to “walkers” --" in bob.run("history", "walkers").out


def test_a_20_mb_file_arrives_intact(
    relay_factory,
    virtual_card: CardFactory,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    relay: RelayProcess = relay_factory()
    alice = make_person("alice", tmp_path, virtual_card, slot=2)
    bob = make_person("bob", tmp_path, virtual_card, slot=4)
    for p in (alice, bob):
        p.init(relay.url)
    befriend(alice, bob)
    original = tmp_path / "trail-map.bin"
    original.write_bytes(os.urandom(20 * 1024 * 1024))
    digest = hashlib.sha256(original.read_bytes()).hexdigest()

    mid = alice.run("send", "bob", "--file", str(original), timeout=180).out.strip()
    [msg] = eventually(lambda: bob.history("alice"), what="the file message")
    assert msg["message_id"] == mid and msg["content_type"] == "attachment"
    [att] = msg["attachments"]
    assert att["file_name"] == "trail-map.bin" and att["size"] == 20 * 1024 * 1024
    assert att["state"] == "remote"
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    got = bob.run("download", mid, "--out", str(downloads), timeout=180)
    saved = Path(got.out.strip())
    assert saved == downloads / "trail-map.bin"
    assert f"sha256 {digest}" in got.err
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == digest
    again = bob.run("download", mid, "--out", str(downloads), expect=1)
    assert "exists already" in again.err
    [msg] = bob.history("alice")
    assert msg["attachments"][0]["state"] == "local"
    # nothing of the file in clear on the relay
    relay.stop()
    sample = original.read_bytes()[1_000_000:1_000_064]
    for path in relay.data.rglob("*"):
        if path.is_file():
            assert sample not in path.read_bytes(), path.name
