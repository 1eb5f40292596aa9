"""`keybound token ...`: list, info, init, change-pin, selftest."""

from __future__ import annotations

import argparse
import hashlib
import secrets
import sys
import time
from pathlib import Path
from typing import TextIO

from ..errors import NoKeysOnToken, UserFacingError
from ..pins import CliPrompter, FdPins, PinSource, TerminalPins
from ..token.base import EnrollOptions, PinKind, Token, TokenInfo, TokenKind, TokenRef
from ..token.discovery import list_tokens, open_token, select
from ..token.registry import CredentialRegistry
from ..token.verify import verify
from ..token.worker import TokenWorker
from .session import emit_json

OPENPGP_DEFAULT_ADMIN_PIN = "12345678"


SubParsers = argparse._SubParsersAction  # argparse exposes no public name for it


def add_parser(
    subparsers: SubParsers[argparse.ArgumentParser],
) -> SubParsers[argparse.ArgumentParser]:
    """Add `token` and return its subcommands (``simulate`` joins them)."""
    token = subparsers.add_parser("token", help="hardware tokens: list, inspect, set up")
    commands = token.add_subparsers(dest="token_command", required=True, metavar="COMMAND")

    def with_selector(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--serial", help="the token's serial (see `token list`)")
        p.add_argument("--reader", help="the PC/SC reader or HID path")
        p.add_argument("--kind", choices=[k.value for k in TokenKind], help="openpgp or fido2")
        return p

    def with_pins(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--pin-fd",
            type=int,
            metavar="N",
            help="read PINs from file descriptor N, one per line, in the documented order",
        )
        return p

    listing = commands.add_parser("list", help="list present tokens")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    with_selector(commands.add_parser("info", help="show a token's state"))
    init = with_pins(
        with_selector(
            commands.add_parser(
                "init",
                help="create Keybound keys and set PINs on a blank token",
                description="PINs with --pin-fd, one per line: OpenPGP: current admin PIN "
                "(empty line for the factory default), new PIN, new admin PIN. FIDO2: the "
                "new PIN when none is set, otherwise the current PIN.",
            )
        )
    )
    init.add_argument("--force", action="store_true", help="replace keys already on the token")
    init.add_argument(
        "--no-uv",
        action="store_true",
        help="FIDO2: do not require the PIN for unlocking (touch only); fixed at enrollment",
    )
    change = with_pins(
        with_selector(
            commands.add_parser(
                "change-pin",
                help="change the PIN (or with --admin the OpenPGP admin PIN)",
                description="PINs with --pin-fd, one per line: current PIN, new PIN.",
            )
        )
    )
    change.add_argument("--admin", action="store_true", help="change the OpenPGP admin PIN")
    with_pins(
        with_selector(
            commands.add_parser(
                "selftest",
                help="sign and verify a test message and derive an unlock secret",
                description="PINs with --pin-fd, one per line, as the token asks for them.",
            )
        )
    )
    return commands


def _pins(args: argparse.Namespace) -> PinSource:
    fd = args.pin_fd if args.pin_fd is not None else getattr(args, "global_pin_fd", None)
    return FdPins(fd) if fd is not None else TerminalPins()


def _print_info(info: TokenInfo, out: TextIO) -> None:
    ref = info.ref
    tries = "unknown" if info.pin_retries is None else str(info.pin_retries)
    if info.admin_pin_retries is not None:
        tries += f" (admin PIN: {info.admin_pin_retries})"
    rows = [
        ("kind", f"{ref.kind} over {ref.transport}"),
        ("reader", ref.reader),
        ("serial", ref.serial or "-"),
        ("version", info.version),
        ("PIN set", "yes" if info.pin_set else "no"),
        ("PIN tries left", tries),
        ("Keybound keys", "yes" if info.has_keys else "no (run `keybound token init`)"),
        *info.details,
    ]
    print(ref.label, file=out)
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key + ':':<{width + 1}} {value}", file=out)


