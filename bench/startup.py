"""Start-up benchmark: a profile with a million messages, from token done to unlocked.

Run: `.venv/bin/python bench/startup.py [--messages N] [--rounds R] [--json PATH]`
(default 1,000,000 messages over 1,000 conversations; building them takes a
few minutes).  Writes bench/results/startup.json and prints a table.

A real account (relay process on loopback, in-process virtual OpenPGP card)
gets a synthetic history shaped like bench/store.py's, written through the
engine's own repository on its database thread.  Then `Messenger.open` runs R
times; each time the token's part (`account.unlock`: PIN, the card's unlock
secret, unwrapping the keyslot) is timed on its own and subtracted, so what is
left is what Keybound itself does to get from the master key to an unlocked
engine: open SQLCipher, check the schema, load identities and protocol state,
start the session.  "+ the list's first paint" adds what the app reads first
(the conversation list's first 50 rows as the GUI shows them, and the unread
total); "+ the whole list" adds the rest of the list, which the app reads right
after.

Baseline: the same account with an empty history, measured in the same run.
"""

# Imports come after the sys.path fix below.
# ruff: noqa: E402

from __future__ import annotations

import os
import sys

# bench/token.py would shadow the standard library's `token` module: drop this folder.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import argparse
import asyncio
import importlib.util
import json
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from keybound.client import account
from keybound.client.messenger import Messenger, Options
from keybound.store.keyslots import TEST_COST
from keybound.store.models import Conversation, ConversationKind, Identity
from keybound.token.base import PinKind
from keybound.token.prompter import FixedPinPrompter

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 200.0


def _sibling(name: str) -> ModuleType:
    """bench/<name>.py as a module (this folder is not on sys.path, see above)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", Path(_here) / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


e2e, store = _sibling("e2e"), _sibling("store")


class TimedUnlock:
    """Wraps ``account.unlock`` (the token's part of opening) and keeps its durations."""

    def __init__(self) -> None:
        self.inner: Callable[..., Any] = account.unlock
        self.durations: list[float] = []

    def __call__(self, *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.inner(*args)
        finally:
            self.durations.append(time.perf_counter() - start)


async def build(tmp: Path, name: str, url: str, messages: int, n_conv: int) -> Options:
    """An account with ``messages`` synthetic messages; the options that open it."""
    m = await e2e.make_engine(tmp, name, url)
    options = Options(tokens=m._options.tokens, recovery_cost=TEST_COST)
    session = m._need()
    repo = session.core.repo
    rng = random.Random(store.SEED)
    vocab = store.vocabulary(rng)
    convs = [i.to_bytes(4, "big") + b"conversation" for i in range(n_conv)]

    def setup() -> None:
        with repo.db.transaction():
            for conv in convs:
                peer = b"peer" + conv
                repo.upsert_identity(Identity(peer, store.START_MS, f"Peer {conv[:4].hex()}"))
                repo.upsert_conversation(
                    Conversation(conv, ConversationKind.DIRECT, store.START_MS, peer_identity=peer)
                )

    await session.db.run(setup)
    done = 0
    own = session.core.own_id
    for batch in store.generate(messages, convs, rng, vocab):
        ours = [replace(m, sender_identity=own) if m.outgoing else m for m in batch]
        await session.db.run(repo.insert_messages, ours)
        done += len(batch)
        if done % 100_000 == 0:
            print(f"  {name}: {done:,} messages", file=sys.stderr)
    await session.db.run(repo.db.checkpoint)
    await m.close()
    return options


async def measure(profile: Path, options: Options, rounds: int) -> dict[str, float]:
    prompter = FixedPinPrompter({PinKind.USER: e2e.PIN, PinKind.ADMIN: e2e.ADMIN})
    timed = TimedUnlock()
    account.unlock = timed  # type: ignore[assignment]  # the bench's probe, restored below
    opened, first_page, whole, token = [], [], [], []
    try:
        for _ in range(rounds + 1):  # the first round warms the OS file cache
            timed.durations.clear()
            start = time.perf_counter()
            m = await Messenger.open(profile, prompter, options=options)
            unlocked = time.perf_counter()
            await m.conversation_rows(50)  # what the app paints first
            await m.unread_total()
            painted = time.perf_counter()
            await m.conversation_rows()  # the whole list, read right after
            listed = time.perf_counter()
            await m.close()
            token.append(sum(timed.durations))
            opened.append(unlocked - start - token[-1])
            first_page.append(painted - start - token[-1])
            whole.append(listed - start - token[-1])
    finally:
        account.unlock = timed.inner  # type: ignore[assignment]
    ms = 1000.0
    return {
        "unlocked_p50_ms": statistics.median(opened[1:]) * ms,
        "unlocked_max_ms": max(opened[1:]) * ms,
        "with_first_paint_p50_ms": statistics.median(first_page[1:]) * ms,
        "with_whole_list_p50_ms": statistics.median(whole[1:]) * ms,
        "token_p50_ms": statistics.median(token[1:]) * ms,
    }


async def run(args: argparse.Namespace, tmp: Path, url: str) -> dict[str, Any]:
    print("building the empty baseline account ...", file=sys.stderr)
    empty = await build(tmp, "empty", url, 0, 0)
    print(f"building {args.messages:,} messages ...", file=sys.stderr)
    full = await build(tmp, "full", url, args.messages, args.conversations)
    results = {
        "empty": await measure(tmp / "profile-empty", empty, args.rounds),
        "full": await measure(tmp / "profile-full", full, args.rounds),
    }
    results["history_mb"] = (tmp / "profile-full" / "history.db").stat().st_size / 1e6
    return results


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=1_000_000)
    p.add_argument("--conversations", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "startup.json")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="keybound-startup-bench-") as name:
        tmp = Path(name)
        relay, url = e2e.start_relay(tmp)
        try:
            results = asyncio.run(run(args, tmp, url))
        finally:
            relay.terminate()
            relay.wait(20)
    empty, full = results["empty"], results["full"]
    print(f"{'measure (token excluded)':<34} {'empty':>9} {f'{args.messages:,} msgs':>14} "
          f"{'ratio':>6} {'target':>8}  verdict")  # fmt: skip
    for key, label in (
        ("unlocked_p50_ms", "open to unlocked p50"),
        ("unlocked_max_ms", "open to unlocked max"),
        ("with_first_paint_p50_ms", "  + the list's first paint p50"),
        ("with_whole_list_p50_ms", "  + the whole list p50"),
        ("token_p50_ms", "(the token's part, excluded)"),
    ):
        ratio = full[key] / empty[key] if empty[key] else float("nan")
        target = f"< {TARGET_MS:.0f}" if key == "unlocked_p50_ms" else ""
        verdict = ("ok" if full[key] < TARGET_MS else "MISSED") if target else ""
        print(f"{label:<34} {empty[key]:>7.1f}ms {full[key]:>12.1f}ms {ratio:>6.2f} "
              f"{target:>8}  {verdict}")  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "benchmark": "startup",
                "baseline": "the same account with an empty history, same run",
                "messages": args.messages,
                "conversations": args.conversations,
                "rounds": args.rounds,
                "target_ms": TARGET_MS,
                "python": platform.python_version(),
                "machine": platform.machine(),
                **results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {args.json}")
    return 0 if full["unlocked_p50_ms"] < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
