"""`keybound relay set URL`: move an existing profile to another relay (or fix a typo).

The relay is checked first (name, port, TLS certificate, protocol); nothing
changes unless it passes.  Opens the profile with the present token, so the
running Keybound (``listen`` or the app) must be closed first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from . import session


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("relay", help="the relay this profile uses")
    relay_sub = p.add_subparsers(dest="relay_command", metavar="COMMAND", required=True)
    s = relay_sub.add_parser(
        "set",
        help="check a relay and make it this profile's relay",
        description="Check the relay at URL and make it this profile's relay. PINs with "
        "--pin-fd: the token's PIN.",
    )
    s.add_argument("url", metavar="URL", help="the relay, wss://HOST:PORT")
    tls = s.add_mutually_exclusive_group()
    tls.add_argument(
        "--dev-tls", action="store_true", help="trust a self-signed certificate and pin it"
    )
    tls.add_argument("--tls-fingerprint", metavar="SHA256", help="pin this certificate")
    session.add_token_selector(s)


def run(args: argparse.Namespace, profile: Path, out: TextIO | None = None) -> int:
    return session.run(lambda: _set(args, profile, out or sys.stdout))


async def _set(args: argparse.Namespace, profile: Path, out: TextIO) -> int:
    from ..client.relay_probe import probe_relay

    tls_pin: str | bool = args.tls_fingerprint or bool(args.dev_tls)
    await probe_relay(args.url, tls_pin)  # before any PIN is asked
    messenger = await session.open_messenger(profile, args)
    try:
        probe = await messenger.change_relay(args.url, tls_pin)
    finally:
        await messenger.close()
    print(f"This profile now uses the relay {probe.url}.", file=out)
    if probe.fingerprint:
        how = "pinned" if probe.pinned else "trusted by this computer"
        print(f"Certificate SHA-256 {probe.fingerprint} ({how}).", file=out)
    return session.EXIT_OK
