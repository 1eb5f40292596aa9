"""Entry points: ``keybound`` (the app without a subcommand, else subcommands) and
``keybound-relay``.

Errors meant for people are printed as one line; anything else is a bug and
is reported as such, with the traceback only when ``KEYBOUND_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Sequence

from . import __version__
from .commands.terminal import VisibleText
from .errors import UserFacingError
from .hardening import harden_process
from .paths import ENV_HOME, profile_dir


def build_parser() -> argparse.ArgumentParser:
    from .commands import (
        account,
        backup,
        chat,
        demo,
        gui,
        keys,
        listen,
        relay,
        repair,
        settings,
        simulate,
        token,
    )

    parser = argparse.ArgumentParser(
        prog="keybound",
        description="End-to-end encrypted messenger whose account is a hardware key.",
    )
    parser.add_argument("--version", action="version", version=f"keybound {__version__}")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help=f"profile directory (default: ${ENV_HOME}, else the per-user data directory)",
    )
    parser.add_argument(
        "--pin-fd",
        dest="global_pin_fd",
        type=int,
        metavar="N",
        help="read PINs from file descriptor N, one per line (never from argv or the environment)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    account.add_parser(sub)
    chat.add_parsers(sub)
    listen.add_parser(sub)
    relay.add_parser(sub)
    settings.add_parser(sub)
    repair.add_parser(sub)
    backup.add_parser(sub)
    backup.add_export_parser(sub)
    token_commands = token.add_parser(sub)
    simulate.add_parser(token_commands)
    keys.add_parsers(token_commands, sub)
    demo.add_parser(sub)
    gui.add_parser(sub)
    _no_abbreviations(parser)
    return parser


def _no_abbreviations(parser: argparse.ArgumentParser) -> None:
    """`--pin 1234` must not pass as an abbreviation of `--pin-fd 1234`."""
    parser.allow_abbrev = False
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _no_abbreviations(child)


def main(argv: Sequence[str] | None = None) -> int:
    harden_process()  # before any key or message is in memory
    from .commands.gui import link_argv

    parser = build_parser()
    args = parser.parse_args(link_argv(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if os.environ.get("KEYBOUND_DEBUG") != "1":
        # the engine closes what it cancels; this is the net for a person's terminal
        warnings.filterwarnings("ignore", message="coroutine .* was never awaited")
    real_out, real_err = sys.stdout, sys.stderr
    if not getattr(args, "json", False):
        sys.stdout = VisibleText(real_out)
    sys.stderr = VisibleText(real_err)
    try:
        return _main(parser, args)
    finally:
        sys.stdout, sys.stderr = real_out, real_err


def _main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        return _dispatch(parser, args)
    except UserFacingError as exc:
        print(f"keybound: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("keybound: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so, without a traceback unless asked
        if os.environ.get("KEYBOUND_DEBUG") == "1":
            traceback.print_exc()
        print(
            f"keybound: internal error ({type(exc).__name__}). "
            "Run again with KEYBOUND_DEBUG=1 for details and report it.",
            file=sys.stderr,
        )
        return 70


MESSENGER_COMMANDS = frozenset(
    {"invite", "contact", "send", "group", "timer", "history", "search", "devices", "download",
     "status", "unlock", "lock", "requests"}
)  # fmt: skip


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from .commands import (
        account,
        backup,
        chat,
        demo,
        gui,
        keys,
        listen,
        relay,
        repair,
        settings,
        simulate,
        token,
    )

    if args.command in (None, "gui"):  # `keybound` alone opens the app
        return gui.run(args, profile_dir(args.profile))
    if args.command == "init":
        return account.run(args, profile_dir(args.profile))
    if args.command == "relay":
        return relay.run(args, profile_dir(args.profile))
    if args.command == "settings":
        return settings.run(args, profile_dir(args.profile))
    if args.command == "listen":
        return listen.run(args, profile_dir(args.profile))
    if args.command == "repair":
        return repair.run(args, profile_dir(args.profile))
    if args.command == "backup":
        return backup.run(args, profile_dir(args.profile))
    if args.command == "export":
        return backup.run_export(args, profile_dir(args.profile))
    if args.command in MESSENGER_COMMANDS:
        return chat.run(args, profile_dir(args.profile))
    if args.command == "token":
        if args.token_command == "simulate":
            return simulate.run(args)
        if args.token_command in keys.TOKEN_COMMANDS:
            return keys.run(args, profile_dir(args.profile))
        return token.run(args, profile_dir(args.profile))
    if args.command == "recovery":
        return keys.run(args, profile_dir(args.profile))
    if args.command == "demo":
        return demo.run(args)
    parser.print_help()
    return 0


def relay_main(argv: Sequence[str] | None = None) -> int:
    """``keybound-relay``: the relay server (see ``keybound.relay.main``)."""
    from .relay.main import main as run_relay

    return run_relay(argv)


if __name__ == "__main__":
    sys.exit(main())
