"""`keybound settings show` lists the vault's settings; `keybound settings set KEY VALUE`
changes one.

The same settings as the app's settings pages (``client.settings.EDITABLE``),
checked the same way (``InvalidSetting`` says what is out of range).  Opens
the profile with the present token, so a running Keybound (``listen`` or the
app) must be closed first, as for ``keybound relay set``.  The theme, zoom
and language are the app's own (``window.ini``) and are not here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from ..client import settings as cfg
from ..errors import UserFacingError
from . import session

TRUE = ("on", "yes", "true", "1")
FALSE = ("off", "no", "false", "0")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("settings", help="show or change this profile's settings")
    cmds = p.add_subparsers(dest="settings_command", metavar="COMMAND", required=True)
    show = cmds.add_parser(
        "show",
        help="show the settings",
        description="Show the settings kept in the encrypted history. PINs with --pin-fd.",
    )
    show.add_argument("--json", action="store_true", help="one JSON object")
    session.add_token_selector(show)
    s = cmds.add_parser(
        "set",
        help="change one setting",
        description="Change one setting: " + ", ".join(sorted(cfg.EDITABLE)) + ". "
        f"Yes/no settings take {'/'.join(TRUE)} or {'/'.join(FALSE)}; notifications take "
        + "/".join(m.value for m in cfg.NotifyMode)
        + "; times are in seconds (0: off). PINs with --pin-fd.",
    )
    s.add_argument("key", metavar="KEY", choices=sorted(cfg.EDITABLE))
    s.add_argument("value", metavar="VALUE")
    session.add_token_selector(s)


def parse_value(key: str, text: str) -> bool | int | str:
    """``text`` as the type ``key`` holds (``UserFacingError`` naming the key otherwise)."""
    kind = cfg.EDITABLE[key]
    if kind is bool:
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise UserFacingError(f"{key} is on or off, not {text!r}.")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise UserFacingError(f"{key} is a whole number, not {text!r}.") from None
    if key in (cfg.DOWNLOAD_FOLDER, cfg.BACKUP_FOLDER) and text:
        return str(Path(text).expanduser().absolute())
    return text


def run(args: argparse.Namespace, profile: Path, out: TextIO | None = None) -> int:
    return session.run(lambda: _main(args, profile, out or sys.stdout))


async def _main(args: argparse.Namespace, profile: Path, out: TextIO) -> int:
    value = None
    if args.settings_command == "set":
        value = parse_value(args.key, args.value)  # before any PIN is asked
        cfg.check(args.key, value)
    messenger = await session.open_messenger(profile, args)
    try:
        if value is not None:
            await messenger.set_setting(args.key, value)
        shown = {key: await messenger.setting(key) for key in sorted(cfg.EDITABLE)}
    finally:
        await messenger.close()
    if value is not None:
        print(f"{args.key} = {_text(value)}", file=out)
    elif getattr(args, "json", False):
        session.emit_json(shown, out)
    else:
        for key, current in shown.items():
            print(f"{key:32} {_text(current)}", file=out)
    return session.EXIT_OK


def _text(value: bool | int | str) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
