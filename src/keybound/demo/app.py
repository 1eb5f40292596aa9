"""``scripts/demo``: two people, two windows, one relay, each with a virtual card.

Alice and Bob each get a fresh virtual card (in a vpcd reader of the real
pcscd, else in-process, and the demo says which), their own profile and an
account on a relay process on loopback; they are introduced to each other
and Bob says hello.  Then two app windows open side by side, each with a
small demo panel that pulls the card out, plugs it back in and grants a
touch, so the lock screen can be seen at work.  The PIN of both cards is
shown on the panel.

Without a display (or with ``--offscreen``) the demo still starts, says what
it does, plays one scripted round (unlock both, Alice writes, Bob receives,
Alice's card pulled out and her window locks, plugged back in and unlocked)
and exits 0; CI runs it that way.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from keybound.client.messenger import Messenger, Options
from keybound.demo.cards import (
    VPCD_PORT,
    DemoCard,
    InProcessCard,
    VpcdCard,
    hold_vpcd_readers,
    pcscd_readers,
)
from keybound.demo.relay import EmbeddedRelay
from keybound.errors import UserFacingError
from keybound.token.base import EnrollOptions, PinKind
from keybound.token.prompter import FixedPinPrompter

PIN = "123456"
ADMIN_PIN = "12345678"
ENROLL = EnrollOptions(user_pin=PIN, admin_pin=ADMIN_PIN, current_admin_pin="12345678")
WELCOME = "Hi Alice! Type something in your window and watch it arrive here."


@dataclass
class Person:
    name: str
    profile: Path
    card: DemoCard
    options: Options
    conversation: bytes = b""


def say(out: TextIO, text: str) -> None:
    print(f"demo: {text}", file=out, flush=True)


def make_cards(root: Path, out: TextIO) -> list[DemoCard]:
    if hold_vpcd_readers(out) is None:
        say(out, "the vpcd readers are busy: falling back to in-process virtual cards")
        return [InProcessCard(root / f"card-{n}.json", n) for n in ("alice", "bob")]
    readers = pcscd_readers()
    if isinstance(readers, str):
        say(out, f"{readers}: falling back to in-process virtual cards")
        return [InProcessCard(root / f"card-{n}.json", n) for n in ("alice", "bob")]
    cards: list[DemoCard] = []
    for slot, reader in enumerate(readers):
        cards.append(VpcdCard(root / f"card-{slot}.json", reader, VPCD_PORT + slot))
    say(out, f"virtual cards inserted into pcscd's readers {readers[0]!r} and {readers[1]!r}")
    return cards


async def introduce(people: Sequence[Person], relay_url: str, out: TextIO) -> None:
    """Accounts for both, each adds the other from their invite, Bob says hello."""
    prompter = FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: ADMIN_PIN})
    messengers: list[Messenger] = []
    try:
        for p in people:
            m, _code = await Messenger.create_account(
                p.profile, relay_url, prompter, display_name=p.name, enroll=ENROLL,
                options=p.options, device_name=f"{p.name}'s demo window",
            )  # fmt: skip
            messengers.append(m)
            await m.wait_online(30)
            say(out, f"{p.name}: account created on the card ({p.card.where})")
        a, b = messengers
        await a.add_contact(await b.invite(), people[1].name)
        await b.add_contact(await a.invite(), people[0].name)
        people[0].conversation = await a.direct_conversation(b.identity_id)
        people[1].conversation = await b.direct_conversation(a.identity_id)
        await b.send_text(people[1].conversation, WELCOME)
        for _ in range(200):
            if await a.history(people[0].conversation):
                break
            await asyncio.sleep(0.05)
        say(out, "alice and bob are introduced; bob said hello")
    finally:
        for m in messengers:
            await m.close()


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__)
    parser.add_argument("--offscreen", action="store_true", help="no display: one scripted round")
    parser.add_argument("--keep", action="store_true", help="keep the demo's files afterwards")
    args = parser.parse_args(argv)
    out = out or sys.stdout
    scripted = args.offscreen or not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if scripted:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        say(out, "no display (or --offscreen): one scripted round, then exit")
    root = Path(tempfile.mkdtemp(prefix="keybound-demo-"))
    say(out, f"files of this demo: {root}")
    relay = EmbeddedRelay(root / "relay")
    cards: list[DemoCard] = []
    try:
        relay.start()
        say(out, f"relay process listening on {relay.url}")
        cards = make_cards(root, out)
        people = [
            Person(name, root / f"profile-{name}", card, Options(tokens=card.source))
            for name, card in zip(("alice", "bob"), cards, strict=True)
        ]
        asyncio.run(introduce(people, relay.url, out))
        from keybound.demo.windows import run_windows  # Qt from here on

        return run_windows(people, PIN, scripted, out)
    except UserFacingError as exc:
        say(out, f"stopped: {exc}")
        return 1
    finally:
        for card in cards:
            card.close()
        relay.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def elapsed_ms(since: float) -> int:
    return int((time.monotonic() - since) * 1000)


Check = Callable[[], bool]


if __name__ == "__main__":
    sys.exit(main())
