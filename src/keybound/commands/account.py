"""`keybound init`: a new account on the present token, or a new device of one (`--join`).

The recovery code is printed once, to stdout, and stored nowhere: it is the
only way into the history without a token.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TextIO

from ..client.messenger import Messenger, Options
from ..client.relay_probe import probe_relay
from ..errors import UserFacingError
from ..pins import CliPrompter, PinSource
from ..token.base import EnrollOptions, TokenKind
from ..token.discovery import list_tokens, open_token, select
from ..token.registry import CredentialRegistry
from ..token.worker import TokenWorker
from . import backup, session
from .token import OPENPGP_DEFAULT_ADMIN_PIN

PUBLISH_TIMEOUT_S = 20.0

DESCRIPTION = """\
Create a Keybound account on the security key or smartcard that is plugged in
(a blank one gets keys and PINs first), or with --join add this computer as a
new device of the account the token already belongs to.

The relay is checked first (its name, port, TLS certificate and protocol); a
relay that fails is named with the cause and nothing is created. The account is
built aside and moved into the profile at the end, so if setup stops half way
(token pulled out, PINs running out), running the same command again works.

Each PIN is asked once. PINs with --pin-fd, one per line. A blank OpenPGP card:
current admin PIN (empty line for the factory default), new PIN, new admin
PIN; a blank FIDO2 key: its new PIN (or its current PIN if it has one). A
token that already has keys (for example from a setup that stopped half way):
its PIN. A token that already holds an identity on the relay is refused with
that identity named: use --join to add this computer to it.
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "init",
        help="create an account on the present token (or --join an existing one)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--relay", required=True, metavar="URL", help="the relay, wss://HOST:PORT")
    p.add_argument("--name", help="your name as contacts first see it (default: login name)")
    p.add_argument("--device-name", help="this computer's name among your devices")
    p.add_argument(
        "--join", action="store_true", help="add this computer to the token's existing account"
    )
    p.add_argument(
        "--identity",
        metavar="HEX",
        help="with --join: the identity ID, if the relay cannot find it",
    )
    p.add_argument(
        "--restore", metavar="FILE",
        help="with --join: then import the history from this backup (sessions are made anew)",
    )  # fmt: skip
    p.add_argument(
        "--passphrase-fd", type=int, metavar="N",
        help="with --restore: read the backup passphrase from file descriptor N",
    )  # fmt: skip
    tls = p.add_mutually_exclusive_group()
    tls.add_argument(
        "--dev-tls",
        action="store_true",
        help="the relay uses a self-signed certificate: trust it on first use and pin it",
    )
    tls.add_argument(
        "--tls-fingerprint", metavar="SHA256", help="pin this relay certificate fingerprint"
    )
    session.add_token_selector(p)


def run(args: argparse.Namespace, profile: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    worker = TokenWorker()
    try:
        return session.run(lambda: _init(args, profile, worker, out))
    finally:
        worker.stop()


async def _init(args: argparse.Namespace, profile: Path, worker: TokenWorker, out: TextIO) -> int:
    pins = session.pin_source(args)
    prompter = CliPrompter(pins)
    args.token_reader = session.reader_name(args.token_reader)
    tokens = session.token_source(args)
    options = Options(tokens=tokens, token_worker=worker)
    tls_pin: str | bool = args.tls_fingerprint or bool(args.dev_tls)
    if args.restore and not args.join:
        raise UserFacingError("--restore needs --join: a backup is restored onto a new device.")
    await probe_relay(args.relay, tls_pin)  # a bad relay is named before any PIN is asked
    if args.join:
        try:
            identity = bytes.fromhex(args.identity) if args.identity else None
        except ValueError:
            raise UserFacingError("--identity must be the identity ID in hexadecimal.") from None
        messenger, code = await Messenger.join_account(
            profile, args.relay, prompter, identity_id=identity, device_name=args.device_name,
            tls_pin=tls_pin, options=options,
        )  # fmt: skip
    else:
        enroll = await worker.run(_enrollment, args, profile, pins)
        messenger, code = await Messenger.create_account(
            profile, args.relay, prompter, display_name=args.name or _login_name(),
            device_name=args.device_name, enroll=enroll, tls_pin=tls_pin, options=options,
        )  # fmt: skip
    try:
        online = await session.published(messenger, PUBLISH_TIMEOUT_S)
        what = "This computer was added to your account." if args.join else "Account created."
        print(what, file=out)
        print(f"identity: {messenger.identity_id.hex()}", file=out)
        print(f"device:   {messenger.device_id.hex()}", file=out)
        print("", file=out)
        print("Recovery code (write it down now; it is shown only this once and opens", file=out)
        print("this computer's history if the security key is lost):", file=out)
        print("", file=out)
        print(f"    {code}", file=out)
        print("", file=out)
        out.flush()
        if args.restore:
            await backup.restore_after_join(messenger, args, out)
    finally:
        await messenger.close()
    if not online:
        print(
            "keybound: the relay cannot be reached; the account is published when Keybound "
            "next connects.",
            file=sys.stderr,
        )
        return session.EXIT_RELAY
    return session.EXIT_OK


def _login_name() -> str:
    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):
        return "me"


def _enrollment(args: argparse.Namespace, profile: Path, pins: PinSource) -> EnrollOptions | None:
    """PINs for a blank token (None when it already has Keybound keys); token worker thread."""
    kind = TokenKind(args.token_kind) if args.token_kind else None
    ref = select(list_tokens(), kind=kind, serial=args.token_serial, reader=args.token_reader)
    token = open_token(ref, CliPrompter(pins), CredentialRegistry(profile).credentials())
    try:
        info = token.info()
    finally:
        token.close()
    if info.has_keys:
        return None
    print(f"Setting up {ref.label} for Keybound.", file=sys.stderr)
    if ref.kind is TokenKind.OPENPGP:
        current = pins.ask("Current admin PIN (empty for the factory default 12345678)")
        return EnrollOptions(
            current_admin_pin=current or OPENPGP_DEFAULT_ADMIN_PIN,
            user_pin=pins.ask("New PIN (6 or more digits)", new=True),
            admin_pin=pins.ask("New admin PIN (8 or more digits)", new=True),
        )
    if info.pin_set:
        return EnrollOptions(current_user_pin=pins.ask("PIN of the security key"))
    return EnrollOptions(user_pin=pins.ask("New PIN for the security key (4 or more)", new=True))
