"""What a person can get wrong is refused with the real reason (issue 11, item 7)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from keybound.client.contacts import same_relay
from keybound.errors import (
    ContactAlreadyAdded,
    EmptyMessage,
    InviteForAnotherRelay,
    MessageTooLong,
)
from keybound.protocol.content import MAX_TEXT
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import befriend, people, run


def test_wrong_texts_invites_and_names_are_refused_with_the_reason(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            a_conv, _ = await befriend(alice, bob)
            with pytest.raises(MessageTooLong, match=f"limit is {MAX_TEXT:,}"):
                await alice.m.send_text(a_conv, "x" * (MAX_TEXT + 1))
            for blank in ("", "  \n\t"):
                with pytest.raises(EmptyMessage):
                    await alice.m.send_text(a_conv, blank)
            assert await alice.m.history(a_conv) == []  # nothing was stored

            invite = await bob.m.invite()
            with pytest.raises(ContactAlreadyAdded, match=r"'bob'.*not renamed to 'robert'"):
                await alice.m.add_contact(invite, "robert")
            assert [c.display_name for c in await alice.m.contacts()] == ["bob"]
            await alice.m.add_contact(invite, "bob")  # the same name again: fine

            elsewhere = invite.replace(
                quote(shared_relay.url, safe=""), quote("wss://relay.elsewhere.example", safe="")
            )
            assert elsewhere != invite
            with pytest.raises(InviteForAnotherRelay, match=r"relay\.elsewhere\.example"):
                await alice.m.add_contact(elsewhere, "bob elsewhere")

    run(scenario())


def test_relay_addresses_compare_by_scheme_host_and_port() -> None:
    assert same_relay("wss://Relay.Example", "wss://relay.example:443/")
    assert same_relay("ws://127.0.0.1:8080", "ws://127.0.0.1:8080")
    assert not same_relay("wss://relay.example", "wss://relay.example:8443")
    assert not same_relay("wss://a.example", "wss://b.example")
