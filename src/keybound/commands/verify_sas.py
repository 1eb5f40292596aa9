"""`keybound contact verify NAME --sas`: emoji verification on the command line.

Run it on both sides.  The first one asks the contact's devices; the second one
(or a running ``keybound listen``, which tells about the request) answers the
pending request.  Both print the same seven emoji with their names and ask
"Do they match? [y/N]"; a match marks the contact verified, "no" marks it suspect
on both sides.  Ctrl+C cancels the verification on both sides; it times out after
ten minutes.  Works directly on the profile or through the running Keybound.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TextIO

from ..client.daemon import DaemonClient
from ..client.daemon_json import event_json, names_of
from ..client.display import visible
from . import render, session

Json = Any


@contextlib.asynccontextmanager
async def _events(engine: session.Target, profile: Path) -> AsyncIterator[asyncio.Queue[Json]]:
    """The engine's events as daemon JSON, in a queue filled from now on."""
    queue: asyncio.Queue[Json] = asyncio.Queue()
    if isinstance(engine, session.Direct):
        m = engine.m
        stream = m.events()

        async def pump() -> None:
            names = await names_of(m)
            async for event in stream:
                item = await event_json(m, event, names)
                if item is not None:
                    queue.put_nowait(item)

        task = asyncio.get_running_loop().create_task(pump())
        try:
            yield queue
        finally:
            stream.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return
    client = await DaemonClient.connect(profile)
    ready = asyncio.Event()

    async def follow() -> None:
        async for item in client.events():
            if item.get("type") == "ready":
                ready.set()
            else:
                queue.put_nowait(item)

    task = asyncio.get_running_loop().create_task(follow())
    try:
        await asyncio.wait_for(ready.wait(), 10)
        yield queue
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()


class _Lines:
    """Lines typed on stdin, read without blocking the event loop (nor a thread that
    would keep the process alive after Ctrl+C)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._fd = sys.stdin.fileno()
        asyncio.get_running_loop().add_reader(self._fd, self._read)

    def _read(self) -> None:
        line = sys.stdin.readline()
        if not line:
            asyncio.get_running_loop().remove_reader(self._fd)
        self.queue.put_nowait(line or None)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self._fd)


def _print_codes(name: str, event: Json, out: TextIO) -> None:
    print(f"Compare these emoji with the ones on {name}'s screen:", file=out)
    print("", file=out)
    print("  " + "   ".join(e for e, _ in event["emoji"]), file=out)
    print("  " + ", ".join(str(n) for _, n in event["emoji"]), file=out)
    print("", file=out)
    print("Do they match? [y/N] ", end="", file=out, flush=True)


async def verify_sas(engine: session.Target, profile: Path, who: str, out: TextIO) -> int:
    contact = await engine.call("contact.show", {"name": who})
    ident, name = contact["identity_id"], visible(str(contact["name"]))
    async with _events(engine, profile) as events:
        pending = [r for r in await engine.call("verify.requests") if r["identity_id"] == ident]
        if pending:
            tx = pending[-1]["tx"]
            await engine.call("verify.accept", {"tx": tx})
            print(f"Answering {name}'s verification request...", file=out, flush=True)
        else:
            tx = (await engine.call("verify.start", {"name": who}))["tx"]
            print(
                f"Asked {name} to verify. Waiting for them to run "
                f"`keybound contact verify <your name> --sas` (Ctrl+C cancels)...",
                file=out, flush=True,
            )  # fmt: skip
        lines = _Lines()
        answer: asyncio.Task[str | None] | None = None
        incoming: asyncio.Task[Json] | None = None
        try:
            while True:
                incoming = incoming or asyncio.ensure_future(events.get())
                waiting: set[asyncio.Future[Any]] = {incoming, *([answer] if answer else [])}
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if answer is not None and answer.done():
                    typed = answer.result()
                    said = (typed or "").strip().lower()
                    answer = None
                    if typed is None:  # end of input: no answer is not "they differ"
                        print("\nNo answer could be read; cancelling.", file=out, flush=True)
                        await engine.call("verify.cancel", {"tx": tx})
                    elif said in ("y", "yes"):
                        await engine.call("verify.confirm", {"tx": tx})
                        print(f"Waiting for {name} to confirm too...", file=out, flush=True)
                    else:
                        await engine.call("verify.mismatch", {"tx": tx})
                if not incoming.done():
                    continue
                event, incoming = incoming.result(), None
                kind = event.get("type")
                if event.get("identity_id") != ident:
                    continue
                if kind == "verification_requested" and event.get("accepted"):
                    tx = event["tx"]  # both started at once: theirs stands
                    continue
                if event.get("tx") != tx:
                    continue
                if kind == "verification_codes":
                    _print_codes(name, event, out)
                    answer = asyncio.ensure_future(lines.queue.get())
                elif kind == "verification_done":
                    if answer is not None:
                        print("", file=out)  # the question is moot: end its line
                    return _report(name, event, out)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(engine.call("verify.cancel", {"tx": tx}), 5)
                print(f"\nThe verification with {name} was cancelled.", file=out, flush=True)
            raise
        finally:
            lines.close()
            for task in (answer, incoming):
                if task is not None:
                    task.cancel()


def _report(name: str, event: Json, out: TextIO) -> int:
    outcome = event.get("outcome")
    if outcome == "verified":
        print(f"{name} is now verified.", file=out)
        return session.EXIT_OK
    if outcome == "mismatch":
        alert = {"kind": "suspect", "detail": event.get("reason", ""), "held": False}
        print(render.alert_text(name, alert), file=out)
    elif outcome == "timed_out":
        print(f"The verification with {name} timed out; nothing was changed.", file=out)
    else:
        reason = visible(str(event.get("reason") or ""))
        print(f"The verification with {name} was cancelled. {reason}".rstrip(), file=out)
    return session.EXIT_USER