def run(args: argparse.Namespace, profile: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout  # looked up now: the CLI may have put a filter in front
    worker = TokenWorker()
    try:
        return _run(worker, args, profile, out)
    finally:
        worker.stop()


def _run(worker: TokenWorker, args: argparse.Namespace, profile: Path, out: TextIO) -> int:
    command = args.token_command
    refs = worker.call(list_tokens)
    if command == "list":
        if getattr(args, "json", False):
            for ref in refs:
                emit_json(_ref_json(ref), out)
            return 0
        if not refs:
            print("No security key or smartcard found.", file=out)
        for ref in refs:
            print(f"{ref.kind:<8} {ref.serial or '-':<16} {ref.reader}  {ref.label}", file=out)
        return 0
    kind = TokenKind(args.kind) if args.kind else None
    ref = select(refs, kind=kind, serial=args.serial, reader=args.reader)
    registry = CredentialRegistry(profile)
    pins = _pins(args) if command != "info" else TerminalPins()
    token = worker.call(open_token, ref, CliPrompter(pins), registry.credentials())
    try:
        if command == "info":
            _print_info(worker.call(token.info), out)
        elif command == "init":
            _init(worker, token, args, pins, registry, out)
        elif command == "change-pin":
            _change_pin(worker, token, args, pins, out)
        elif command == "selftest":
            _selftest(worker, token, out)
    finally:
        worker.call(token.close)
    return 0


def _init(
    worker: TokenWorker,
    token: Token,
    args: argparse.Namespace,
    pins: PinSource,
    registry: CredentialRegistry,
    out: TextIO,
) -> None:
    info = worker.call(token.info)
    if info.has_keys and not args.force:
        raise UserFacingError(
            f"{info.ref.label} already holds Keybound keys. Use --force to replace them "
            "(anything they protect becomes unreadable)."
        )
    if info.ref.kind is TokenKind.OPENPGP:
        current_admin = pins.ask("Current admin PIN (empty for the factory default 12345678)")
        options = EnrollOptions(
            current_admin_pin=current_admin or OPENPGP_DEFAULT_ADMIN_PIN,
            user_pin=pins.ask("New PIN (6 or more digits)", new=True),
            admin_pin=pins.ask("New admin PIN (8 or more digits)", new=True),
            force=args.force,
        )
    elif info.pin_set:
        options = EnrollOptions(
            current_user_pin=pins.ask("PIN of the security key"),
            force=args.force,
            user_verification=not args.no_uv,
        )
    else:
        options = EnrollOptions(
            user_pin=pins.ask("New PIN for the security key (4 or more)", new=True),
            force=args.force,
            user_verification=not args.no_uv,
        )
    print("Creating keys on the token; this can take a moment…", file=sys.stderr)
    public = worker.call(token.enroll, options)
    if info.ref.kind is TokenKind.FIDO2:
        registry.add(public)
    fingerprint = hashlib.sha256(public.key).hexdigest()[:32]
    print(f"Keys created on {info.ref.label}.", file=out)
    print(f"  signing key: {public.scheme}, fingerprint {fingerprint}", file=out)


def _change_pin(
    worker: TokenWorker, token: Token, args: argparse.Namespace, pins: PinSource, out: TextIO
) -> None:
    kind = PinKind.ADMIN if args.admin else PinKind.USER
    name = "admin PIN" if args.admin else "PIN"
    old = pins.ask(f"Current {name}")
    new = pins.ask(f"New {name}", new=True)
    worker.call(token.change_pin, old, new, kind)
    print(f"The {name} was changed.", file=out)


def _selftest(worker: TokenWorker, token: Token, out: TextIO) -> None:
    try:
        public = worker.call(token.public_key)
    except NoKeysOnToken:
        raise NoKeysOnToken(
            "This token has no Keybound keys yet. Run `keybound token init`."
        ) from None
    message = b"keybound selftest " + secrets.token_bytes(16)
    start = time.perf_counter()
    signature = worker.call(token.sign, message)
    signed = time.perf_counter()
    verify(public, message, signature)
    salt = secrets.token_bytes(32)
    first = worker.call(token.unlock_secret, salt)
    unlocked = time.perf_counter()
    second = worker.call(token.unlock_secret, salt)
    if first != second or len(first) != 32:
        raise UserFacingError("The token gave two different unlock secrets for the same salt.")
    print(f"Signature: made and verified ({(signed - start) * 1000:.0f} ms).", file=out)
    print(
        f"Unlock secret: stable for the same salt ({(unlocked - signed) * 1000:.0f} ms).", file=out
    )
    print("The token works.", file=out)


def _ref_json(ref: TokenRef) -> dict[str, str]:
    return {
        "kind": str(ref.kind),
        "transport": str(ref.transport),
        "reader": ref.reader,
        "serial": ref.serial,
        "label": ref.label,
    }
