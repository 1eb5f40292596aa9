"""End-to-end benchmark: two Keybound engines talking through one relay.

Run: `.venv/bin/python bench/e2e.py [--seconds S] [--rate R] [--messages N] [--json PATH]`
(about a minute).  Writes bench/results/e2e.json and prints a table.

Three processes on this machine: the relay (`keybound-relay`, SQLite, ws:// on
loopback), the sender's engine (this process) and the recipient's engine (this
script re-invoked with `--recipient`).  Each engine is a real `Messenger`:
SQLCipher history (memory security off, the default), vodozemac Olm,
the real WebSocket link; each has its own virtual OpenPGP card, called in
process (the token is not on the message path; bench/token.py measures it).

- Latency: the text carries the time `send_text` was called (CLOCK_MONOTONIC,
  shared by the processes); the recipient takes the time when the engine
  reports the message (after it is committed to its vault).  Paced at a
  steady R messages per second (default 20) for S seconds.
- Throughput: the sender queues N messages as fast as the engine takes them
  (up to 512 outstanding `send_text` calls); the recipient counts messages
  committed per second from the first to the last.  One way, one sender.
- Catch-up: the recipient locks (offline), the sender queues N messages
  (default 10,000) until the relay holds them all, the recipient unlocks and
  receives the backlog.  Reported: the rate from unlock to the last message
  committed, and how long the recipient's event loop was blocked meanwhile: a
  timer task sleeps 2 ms at a time and records how late it wakes (p50, p99,
  max).  A GUI on that loop (qasync) stutters when that exceeds a frame (16 ms).
  Baseline: the same probe on the same loop for 3 s just before, with the
  engine locked (what the shared machine alone adds).
- `KEYBOUND_BENCH_MEMORY_SECURITY=1` turns SQLCipher's memory wiping on in both
  engines (`Options(memory_security=True)`), to see its price.
- The relay's per-device and per-IP rate limits (anti-abuse; 200 sends/s per
  device by default) and its queue limits (10,000 messages per recipient, 2,000
  from one sender) are lifted for the run: they would cap the engines, and the
  catch-up backlog is larger than one sender may leave queued by default.
- Baseline: the relay's bare frame round trip (ping -> pong over its WebSocket)
  measured in the same run, so the engine's own cost is visible.
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
import contextlib
import json
import platform
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from keybound.client import events as ev
from keybound.client.messenger import Messenger, Options
from keybound.store.keyslots import TEST_COST
from keybound.token.base import EnrollOptions, PinKind, PublicKey, Token, TokenRef, Transport
from keybound.token.openpgp import OpenPgpToken
from keybound.token.prompter import FixedPinPrompter, Prompter
from keybound.token.sim import build_card
from keybound.token.sim.card import VirtualCard
from keybound.token.sim.inprocess import InProcessTransport

ROOT = Path(__file__).resolve().parents[1]
PIN, ADMIN = "424242", "87654321"
ENROLL = EnrollOptions(user_pin=PIN, admin_pin=ADMIN, current_admin_pin="12345678")
TARGETS = {"p50_ms": 5.0, "p99_ms": 20.0, "msgs_per_s": 3000.0, "catchup_lag_p99_ms": 16.0}
PROBE_S = 0.002  # the loop-lag probe's sleep
IDLE_PROBE_S = 3.0  # the probe on an idle loop first: what the machine alone costs


class CardTokens:
    """A TokenSource with one in-process virtual card (never removed)."""

    def __init__(self, card: VirtualCard) -> None:
        self.card = card

    def open(self, prompter: Prompter, known: Sequence[PublicKey]) -> Token:
        transport = InProcessTransport(self.card, "bench card")
        return OpenPgpToken(transport, prompter, Transport.INPROCESS)

    def watch(self, ref: TokenRef, on_removed: Callable[[], None]) -> Callable[[], None]:
        return lambda: None


async def make_engine(tmp: Path, name: str, relay_url: str) -> Messenger:
    card = build_card("openpgp", tmp / f"card-{name}.json")
    secure = os.environ.get("KEYBOUND_BENCH_MEMORY_SECURITY", "0") == "1"
    options = Options(tokens=CardTokens(card), recovery_cost=TEST_COST, memory_security=secure)
    prompter = FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: ADMIN})
    messenger, _code = await Messenger.create_account(
        tmp / f"profile-{name}", relay_url, prompter, display_name=name, enroll=ENROLL,
        options=options,
    )  # fmt: skip
    await messenger.wait_online(30)
    return messenger


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the recipient process -----------------------------------------------------------------


async def recipient(relay_url: str, tmp: Path) -> None:
    """Lines on stdin/stdout: our invite out, the sender's invite in, results out."""
    m = await make_engine(tmp, "recipient", relay_url)
    stream = m.events()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print(json.dumps({"invite": await m.invite()}), flush=True)
    sender_invite = json.loads(await reader.readline())["invite"]
    await m.add_contact(sender_invite, "sender")
    print(json.dumps({"ready": True}), flush=True)
    latencies: list[float] = []
    bulk: list[float] = []
    catchup: list[float] = []
    expected_bulk = expected_catchup = 0
    done = asyncio.Event()
    caught_up = asyncio.Event()

    async def collect() -> None:
        nonlocal expected_bulk, expected_catchup
        async for event in stream:
            if not isinstance(event, ev.MessageReceived):
                continue
            now = time.monotonic()
            body = event.message.body or ""
            kind, _, stamp = body.partition(" ")
            if kind == "L":
                latencies.append((now - float(stamp.split()[1])) * 1000)
            elif kind == "T":
                bulk.append(now)
                if expected_bulk and len(bulk) >= expected_bulk:
                    done.set()
            elif kind == "C":
                catchup.append(now)
                if expected_catchup and len(catchup) >= expected_catchup:
                    caught_up.set()

    task = loop.create_task(collect())
    catchup_report: dict[str, Any] = {}
    while True:
        line = await reader.readline()
        if not line:
            break
        command = json.loads(line)
        if command.get("bulk"):
            expected_bulk = int(command["bulk"])
            if len(bulk) >= expected_bulk:
                done.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 300)
        if command.get("offline"):
            await m.lock()
            print(json.dumps({"offline": True}), flush=True)
        if command.get("online"):
            expected_catchup = int(command["online"])
            # the baseline: the same probe on the same loop with nothing to do (locked)
            idle_lags: list[float] = []
            idle = loop.create_task(_probe_loop(idle_lags))
            await asyncio.sleep(IDLE_PROBE_S)
            idle.cancel()
            lags: list[float] = []
            probe = loop.create_task(_probe_loop(lags))
            start = time.monotonic()
            await m.unlock()
            unlocked = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(caught_up.wait(), 600)
            probe.cancel()
            catchup_report = {
                "messages": expected_catchup, "received": len(catchup),
                "unlock_s": unlocked - start,
                "seconds": (catchup[-1] - start) if catchup else float("nan"),
                "lags_ms": lags, "idle_lags_ms": idle_lags,
            }  # fmt: skip
        if command.get("report"):
            await asyncio.sleep(0.5)
            report = {"latencies_ms": latencies, "bulk_times": bulk}
            print(json.dumps({**report, "catchup": catchup_report}), flush=True)
            break
    task.cancel()
    await m.close()


