"""`keybound gui` (and `keybound` alone): open the app's window for the profile.

A second start with the same profile raises the running window instead (through
the profile's daemon socket) and exits 0.
"""

from __future__ import annotations

import argparse
import importlib
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


def run(args: argparse.Namespace, profile: Path) -> int:
    # Loaded by name: the command line imports Qt only when a window is wanted, and the
    # import contract "only the GUI imports Qt" holds for every other command.
    app = importlib.import_module("keybound.gui.app")
    # The app runs the automatic backups while it is unlocked, as `keybound listen` does.
    options = Options(tokens=session.token_source(args), automatic_backups=True)
    code: int = app.run(profile, options)
    return code
