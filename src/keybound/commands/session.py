"""How a messenger command reaches the engine, and the exit codes scripts rely on.

A command first tries to take the profile itself (``Messenger.open``: lock,
then unlock with the present token).  When another Keybound process holds
the profile (``keybound listen``, the GUI), it acts through that process's
socket instead (``keybound.client.daemon``), so no PIN is asked and no second
relay connection is made.  When the holder is a short-lived command with no
socket, it waits for it to finish (a few seconds at most, normally).

Exit codes: 0 ok, 1 an error a person can fix (message on stderr), 2 usage,
3 locked (token missing, wrong PIN, locked), 4 relay unreachable (what was
sent is queued and goes out later), 70 internal error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol, TextIO

from ..client import settings as cfg
from ..client.daemon import (
    INTERNAL,
    LOCKED,
    RELAY,
    DaemonClient,
    DaemonUnavailable,
    Service,
    error_kind,
    remove_stale,
)
from ..client.daemon_json import Json
from ..client.link import LinkState
from ..client.messenger import Messenger, Options
from ..client.tokens import PresentTokens
from ..errors import ProfileInUse, RelayUnavailable, UserFacingError
from ..pins import CliPrompter, FdPins, PinSource, TerminalPins
from ..token.base import TokenKind

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_LOCKED, EXIT_RELAY, EXIT_INTERNAL = 0, 1, 2, 3, 4, 70
LOCK_WAIT_S = 60.0  # how long to wait for a short-lived command that holds the profile

_CODES = {LOCKED: EXIT_LOCKED, RELAY: EXIT_RELAY, INTERNAL: EXIT_INTERNAL}


def exit_code(exc: BaseException) -> int:
    return _CODES.get(error_kind(exc), EXIT_USER)


def pin_source(args: argparse.Namespace) -> PinSource:
    """One per command: a second reader of the same fd would read ahead of the first."""
    cached: PinSource | None = getattr(args, "_pin_source", None)
    if cached is not None:
        return cached
    fd = getattr(args, "pin_fd", None)
    if fd is None:
        fd = getattr(args, "global_pin_fd", None)
    source: PinSource = FdPins(fd) if fd is not None else TerminalPins()
    args._pin_source = source
    return source


def token_source(args: argparse.Namespace) -> PresentTokens:
    kind = getattr(args, "token_kind", None)
    return PresentTokens(
        kind=TokenKind(kind) if kind else None,
        serial=getattr(args, "token_serial", None),
        reader=reader_name(getattr(args, "token_reader", None)),
    )


def reader_name(value: str | None) -> str | None:
    """``--reader``: a reader's name as ``token list`` prints it, or its number (0 is the
    first PC/SC reader; the vpcd slot ``token simulate --reader`` uses, for the first pair)."""
    if value is None or not value.strip().isdigit():
        return value
    from ..token.pcsc import list_readers

    readers = list_readers()
    index = int(value)
    if index >= len(readers):
        raise UserFacingError(
            f"There is no reader {index}: this computer has {len(readers)} PC/SC reader(s) "
            "(numbered from 0)."
        )
    return readers[index]


def add_token_selector(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reader",
        dest="token_reader",
        help="use the token in this reader: its name (as `token list` prints) or number (0, 1, ..)",
    )
    parser.add_argument("--serial", dest="token_serial", help="use the token with this serial")
    parser.add_argument(
        "--kind", dest="token_kind", choices=[k.value for k in TokenKind], help="openpgp or fido2"
    )


# --- reaching the engine -----------------------------------------------------------------------


class Target(Protocol):
    via_daemon: bool

    async def call(self, op: str, args: dict[str, Any] | None = None) -> Json: ...

    async def close(self) -> None: ...


class Direct:
    """This process holds the profile: a Messenger of its own, for one command."""

    via_daemon = False

    def __init__(self, messenger: Messenger, err: TextIO) -> None:
        self.m = messenger
        self.service = Service(messenger)
        self._err = err

    async def call(self, op: str, args: dict[str, Any] | None = None) -> Json:
        return await self.service.call(op, args or {})

    async def catch_up(
        self, online_s: float = 5.0, quiet_s: float = 0.5, limit_s: float = 8.0
    ) -> None:
        """Take in what the relay holds for us before showing the history."""
        stream = self.m.events()
        try:
            try:
                await self.m.wait_online(online_s)
            except RelayUnavailable:
                print(
                    "keybound: the relay cannot be reached; showing what is stored here.",
                    file=self._err,
                )
                return
            deadline = asyncio.get_running_loop().time() + limit_s
            while asyncio.get_running_loop().time() < deadline:
                try:
                    await stream.next(timeout=quiet_s)
                except TimeoutError:
                    break
        finally:
            stream.close()

    async def close(self, linger_s: float = 5.0) -> None:
        """Give queued envelopes (receipts, key shares) a moment to leave, then close."""
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + linger_s
            while (
                not self.m.locked
                and self.m.connection.state is LinkState.ONLINE
                and loop.time() < deadline
                and await self.m.pending_count() > 0
            ):
                await asyncio.sleep(0.05)
        except UserFacingError:
            pass
        finally:
            await self.m.close()


class Remote:
    """Another process holds the profile: act through its socket."""

    via_daemon = True

    def __init__(self, client: DaemonClient) -> None:
        self.client = client

    async def call(self, op: str, args: dict[str, Any] | None = None) -> Json:
        try:
            return await self.client.call(op, args)
        except DaemonUnavailable:
            raise UserFacingError(
                "The Keybound process holding this profile went away during the request."
            ) from None

    async def close(self) -> None:
        await self.client.close()


async def open_messenger(profile: Path, args: argparse.Namespace, **options: Any) -> Messenger:
    prompter = CliPrompter(pin_source(args))
    return await Messenger.open(
        profile, prompter, options=Options(tokens=token_source(args), **options)
    )


async def open_target(
    profile: Path, args: argparse.Namespace, *, catch_up: bool = False, err: TextIO | None = None
) -> Target:
    """The engine for this profile: our own, or the running Keybound's."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LOCK_WAIT_S
    while True:
        try:
            messenger = await open_messenger(profile, args)
        except ProfileInUse:
            try:
                return Remote(await DaemonClient.connect(profile))
            except DaemonUnavailable:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.1)
                continue
        remove_stale(profile)  # we hold the lock: any socket file left is a dead one's
        direct = Direct(messenger, err or sys.stderr)
        if catch_up:
            await direct.catch_up()
        return direct


