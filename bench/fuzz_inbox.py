"""Fuzz the inbox: a million random and mutated envelopes from strangers (issue 11, item 4).

Run: `.venv/bin/python bench/fuzz_inbox.py [--count N] [--seed S] [--batch B]`
(a few minutes for the default million).  Not part of CI.  Writes
bench/results/fuzz_inbox.json and prints a table.

The victim is a real `Messenger` (SQLCipher history, vodozemac, a virtual
card, online at a real relay process); the stranger is a second real engine
that knows the victim's invite (the victim does not know the stranger).
Seeds are real Olm envelopes from the stranger to the victim; each input is
a seed mutated (bit flips, byte changes, truncation, insertion, splices,
another claimed sender) or plain random bytes, handed to `inbox.process` on
the victim's database thread exactly as the relay link hands pushed batches
over, so every parse, decrypt, dedup, store and commit step runs for real.

A *crash* is an exception escaping `inbox.process`, or the inbox's own
"could not be processed" catch-all firing (a bug it survived): none are
allowed.  The victim must end with no contact, no listed conversation and no
history row per junk envelope.  Baseline in the same run: `Envelope.decode`
alone over the same inputs, the parsing floor.
"""

# ruff: noqa: E402

from __future__ import annotations

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import argparse
import asyncio
import contextlib
import importlib.util
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from keybound.client import events as ev
from keybound.client import inbox
from keybound.client.messenger import Messenger
from keybound.client.values import MessageStatus
from keybound.errors import KeyboundError
from keybound.protocol import content as c
from keybound.protocol.envelope import Envelope
from keybound.wire import frames as f

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_e2e", ROOT / "bench" / "e2e.py")
assert _spec is not None and _spec.loader is not None
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)


def mutate(rng: random.Random, seeds: list[bytes]) -> bytes:
    kind = rng.randrange(10)
    data = bytearray(rng.choice(seeds))
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 2048))
    if kind == 1:
        for _ in range(rng.randrange(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == 2:
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == 3:
        del data[rng.randrange(1, len(data)) :]
    elif kind == 4:
        at = rng.randrange(len(data))
        data[at:at] = rng.randbytes(rng.randrange(1, 64))
    elif kind == 5:
        other = rng.choice(seeds)
        cut = rng.randrange(len(data))
        data = data[:cut] + other[rng.randrange(len(other)) :]
    elif kind == 6:
        at = rng.randrange(len(data))
        del data[at : at + rng.randrange(1, 32)]
    elif kind == 7:  # a CBOR-ish header with random body: deep in the envelope parser
        data[8:] = rng.randbytes(rng.randrange(0, 512))
    elif kind == 8:
        data[rng.randrange(len(data))] ^= 0xFF
    # kind 9: the seed as it is (a replay: the first one is a request, the rest duplicates)
    return bytes(data)


async def seeds_from(stranger: Messenger, victim: Messenger, n: int) -> list[bytes]:
    session = stranger._session
    assert session is not None
    core = session.core
    conv = await stranger.direct_conversation(victim.identity_id)

    def make() -> list[bytes]:
        out = []
        for i in range(n):
            sent = core.machine.encrypt_direct(
                conv, [victim.identity_id], c.Text(f"seed {i} " + "x" * (i % 300)), core.now()
            )
            out += [d.data for d in sent.deliveries if d.identity_id == victim.identity_id]
        return out

    return await session.db.run(make)


async def fuzz(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    relay, url = e2e.start_relay(tmp)
    try:
        victim = await e2e.make_engine(tmp, "victim", url)
        stranger = await e2e.make_engine(tmp, "stranger", url)
        try:
            await stranger.add_contact(await victim.invite(), "victim")
            conv = await stranger.direct_conversation(victim.identity_id)
            first = await stranger.send_text(conv, "hello from a stranger")
            await stranger.wait_status(first, MessageStatus.SENT, 30)  # the Olm session exists
            seeds = await seeds_from(stranger, victim, 64)
            return await _drive(args, victim, stranger, seeds)
        finally:
            await stranger.close()
            await victim.close()
    finally:
        relay.kill()
        relay.wait()


async def _drive(
    args: argparse.Namespace, victim: Messenger, stranger: Messenger, seeds: list[bytes]
) -> dict[str, Any]:
    rng = random.Random(args.seed)
    session = victim._session
    assert session is not None
    core = session.core
    real = f.DeviceAddress(stranger.identity_id, stranger.device_id)
    fake = f.DeviceAddress(os.urandom(32), os.urandom(16))
    sample = [mutate(rng, seeds) for _ in range(50_000)]
    start = time.perf_counter()
    for data in sample:
        with contextlib.suppress(KeyboundError):
            Envelope.decode(data)
    decode_rate = len(sample) / (time.perf_counter() - start)

    crashes: list[str] = []
    survived_bugs = 0
    stored = 0
    done = 0
    queue_id = 1
    start = time.perf_counter()
    while done < args.count:
        n = min(args.batch, args.count - done)
        batch = []
        for _ in range(n):
            sender = real if rng.random() < 0.95 else fake
            batch.append(
                f.Incoming(queue_id, sender, 1_700_000_000_000 + queue_id, mutate(rng, seeds))
            )
            queue_id += 1
        try:
            result = await session.db.run(inbox.process, core, batch, retrying=rng.random() < 0.5)
        except Exception as exc:  # a crash: what escaped the inbox
            crashes.append(f"{type(exc).__name__}: {exc}"[:200])
        else:
            for event in result.effects.events:
                if isinstance(event, ev.EngineError) and "could not be processed" in event.text:
                    survived_bugs += 1
                elif isinstance(event, ev.MessageReceived):
                    stored += 1
        done += n
        if done % (args.batch * 200) == 0:
            print(
                f"  {done:>9,} envelopes, {done / (time.perf_counter() - start):,.0f}/s", flush=True
            )
    elapsed = time.perf_counter() - start
    rows = await session.db.run(lambda: core.db.query_one("SELECT count(*) FROM messages")[0])
    return {
        "envelopes": done,
        "seconds": round(elapsed, 1),
        "envelopes_per_s": round(done / elapsed),
        "baseline_decode_only_per_s": round(decode_rate),
        "ratio_to_decode_only": round((done / elapsed) / decode_rate, 4),
        "crashes": len(crashes),
        "crash_samples": crashes[:10],
        "survived_bugs": survived_bugs,
        "junk_counted": await victim.junk_dropped(),
        "messages_stored": stored,
        "history_rows": int(rows),
        "contacts": len(await victim.contacts()),
        "listed_conversations": len(await victim.conversations()),
        "message_requests": len(await victim.message_requests()),
        "seed": args.seed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(4), "big"))
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "fuzz_inbox.json")
    args = parser.parse_args()
    print(f"fuzzing the inbox with {args.count:,} envelopes, seed {args.seed}", flush=True)
    with tempfile.TemporaryDirectory(prefix="keybound-fuzz-") as tmp:
        result = asyncio.run(fuzz(args, Path(tmp)))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    width = max(len(k) for k in result)
    for key, value in result.items():
        if key != "crash_samples":
            print(f"{key:<{width}}  {value}")
    for sample in result["crash_samples"]:
        print(f"crash: {sample}")
    ok = result["crashes"] == 0 and result["survived_bugs"] == 0 and result["contacts"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
