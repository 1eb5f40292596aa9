"""`keybound demo`: the token layer end to end on a virtual card in real pcscd.

Until the messenger's GUI exists this is what the README's first command runs:
a fresh virtual card (OpenPGP + FIDO2 applets) goes into vpcd slot 0, then
the same code paths a person's YubiKey or Nitrokey would take: list, set up,
sign and verify, unlock secret, a wrong PIN, and pulling the card out.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TextIO

from ..errors import TokenRemoved, UserFacingError, WrongPin
from ..token.base import EnrollOptions, PinKind, Token, TokenKind, TokenRef
from ..token.discovery import list_tokens, open_token, select
from ..token.monitor import PresenceEvent, TokenMonitor
from ..token.pcsc import PcscTransport, list_readers
from ..token.prompter import FixedPinPrompter
from ..token.sim import build_card
from ..token.sim.vpcd import VPCD_DEFAULT_PORT, VpcdLink
from ..token.verify import verify
from ..token.worker import TokenWorker

USER_PIN = "246810"
ADMIN_PIN = "24681012"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser("demo", help="show the token layer working on a virtual card")
    demo.add_argument("--port", type=int, default=VPCD_DEFAULT_PORT, help="vpcd port (slot 0)")


def _step(out: TextIO, text: str) -> None:
    print(f"\n== {text}", file=out, flush=True)


def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    list_readers()  # a clear error if pcscd is not running
    with tempfile.TemporaryDirectory(prefix="keybound-demo-") as tmp:
        card = build_card("both", Path(tmp) / "card.json")
        link = VpcdLink(card, port=args.port)
        events: list[tuple[float, PresenceEvent]] = []
        seen = threading.Event()

        def on_event(event: PresenceEvent) -> None:
            events.append((time.monotonic(), event))
            seen.set()

        monitor = TokenMonitor(on_event).start()
        worker = TokenWorker()
        try:
            _step(out, "Inserting a virtual card into the vpcd reader of pcscd")
            link.start()
            if not seen.wait(5):
                raise UserFacingError(
                    "pcscd did not see the virtual card. Is vsmartcard-vpcd set up?"
                )
            refs = worker.call(_wait_for_tokens)
            for ref in refs:
                print(f"  found {ref.kind:<8} {ref.label} in {ref.reader}", file=out)
            reader = events[-1][1].reader
            for kind in (TokenKind.OPENPGP, TokenKind.FIDO2):
                ref = select(refs, kind=kind, reader=reader)
                prompter = FixedPinPrompter({PinKind.USER: USER_PIN, PinKind.ADMIN: ADMIN_PIN})
                token = worker.call(open_token, ref, prompter)
                try:
                    _show_token(worker, token, kind, out)
                finally:
                    worker.call(token.close)
            _step(out, "Pulling the card out")
            seen.clear()
            pulled = time.monotonic()
            link.remove()
            if seen.wait(3):
                delay = events[-1][0] - pulled
                print(f"  the monitor noticed the removal after {delay * 1000:.0f} ms", file=out)
            try:
                worker.call(_select_openpgp, reader)
            except TokenRemoved as exc:
                print(f"  an operation now fails with: {exc}", file=out)
            print(
                "\nDemo complete: every step above went through pcscd like a real card.", file=out
            )
        finally:
            monitor.stop()
            worker.stop()
            link.stop()
    return 0


def _select_openpgp(reader: str) -> None:
    """One APDU to the (pulled) card, to show the error a person then gets."""
    PcscTransport(reader).transmit(bytes.fromhex("00a4040006d27600012401"))


def _wait_for_tokens(timeout: float = 5.0) -> list[TokenRef]:
    """Both applets of the new card (pcscd may need a poll to settle)."""
    deadline = time.monotonic() + timeout
    refs = list_tokens()
    while len(refs) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        refs = list_tokens()
    return refs


def _show_token(worker: TokenWorker, token: Token, kind: TokenKind, out: TextIO) -> None:
    name = "OpenPGP card" if kind is TokenKind.OPENPGP else "FIDO2 authenticator"
    _step(out, f"Setting up the {name}")
    options = (
        EnrollOptions(current_admin_pin="12345678", user_pin=USER_PIN, admin_pin=ADMIN_PIN)
        if kind is TokenKind.OPENPGP
        else EnrollOptions(user_pin=USER_PIN)
    )
    start = time.perf_counter()
    public = worker.call(token.enroll, options)
    print(
        f"  created a {public.scheme} key in {(time.perf_counter() - start) * 1000:.0f} ms",
        file=out,
    )
    message = b"hello from keybound " + secrets.token_bytes(8)
    start = time.perf_counter()
    signature = worker.call(token.sign, message)
    verify(public, message, signature)
    print(
        f"  signed and verified a message ({(time.perf_counter() - start) * 1000:.0f} ms)", file=out
    )
    salt = secrets.token_bytes(32)
    first = worker.call(token.unlock_secret, salt)
    second = worker.call(token.unlock_secret, salt)
    other = worker.call(token.unlock_secret, secrets.token_bytes(32))
    print(
        f"  unlock secret: same salt -> same 32 bytes: {first == second}; "
        f"other salt -> different: {first != other}",
        file=out,
    )
    try:
        worker.call(token.verify_pin, "000000")
    except WrongPin as exc:
        print(f"  a wrong PIN is refused: {exc}", file=out)
    worker.call(token.verify_pin, USER_PIN)
    info = worker.call(token.info)
    print(f"  the right PIN restores the counter: {info.pin_retries} tries left", file=out)