async def _probe_loop(lags: list[float]) -> None:
    """How late a short sleep wakes up: the time the event loop was busy elsewhere."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(PROBE_S)
        lags.append(max(0.0, loop.time() - start - PROBE_S) * 1000)


# --- the sender (this process) ---------------------------------------------------------------


async def ping_round_trips(url: str, count: int) -> list[float]:
    from websockets.asyncio.client import connect

    from keybound.wire import frames as f

    async with connect(url, max_size=None, compression=None) as ws:
        await ws.recv()  # the challenge
        times = []
        for i in range(count):
            start = time.perf_counter()
            await ws.send(f.encode_frame(i + 1, f.Ping()))
            f.decode_frame(await ws.recv())  # type: ignore[arg-type]
            times.append((time.perf_counter() - start) * 1000)
    return times


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sender(
    args: argparse.Namespace, relay_url: str, tmp: Path, relay_pid: int
) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--recipient", relay_url, "--tmp", str(tmp),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, limit=1 << 26,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None

    async def read() -> dict[str, Any]:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 120)
        if not line:
            raise RuntimeError("the recipient process ended early")
        result: dict[str, Any] = json.loads(line)
        return result

    def write(obj: dict[str, Any]) -> None:
        assert child.stdin is not None
        child.stdin.write(json.dumps(obj).encode() + b"\n")

    m = await make_engine(tmp, "sender", relay_url)
    try:
        their_invite = (await read())["invite"]
        info = await m.add_contact(their_invite, "recipient")
        write({"invite": await m.invite()})
        await read()  # ready
        conv = await m.direct_conversation(info.identity_id)
        # warm up: the Olm session, caches
        for i in range(20):
            await m.send_text(conv, f"W {i} {time.monotonic()}")
        await asyncio.sleep(1.0)

        # latency at a steady rate
        interval = 1.0 / args.rate
        count = int(args.seconds * args.rate)
        start = time.monotonic()
        for i in range(count):
            target = start + i * interval
            delay = target - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await m.send_text(conv, f"L {i} {time.monotonic()}")
        await asyncio.sleep(1.0)

        # throughput: as fast as the engine takes them
        pending: set[asyncio.Task[bytes]] = set()
        pids = {"sender": os.getpid(), "relay": relay_pid, "recipient": child.pid}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        queued_start = time.monotonic()
        for i in range(args.messages):
            if len(pending) >= 512:
                _done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            pending.add(asyncio.create_task(m.send_text(conv, f"T {i}")))
        await asyncio.gather(*pending)
        queued_s = time.monotonic() - queued_start
        write({"bulk": args.messages})

        # catch-up: the recipient goes offline, a backlog waits at the relay
        write({"offline": True})
        await child.stdin.drain()
        await read()  # the recipient answers once every bulk message has arrived
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        for i in range(0, args.catchup, 500):
            await asyncio.gather(
                *(m.send_text(conv, f"C {j}") for j in range(i, min(i + 500, args.catchup)))
            )
        backlog_deadline = time.monotonic() + 600
        while await m.pending_count():
            if time.monotonic() > backlog_deadline:
                raise RuntimeError("the relay did not take the catch-up backlog within 600 s")
            await asyncio.sleep(0.1)
        write({"online": args.catchup})
        write({"report": True})
        await child.stdin.drain()
        report = await asyncio.wait_for(read(), 900)
    finally:
        await m.close()
    await child.wait()
    pings = await ping_round_trips(relay_url, 2000)
    lat = report["latencies_ms"]
    catchup = report["catchup"]
    lags = catchup.pop("lags_ms")
    idle_lags = catchup.pop("idle_lags_ms")
    times = report["bulk_times"]
    received = len(times)
    window = (times[-1] - times[0]) if received > 1 else float("nan")
    return {
        "latency": {
            "rate_per_s": args.rate,
            "messages": count,
            "received": len(lat),
            "p50_ms": pct(lat, 0.50),
            "p99_ms": pct(lat, 0.99),
            "mean_ms": statistics.fmean(lat) if lat else float("nan"),
            "max_ms": max(lat) if lat else float("nan"),
        },
        "throughput": {
            "messages": args.messages,
            "received": received,
            "msgs_per_s": (received - 1) / window if received > 1 else 0.0,
            "end_to_end_s": (times[-1] - queued_start) if times else float("nan"),
            "sender_queue_msgs_per_s": args.messages / queued_s,
            "msgs_per_s_by_tenth": _by_tenth(times),
            # CPU per message of each process while the bulk went through: with every
            # process on this machine's cores, cores / the sum bounds the rate
            "cpu_ms_per_message": {k: v * 1000 / args.messages for k, v in cpu.items()},
            "cpu_bound_msgs_per_s": (os.cpu_count() or 1) * args.messages / sum(cpu.values()),
        },
        "catchup": {
            **catchup,
            "msgs_per_s": catchup["received"] / catchup["seconds"] if catchup["received"] else 0,
            "loop_lag_p50_ms": pct(lags, 0.50),
            "loop_lag_p99_ms": pct(lags, 0.99),
            "loop_lag_max_ms": max(lags) if lags else float("nan"),
            "loop_probes": len(lags),
            "idle_loop_lag_p50_ms": pct(idle_lags, 0.50),
            "idle_loop_lag_p99_ms": pct(idle_lags, 0.99),
        },
        "relay_ping": {
            "round_trips": len(pings),
            "p50_ms": pct(pings, 0.50),
            "p99_ms": pct(pings, 0.99),
        },
    }


def _by_tenth(times: list[float]) -> list[float]:
    """The receive rate in each tenth of the run (does it hold up, or fall behind?)."""
    n = len(times) // 10
    if n < 2:
        return []
    return [round((n - 1) / max(1e-9, times[i + n - 1] - times[i]), 1) for i in range(0, n * 10, n)]


def start_relay(tmp: Path) -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "keybound.relay.main", "--data", str(tmp / "relay")]
    cmd += ["--listen", f"127.0.0.1:{port}", "--insecure-loopback", "--log-level", "warning"]
    # the relay's anti-abuse rate limits (default 200 sends/s per device after a burst of
    # 2,000) would cap the engine; this measures the engines, so lift them
    cmd += ["--connect-rate", "1000/1000", "--device-rate", "1000000/1000000"]
    cmd += ["--ip-rate", "1000000/1000000"]
    # the catch-up backlog (10,000 by default) exceeds the queue limits: one sender
    # may leave 2,000 queued for one device, which would hold the sender back for ever
    cmd += ["--max-queue-messages", "10000000", "--max-sender-queue-messages", "10000000"]
    log = (tmp / "relay.log").open("w")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("listening "):
            break
    else:
        raise RuntimeError("the relay did not start: " + (tmp / "relay.log").read_text())
    return proc, f"ws://127.0.0.1:{port}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=15.0, help="latency phase length")
    p.add_argument("--rate", type=float, default=20.0, help="latency phase messages per second")
    p.add_argument("--messages", type=int, default=5000, help="throughput phase messages")
    p.add_argument("--catchup", type=int, default=10_000, help="catch-up backlog messages")
    p.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "e2e.json")
    p.add_argument("--recipient", metavar="URL", help=argparse.SUPPRESS)
    p.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.recipient:
        asyncio.run(recipient(args.recipient, args.tmp))
        return 0
    with tempfile.TemporaryDirectory(prefix="keybound-e2e-bench-") as name:
        tmp = Path(name)
        relay, url = start_relay(tmp)
        try:
            results = asyncio.run(sender(args, url, tmp, relay.pid))
        finally:
            relay.terminate()
            relay.wait(20)
    results["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    results["targets"] = TARGETS
    results["sqlcipher_memory_security"] = (
        os.environ.get("KEYBOUND_BENCH_MEMORY_SECURITY", "0") == "1"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    _table(results)
    return 0


def _table(r: dict[str, Any]) -> None:
    lat, thr, ping, cu = r["latency"], r["throughput"], r["relay_ping"], r["catchup"]

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    rows = [
        ("end to end p50 (send -> committed)", f"{lat['p50_ms']:.1f} ms",
         f"< {TARGETS['p50_ms']:.0f} ms", verdict(lat["p50_ms"] < TARGETS["p50_ms"])),
        (f"end to end p99 at {lat['rate_per_s']:.0f} msg/s", f"{lat['p99_ms']:.1f} ms",
         f"< {TARGETS['p99_ms']:.0f} ms", verdict(lat["p99_ms"] < TARGETS["p99_ms"])),
        ("sustained one way", f"{thr['msgs_per_s']:.0f} msg/s",
         f">= {TARGETS['msgs_per_s']:.0f}", verdict(thr["msgs_per_s"] >= TARGETS["msgs_per_s"])),
        (f"catch-up of {cu['messages']:,} queued", f"{cu['msgs_per_s']:.0f} msg/s", "", ""),
        ("  event loop blocked p50", f"{cu['loop_lag_p50_ms']:.1f} ms", "", ""),
        ("  event loop blocked p99", f"{cu['loop_lag_p99_ms']:.1f} ms",
         f"< {TARGETS['catchup_lag_p99_ms']:.0f} ms",
         verdict(cu["loop_lag_p99_ms"] < TARGETS["catchup_lag_p99_ms"])),
        ("  event loop blocked max", f"{cu['loop_lag_max_ms']:.1f} ms", "", ""),
        ("  idle loop, same probe p99 (baseline)", f"{cu['idle_loop_lag_p99_ms']:.1f} ms", "", ""),
        ("sender queueing (send_text)", f"{thr['sender_queue_msgs_per_s']:.0f} msg/s", "", ""),
        *((f"  CPU per message, {name}", f"{ms:.3f} ms", "", "")
          for name, ms in thr["cpu_ms_per_message"].items()),
        (f"  the cores' bound ({os.cpu_count()} / total CPU)",
         f"{thr['cpu_bound_msgs_per_s']:.0f} msg/s", "", ""),
        ("relay bare frame round trip p50", f"{ping['p50_ms']:.3f} ms", "", ""),
        ("relay bare frame round trip p99", f"{ping['p99_ms']:.3f} ms", "", ""),
    ]  # fmt: skip
    print(f"{'measure':<40} {'value':>14} {'target':>10}  verdict")
    for name, value, target, ok in rows:
        print(f"{name:<40} {value:>14} {target:>10}  {ok}")
    print(f"(latency: {lat['received']}/{lat['messages']} received; throughput: "
          f"{thr['received']}/{thr['messages']} received; catch-up: "
          f"{cu['received']}/{cu['messages']} received, "
          f"unlock {cu['unlock_s'] * 1000:.0f} ms)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
