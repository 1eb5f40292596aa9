"""`keybound listen`: hold the profile, print what arrives, serve other commands.

While it runs, other `keybound` commands on the same profile act through its
socket (``keybound.client.daemon``).  It prints incoming messages, receipts
and notable events as they happen (JSON lines with ``--json``; the first line
is ``{"type": "ready", ...}`` once the socket is up) and runs until SIGINT or
SIGTERM, then exits 0.  When the token is pulled out the engine locks;
`keybound unlock` (through the socket) unlocks it again with this process's
PIN source.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import TextIO

from ..client import events as ev
from ..client.autounlock import unlock_when_back
from ..client.daemon import DaemonClient, DaemonServer
from ..client.daemon_json import Names, event_json, names_of
from ..client.messenger import EventStream, Messenger
from ..client.values import LockReason
from ..errors import EngineLocked, KeyboundError, ProfileInUse
from . import render, session
from .backup import backup_event_json


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "listen",
        help="stay online: print messages and receipts as they arrive, serve other commands",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    session.add_token_selector(p)


def run(args: argparse.Namespace, profile: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    return session.run(lambda: _listen(args, profile, out))


async def _listen(args: argparse.Namespace, profile: Path, out: TextIO) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            messenger = await session.open_messenger(profile, args, automatic_backups=True)
        except ProfileInUse:  # another Keybound holds the profile: print what it sees
            return await _follow(profile, stop, args.json, out)
        stream = messenger.events()
        try:
            async with DaemonServer(messenger, profile) as server:
                ready = {
                    "type": "ready",
                    "identity_id": messenger.identity_id.hex(),
                    "device_id": messenger.device_id.hex(),
                    "socket": str(server.path),
                }
                if args.json:
                    session.emit_json(ready, out)
                else:
                    print(f"Listening (Ctrl-C to stop); socket {server.path}", file=sys.stderr)
                printer = loop.create_task(_print(messenger, stream, args.json, out))
                await stop.wait()
                printer.cancel()
                await asyncio.gather(printer, return_exceptions=True)
        finally:
            stream.close()
            await messenger.close()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return session.EXIT_OK


async def _print(messenger: Messenger, stream: EventStream, as_json: bool, out: TextIO) -> None:
    names = await _names(messenger)
    watcher: asyncio.Task[bool] | None = None
    try:
        async for event in stream:
            pulled = isinstance(event, ev.Locked) and event.reason is LockReason.TOKEN_REMOVED
            if pulled and (watcher is None or watcher.done()):
                watcher = asyncio.get_running_loop().create_task(_unlock_when_back(messenger))
            if isinstance(event, ev.ContactAdded | ev.ConversationChanged | ev.Unlocked):
                names = await _names(messenger)
            try:
                item = await event_json(messenger, event, names)
            except KeyboundError:
                continue
            if item is None:
                item = backup_event_json(event)
            if item is None:
                continue
            if as_json:
                session.emit_json(item, out)
            else:
                line = render.event_line(item)
                if line is not None:
                    print(line, file=out, flush=True)
    finally:
        if watcher is not None:
            watcher.cancel()


async def _unlock_when_back(messenger: Messenger) -> bool:
    """The token is back: unlock once, asking for the PIN on this process's PIN source."""

    def back() -> None:
        print(
            "The security key is back: unlocking (the PIN is asked here).",
            file=sys.stderr,
            flush=True,
        )

    def failed(exc: KeyboundError) -> None:
        print(f"keybound: {exc} Unlock with `keybound unlock`.", file=sys.stderr, flush=True)

    return await unlock_when_back(messenger, on_back=back, on_error=failed)


async def _names(messenger: Messenger) -> Names:
    try:
        return await names_of(messenger)
    except EngineLocked:
        return Names(messenger.identity_id, {}, {})


async def _follow(profile: Path, stop: asyncio.Event, as_json: bool, out: TextIO) -> int:
    """The events of the process that holds the profile, through its socket."""
    client = await DaemonClient.connect(profile)

    async def pump() -> None:
        async for item in client.events():
            if as_json:
                session.emit_json(item, out)
            elif item.get("type") == "ready":
                print("Listening through the running Keybound (Ctrl-C to stop)", file=sys.stderr)
            else:
                line = render.event_line(item)
                if line is not None:
                    print(line, file=out, flush=True)

    task = asyncio.get_running_loop().create_task(pump())
    stopped = asyncio.get_running_loop().create_task(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in (task, stopped):
            t.cancel()
        await asyncio.gather(task, stopped, return_exceptions=True)
        await client.close()
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]
    return session.EXIT_OK
