"""`keybound token simulate`: a virtual card in a vpcd reader of the real pcscd.

Runs in the foreground until stopped (Ctrl-C, SIGTERM, or `quit`). Lines on
stdin control it, so a test or a person can pull the card and touch it:

    remove | insert | touch | presence grant|deny|wait|delay SECONDS | quit

It answers each with one line on stdout (`removed`, `inserted`, `ok ...`).
A test and demo device only: its keys sit in a plain state file.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

from ..errors import UserFacingError
from ..token.sim import SimKind, build_card
from ..token.sim.presence import PresenceMode
from ..token.sim.vpcd import VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT, VpcdLink


def add_parser(token_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sim = token_commands.add_parser(
        "simulate",
        help="run a virtual test card in a vpcd reader (tests and demos only)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sim.add_argument("--kind", choices=[k.value for k in SimKind], default=SimKind.BOTH.value)
    sim.add_argument("--state", type=Path, required=True, help="state file (created if missing)")
    sim.add_argument("--reader", type=int, default=0, help="vpcd slot: 0 is port 35963, 1 is 35964")
    sim.add_argument("--port", type=int, default=VPCD_DEFAULT_PORT, help="vpcd base port")
    sim.add_argument("--host", default=VPCD_DEFAULT_HOST)
    sim.add_argument(
        "--presence",
        choices=[m.value for m in PresenceMode],
        default=PresenceMode.GRANT.value,
        help="how the simulated user answers touch requests",
    )


def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    try:
        card = build_card(args.kind, args.state)
    except (ValueError, OSError) as exc:
        raise UserFacingError(f"Cannot load the virtual card state {args.state}: {exc}") from None
    card.presence.set(PresenceMode(args.presence))
    port = args.port + args.reader
    link = VpcdLink(card, args.host, port)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    link.start()
    connected = link.wait_connected(10)
    status = "connected" if connected else "waiting for pcscd/vpcd"
    print(f"ready {args.kind} card on vpcd {args.host}:{port} ({status})", file=out, flush=True)
    threading.Thread(target=_control, args=(card, link, stop, out), daemon=True).start()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        link.stop()
    return 0


def _control(card: object, link: VpcdLink, stop: threading.Event, out: TextIO) -> None:
    from ..token.sim.card import VirtualCard

    assert isinstance(card, VirtualCard)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command, rest = words[0], words[1:]
        if command == "remove":
            link.remove()
            reply = "removed"
        elif command == "insert":
            link.insert()
            reply = "inserted" if link.wait_connected(10) else "insert failed"
        elif command == "touch":
            card.presence.touch()
            reply = "touched"
        elif command == "presence" and rest and rest[0] in {m.value for m in PresenceMode}:
            delay = float(rest[1]) if len(rest) > 1 else 0.0
            card.presence.set(PresenceMode(rest[0]), delay)
            reply = f"ok presence {rest[0]}"
        elif command == "quit":
            stop.set()
            reply = "bye"
        else:
            reply = f"unknown command {command!r}"
        print(reply, file=out, flush=True)
    # stdin closed (e.g. CI without stdin): keep running until signalled
