"""`keybound gui [LINK]` (and `keybound` alone): open the app's window for the profile.

A second start with the same profile raises the running window instead (through
the profile's daemon socket) and exits 0.  With a keybound:// invite LINK (what
the desktop passes when such a link is clicked: the .desktop file's
`Exec=keybound gui %u`; `keybound LINK` works too) the window shows it in its
Add contact dialog, once unlocked.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from pathlib import Path

from ..client.messenger import Options
from . import session


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "gui",
        help="open the app (also what `keybound` alone does)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    session.add_token_selector(p)
    p.add_argument(
        "link", nargs="?", default="", metavar="LINK",
        help="a keybound:// invite link to open in the Add contact dialog",
    )  # fmt: skip


LINK_SCHEME = "keybound:"
_VALUED = frozenset({"--profile", "--pin-fd"})  # global options that take a value


def link_argv(argv: Sequence[str]) -> list[str]:
    """`keybound LINK` means `keybound gui LINK`: put the command in where it was left out.

    Only when the first word that is not an option (or an option's value) is a
    keybound: link; anything else is left for argparse to judge.
    """
    args = list(argv)
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            return args
        if word.startswith("-"):
            i += 2 if word in _VALUED else 1
            continue
        if word.lower().startswith(LINK_SCHEME):
            return [*args[:i], "gui", *args[i:]]
        return args
    return args


def run(args: argparse.Namespace, profile: Path) -> int:
    # Loaded by name: the command line imports Qt only when a window is wanted, and the
    # import contract "only the GUI imports Qt" holds for every other command.
    app = importlib.import_module("keybound.gui.app")
    link = str(getattr(args, "link", "") or "")
    # The app runs the automatic backups while it is unlocked, as `keybound listen` does.
    options = Options(tokens=session.token_source(args), automatic_backups=True)
    code: int = app.run(profile, options, link=link)
    return code
