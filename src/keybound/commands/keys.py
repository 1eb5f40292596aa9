"""`keybound token add/remove/keys` and `keybound recovery replace`: the keys of your account.

They act on the account (the profile), not on a token alone like the rest of
`keybound token`, so they reach the engine as the messenger commands do: this
process opens the profile (asking the PIN to unlock), or a running Keybound
does the work and asks its PINs where it runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from . import session

TOKEN_COMMANDS = frozenset({"add", "remove", "keys"})
SubParsers = argparse._SubParsersAction  # argparse exposes no public name for it


def add_parsers(
    token_commands: SubParsers[argparse.ArgumentParser],
    sub: SubParsers[argparse.ArgumentParser],
) -> None:
    """``token_commands``: the subcommands of `keybound token`; ``sub``: the top level."""
    keys = token_commands.add_parser(
        "keys", help="your identity's keys: kind, when added, plugged in now"
    )
    keys.add_argument("--json", action="store_true", help="one JSON object per line")
    add = token_commands.add_parser(
        "add",
        help="add the new key plugged in beside your current one as a spare key",
        description="Plug the spare key in next to a key of your identity (set it up first "
        "with `keybound token init`). PINs with --pin-fd, one per line: the PIN to unlock, "
        "your current key's PIN (to approve), the spare key's PIN.",
    )
    add.add_argument("--reader", help="the spare's PC/SC reader (when several keys are new)")
    add.add_argument("--serial", help="the spare's serial")
    add.add_argument("--kind", choices=["openpgp", "fido2"], help="the spare's kind")
    add.add_argument("--pin-fd", type=int, metavar="N", help="read PINs from file descriptor N")
    remove = token_commands.add_parser(
        "remove",
        help="remove a key from your identity and from this computer (never the last one)",
        description="PINs with --pin-fd, one per line: the PIN to unlock, then a present "
        "key's PIN to sign the change.",
    )
    remove.add_argument("token", metavar="ID", help="the key's ID or its start (`token keys`)")
    remove.add_argument("--pin-fd", type=int, metavar="N", help="read PINs from file descriptor N")
    recovery = sub.add_parser("recovery", help="the recovery code: `recovery replace`")
    rsub = recovery.add_subparsers(dest="recovery_command", required=True, metavar="COMMAND")
    replace = rsub.add_parser(
        "replace",
        help="make a new recovery code (shown once, typed back) and retire the old one",
        description="PINs with --pin-fd, one per line: the PIN to unlock, the new code as "
        "typed back, then a key's PIN to write it.",
    )
    replace.add_argument("--pin-fd", type=int, metavar="N", help="read PINs from file descriptor N")
    session.add_token_selector(replace)


def run(args: argparse.Namespace, profile: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    return session.run(lambda: _run(args, profile, out))


async def _run(args: argparse.Namespace, profile: Path, out: TextIO) -> int:
    # the selectors of `token add` name the spare; the current key is whichever is enrolled
    opening = argparse.Namespace(
        pin_fd=getattr(args, "pin_fd", None), global_pin_fd=args.global_pin_fd
    )
    if args.command == "recovery":
        opening = args
    async with session.target(profile, opening) as engine:
        if args.command == "recovery":
            return await _replace_recovery(engine, args, out)
        if args.token_command == "keys":
            tokens = await engine.call("tokens")
            _print_tokens(tokens, args.json, out)
        elif args.token_command == "add":
            _say_where(engine, "your current key's PIN, then the spare key's PIN")
            params = {k: getattr(args, k) for k in ("reader", "serial", "kind")}
            added = await engine.call("token.add", params)
            print(f"Added {added['label']} {added['token_id'][:16]} as a spare key.", file=out)
            print(
                "It unlocks Keybound on this computer and may sign for your identity; your "
                "contacts are asked to verify your keys again.",
                file=out,
            )
        else:
            removed = await engine.call("token.remove", {"token": args.token})
            print(f"Removed {removed['label']} {removed['token_id'][:16]}.", file=out)
    return session.EXIT_OK


def _say_where(engine: session.Target, what: str) -> None:
    if engine.via_daemon:
        print(f"The running Keybound asks for {what} where it runs. Waiting...", file=sys.stderr)


def _print_tokens(tokens: list[Any], as_json: bool, out: TextIO) -> None:
    for t in tokens:
        if as_json:
            session.emit_json(t, out)
            continue
        added = time.strftime("%Y-%m-%d", time.localtime(t["added_at"])) if t["added_at"] else "-"
        where = [
            "plugged in" if t["present"] else "not plugged in",
            "unlocks this computer" if t["in_vault"] else "not enrolled here",
        ]
        if not t["in_identity"]:
            where.append("not in your identity")
        print(f"{t['token_id'][:16]}  {t['label']:<20} added {added}  {', '.join(where)}", file=out)


async def _replace_recovery(engine: session.Target, args: argparse.Namespace, out: TextIO) -> int:
    code = (await engine.call("recovery.new"))["code"]
    print("Your new recovery code (write it down now; it is shown only this once):", file=out)
    print(f"    {code}", file=out)
    out.flush()
    typed = session.pin_source(args).ask("Type the new recovery code to confirm it")
    _say_where(engine, "a key's PIN")
    await engine.call("recovery.confirm", {"code": typed})
    print("The recovery code was replaced; the old one no longer opens Keybound.", file=out)
    return session.EXIT_OK
