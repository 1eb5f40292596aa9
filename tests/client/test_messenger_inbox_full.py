"""A recipient's full inbox on the relay is reported as such, not as "relay unreachable".

Issue 11 item 4: a stranger's flood filled Bob's queue and Bob's contacts were
told "the relay cannot be reached" (exit 4).  Here Alice fills her share of
offline Bob's queue on a real relay process: the next send names Bob's full
inbox (an error a person can act on, exit 1), and the message stays queued.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from keybound.client.daemon import Service
from keybound.client.send_wait import wait_sent
from keybound.client.values import MessageStatus
from keybound.commands.session import EXIT_USER, exit_code
from keybound.errors import RecipientInboxFull
from keybound.token.worker import TokenWorker

from .harness import befriend, create, run


def test_a_full_inbox_is_named_and_the_message_kept(
    relay_factory: Any, tmp_path: Path, worker: TokenWorker
) -> None:
    relay = relay_factory(args=["--max-sender-queue-messages", "2"])

    async def scenario() -> None:
        alice = await create(tmp_path, "alice", relay.url, worker)
        bob = await create(tmp_path, "bob", relay.url, worker)
        try:
            conv, _ = await befriend(alice, bob)
            bob_id = bob.m.identity_id
            await bob.close()  # offline: nothing is collected from his queue
            for text in ("one", "two"):
                mid = await alice.m.send_text(conv, text)
                assert await wait_sent(alice.m, mid, 15) is MessageStatus.SENT
            third = await alice.m.send_text(conv, "three")
            with pytest.raises(RecipientInboxFull) as caught:
                await wait_sent(alice.m, third, 15)
            assert str(caught.value).startswith("bob's inbox on the relay is full.")
            assert exit_code(caught.value) == EXIT_USER  # not 4, "the relay cannot be reached"
            kept = await alice.m.message(third)
            assert kept is not None and kept.status is MessageStatus.SENDING
            assert await alice.m.full_inboxes(third) == [bob_id]
            # the command path (CLI and daemon socket) says the same
            with pytest.raises(RecipientInboxFull):
                await Service(alice.m).call("send", {"to": "bob", "text": "four"})
        finally:
            await alice.close()

    run(scenario())
