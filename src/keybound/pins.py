"""Where the command line gets PINs: the terminal, or a file descriptor.

Never from argv or the environment (both leak into process listings and
logs). With ``--pin-fd N`` the answers are read one per line, in the order
the command documents.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Protocol, TextIO

from .errors import OperationCancelled, PinRequired
from .token.base import TokenRef
from .token.prompter import PinRequest


class PinSource(Protocol):
    def ask(self, label: str, new: bool = False) -> str:
        """One PIN; ``new`` asks twice on a terminal. Raises if none can be had."""


class TerminalPins:
    def __init__(self, out: TextIO = sys.stderr) -> None:
        self._out = out

    def ask(self, label: str, new: bool = False) -> str:
        if not sys.stdin.isatty():
            raise PinRequired(f"{label}: no terminal to ask on. Use --pin-fd to pass PINs.")
        try:
            pin = getpass.getpass(f"{label}: ", stream=self._out)
            if new and getpass.getpass(f"{label} (again): ", stream=self._out) != pin:
                raise PinRequired("The two PINs did not match.")
        except (EOFError, KeyboardInterrupt):
            raise OperationCancelled() from None
        return pin


class FdPins:
    """PINs from an inherited file descriptor, one per line."""

    def __init__(self, fd: int) -> None:
        try:
            self._file = os.fdopen(fd, "r", closefd=False)
        except OSError:
            raise PinRequired(f"Cannot read PINs from file descriptor {fd}.") from None

    def ask(self, label: str, new: bool = False) -> str:
        line = self._file.readline()
        if not line:
            raise PinRequired(f"{label}: the PIN file descriptor has no more lines.")
        return line.rstrip("\r\n")


class CliPrompter:
    """The command line's Prompter: PINs from a PinSource, touch notes on stderr."""

    def __init__(self, pins: PinSource, out: TextIO = sys.stderr) -> None:
        self._pins = pins
        self._out = out

    def ask_pin(self, request: PinRequest) -> str | None:
        name = "Admin PIN" if request.kind == "admin" else "PIN"
        tries = "" if request.retries_left is None else f", {request.retries_left} tries left"
        return self._pins.ask(f"{name} for {request.token.label} to {request.purpose}{tries}")

    def touch_needed(self, token: TokenRef) -> None:
        print(f"Touch your security key ({token.label}) to confirm…", file=self._out, flush=True)

    def touch_done(self, token: TokenRef) -> None:
        return None