@contextlib.asynccontextmanager
async def target(profile: Path, args: argparse.Namespace, *, catch_up: bool = False) -> Any:
    t = await open_target(profile, args, catch_up=catch_up)
    try:
        yield t
    finally:
        await t.close()


# --- running -------------------------------------------------------------------------------------


def run(main: Callable[[], Coroutine[Any, Any, int]], err: TextIO | None = None) -> int:
    """Run one command's coroutine; map errors to the exit codes above.

    SIGTERM is handled like Ctrl-C: the coroutine is cancelled and cleans up.
    """

    async def guarded() -> int:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            return await main()
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    err = err or sys.stderr
    try:
        return asyncio.run(guarded())
    except UserFacingError as exc:
        print(f"keybound: {exc}", file=err)
        return exit_code(exc)
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("keybound: interrupted", file=err)
        return 130
    except Exception as exc:
        if os.environ.get("KEYBOUND_DEBUG") == "1":
            traceback.print_exc()
        print(
            f"keybound: internal error ({type(exc).__name__}). "
            "Run again with KEYBOUND_DEBUG=1 for details and report it.",
            file=err,
        )
        return EXIT_INTERNAL


async def published(m: Messenger, timeout: float) -> bool:
    """Until our identity chain is on the relay and nothing waits to go out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        await m.wait_online(timeout)
    except RelayUnavailable:
        return False
    while loop.time() < deadline:
        done = await m.setting(cfg.PUBLISHED_VERSION)
        if isinstance(done, int) and done >= 0 and await m.pending_count() == 0:
            await asyncio.sleep(0.5)  # one-time keys go up right after the login
            return True
        await asyncio.sleep(0.05)
    return False


def emit_json(obj: Json, out: TextIO = sys.stdout) -> None:
    out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
    out.flush()
