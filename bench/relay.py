"""Relay benchmark: the SQLite relay, 1, 2 and 4 relay nodes on PostgreSQL, and Mosquitto.

Run: `.venv/bin/python bench/relay.py [--seconds S] [--json PATH] [--no-postgres]
[--no-mosquitto] [--quick]` (default 5 s per measurement; about five minutes).

Every server runs in its own process and the load generator in another (this
script re-invoked with `--loadgen`), all on this machine's two cores, so the
numbers are what one box does with client and server sharing it.

Design, the same for the relay and for Mosquitto:
- D connected devices (10 and 200); device i sends to device (i+1) mod D, so
  every device both sends and receives.  With several relay nodes, devices
  take the nodes in turn, so every message crosses from one node to another
  through PostgreSQL.  Each group of nodes (1, 2, 4: `--nodes`) has a
  database of its own; all run on this machine's two cores, which bounds
  how far more nodes can help here.
- Delivery guarantee: the sender counts a message as sent when the server
  acknowledged storing it (relay `sent` after the durable write; MQTT PUBACK
  at QoS 1 with persistence on and persistent sessions); the recipient
  acknowledges each delivery (relay `ack`, which deletes; MQTT PUBACK).
- Peak: each device keeps W = max(1, 64 // D) messages outstanding (closed
  loop); delivered messages per second over the measurement window.
- Latency: the payload carries the send time (CLOCK_MONOTONIC, shared by the
  processes); end to end is send call to delivery at the recipient.  It is
  reported at peak and at half of that backend's own peak rate (open loop,
  paced), which is the figure the target is about.
- Memory: RSS of a fresh SQLite relay before and after 2,000 authenticated
  idle connections, divided by 2,000.
- Flood (`--flood-only` runs just this, about a minute): RSS of a TLS relay
  before, during and after 2,000 idle connections that never authenticate,
  with every cap lifted (the cost of one pre-auth connection, and whether it
  is given back once they are gone) and with the default caps (how many it
  holds at all).  Writes bench/results/relay_flood.json when run alone.

Mosquitto (Debian package) runs with `persistence true` and `autosave_interval
1`: unlike the relay it does not fsync each message before its PUBACK (its
persistence is a periodic snapshot), so the comparison is generous to it.
Payloads: 256 B and 4 KiB.  Writes bench/results/relay.json.  The relays run
on uvloop when it is installed (`pip install -e '.[relay]'`); then a second
SQLite relay on asyncio's own loop shows what uvloop changes.  Needs the
`mosquitto` package (apt) unless `--no-mosquitto`.
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
import importlib.util
import json
import platform
import resource
import secrets
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "relay.json"
PG_ADMIN = os.environ.get(
    "KEYBOUND_TEST_PG_DSN", "postgresql://keybound:keybound@127.0.0.1:5432/postgres"
)
WARMUP_S = 1.0
STAMP = struct.Struct(">q")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def window_for(devices: int) -> int:
    return max(1, 64 // devices)


# --- results -------------------------------------------------------------------------


@dataclass
class Recorder:
    """Deliveries as (receive time, latency), and counters."""

    started: float = 0.0
    sent: int = 0
    errors: int = 0

    def __post_init__(self) -> None:
        self.deliveries: list[tuple[float, float]] = []
        self.lock = threading.Lock()

    def delivered(self, stamp_ns: int) -> None:
        now = time.monotonic_ns()
        with self.lock:
            self.deliveries.append((now / 1e9, (now - stamp_ns) / 1e6))

    def summary(self, seconds: float) -> dict[str, float]:
        lo, hi = self.started + WARMUP_S, self.started + WARMUP_S + seconds
        with self.lock:
            window = [lat for t, lat in self.deliveries if lo <= t < hi]
        if len(window) < 2:
            return {"msgs_per_s": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "errors": self.errors}
        window.sort()
        return {
            "msgs_per_s": round(len(window) / seconds, 1),
            "p50_ms": round(statistics.median(window), 2),
            "p99_ms": round(window[min(len(window) - 1, int(len(window) * 0.99))], 2),
            "errors": self.errors,
        }


def payload(size: int) -> bytes:
    return STAMP.pack(time.monotonic_ns()) + b"\xa5" * (size - STAMP.size)


# --- load generator: the relay -------------------------------------------------------


class RelayDevice:
    """One authenticated device: sends, receives, acknowledges."""

    def __init__(self, person: Any, url: str, rec: Recorder) -> None:
        self.person, self.url, self.rec = person, url, rec
        self.peer: RelayDevice | None = None
        self.outstanding = 0
        self.closed_loop = False
        self.running = False
        self.size = 256
        self._id = 0

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        from keybound.wire import frames as f

        self.conn = await connect(self.url, max_size=None, compression=None, open_timeout=60)
        challenge = f.body_as(f.decode_frame(await self.conn.recv()), f.Challenge)  # type: ignore[arg-type]
        await self.conn.send(f.encode_frame(1, f.PublishIdentity(self.person.chain)))
        f.body_as(f.decode_frame(await self.conn.recv()), f.Ok)  # type: ignore[arg-type]
        await self.conn.send(f.encode_frame(2, self.person.answer(challenge)))
        f.body_as(f.decode_frame(await self.conn.recv()), f.Authenticated)  # type: ignore[arg-type]
        self._id = 2

    def rid(self) -> int:
        self._id += 1
        return self._id

    async def send_one(self) -> None:
        from keybound.wire import frames as f

        assert self.peer is not None
        self.outstanding += 1
        self.rec.sent += 1
        body = f.Send((f.Outgoing(self.peer.person.address, payload(self.size)),))
        await self.conn.send(f.encode_frame(self.rid(), body, verify=False))

    async def read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        from keybound.wire import frames as f

        try:
            async for data in self.conn:
                body = f.decode_frame(data).body  # type: ignore[arg-type]
                if isinstance(body, f.Deliver):
                    for m in body.messages:
                        self.rec.delivered(STAMP.unpack_from(m.payload)[0])
                    ack = f.Ack(tuple(m.queue_id for m in body.messages))
                    await self.conn.send(f.encode_frame(self.rid(), ack, verify=False))
                elif isinstance(body, f.Sent):
                    self.outstanding -= 1
                    if self.closed_loop and self.running:
                        await self.send_one()
                elif isinstance(body, f.Error):
                    self.rec.errors += 1
                    self.outstanding = max(0, self.outstanding - 1)
        except ConnectionClosed:
            pass


class _BenchPerson:
    """A software identity with one device (keys in memory: a benchmark only)."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        from keybound.identity.document import (
            DeviceCertificate,
            build_genesis,
            certify_device,
            document_hash,
            encode_document,
        )
        from keybound.identity.testing import SoftwareToken
        from keybound.wire import frames as f

        raw = (Encoding.Raw, PublicFormat.Raw)
        token = SoftwareToken()
        self.key = Ed25519PrivateKey.generate()
        device_id = secrets.token_bytes(16)
        cert = certify_device(
            token.entry.token_id,
            DeviceCertificate(
                device_id,
                X25519PrivateKey.generate().public_key().public_bytes(*raw),
                self.key.public_key().public_bytes(*raw),
                "bench",
                1_700_000_000,
            ),
            self.key.sign,
        )
        genesis = token.sign_document(build_genesis([token.entry], [cert], 1_700_000_000))
        self.chain = (encode_document(genesis),)
        self.address = f.DeviceAddress(document_hash(genesis), device_id)

    def answer(self, challenge: Any) -> Any:
        from keybound.wire import frames as f

        return f.Authenticate(
            self.address, self.key.sign(f.auth_signing_bytes(challenge, self.address))
        )


async def _relay_load(args: argparse.Namespace) -> dict[str, Any]:
    rec = Recorder()
    urls = args.url
    devices = [RelayDevice(_BenchPerson(), urls[i % len(urls)], rec) for i in range(args.devices)]
    for i in range(0, len(devices), 50):
        await asyncio.gather(*(d.connect() for d in devices[i : i + 50]))
    if args.idle:
        print("ready", flush=True)
        await asyncio.sleep(3600)
    for i, d in enumerate(devices):
        d.peer = devices[(i + 1) % len(devices)]
        d.size = args.size
        d.running = True
    readers = [asyncio.create_task(d.read()) for d in devices]
    rec.started = time.monotonic()
    end = rec.started + WARMUP_S + args.seconds
    if args.rate <= 0:  # closed loop: keep W outstanding per device
        for d in devices:
            d.closed_loop = True
            for _ in range(window_for(args.devices)):
                await d.send_one()
        await asyncio.sleep(end - time.monotonic())
    else:  # open loop at a fixed total rate
        sent, i, tick = 0, 0, 0.002
        while (now := time.monotonic()) < end:
            due = int((now - rec.started) * args.rate) - sent
            for _ in range(due):
                d = devices[i % len(devices)]
                i += 1
                if d.outstanding < 200:
                    await d.send_one()
                sent += 1
            await asyncio.sleep(tick)
    for d in devices:
        d.running = False
    result = rec.summary(args.seconds)
    for r in readers:
        r.cancel()
    await asyncio.gather(*(d.conn.close() for d in devices), return_exceptions=True)
    return result


# --- load generator: Mosquitto ---------------------------------------------------------


def _mqtt_load(args: argparse.Namespace) -> dict[str, Any]:
    import paho.mqtt.client as mqtt

    rec = Recorder()
    run_id = secrets.token_hex(4)
    n, size = args.devices, args.size
    state = {"running": False, "closed": args.rate <= 0}
    subscribed = threading.Semaphore(0)
    outstanding = [0] * n
    clients: list[Any] = []

    def make(i: int) -> Any:
        c = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"bench-{run_id}-{i}",
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        c.max_inflight_messages_set(max(20, window_for(n) * 2))
        c.max_queued_messages_set(0)
        topic_in, topic_out = f"kb/{run_id}/{i}", f"kb/{run_id}/{(i + 1) % n}"

        def on_connect(client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
            client.subscribe(topic_in, qos=1)

        def on_subscribe(*_: Any) -> None:
            subscribed.release()

        def on_message(client: Any, userdata: Any, msg: Any) -> None:
            rec.delivered(STAMP.unpack_from(msg.payload)[0])

        def on_publish(client: Any, userdata: Any, mid: Any, rc: Any, props: Any) -> None:
            outstanding[i] -= 1
            if state["closed"] and state["running"]:
                send(client, i)

        c.on_connect, c.on_subscribe = on_connect, on_subscribe
        c.on_message, c.on_publish = on_message, on_publish
        c.user_data_set(topic_out)
        return c

    def send(client: Any, i: int) -> None:
        outstanding[i] += 1
        rec.sent += 1
        client.publish(f"kb/{run_id}/{(i + 1) % n}", payload(size), qos=1)

    for i in range(n):
        c = make(i)
        c.connect("127.0.0.1", args.port, keepalive=60)
        c.loop_start()
        clients.append(c)
    for _ in range(n):
        if not subscribed.acquire(timeout=30):
            raise RuntimeError("MQTT subscriptions did not complete")
    state["running"] = True
    rec.started = time.monotonic()
    end = rec.started + WARMUP_S + args.seconds
    if state["closed"]:
        for i, c in enumerate(clients):
            for _ in range(window_for(n)):
                send(c, i)
        time.sleep(max(0.0, end - time.monotonic()))
    else:
        sent, k = 0, 0
        while (now := time.monotonic()) < end:
            due = int((now - rec.started) * args.rate) - sent
            for _ in range(due):
                i = k % n
                k += 1
                if outstanding[i] < 200:
                    send(clients[i], i)
                sent += 1
            time.sleep(0.002)
    state["running"] = False
    result = rec.summary(args.seconds)
    for c in clients:  # DISCONNECT first: each network thread then ends at once
        c.disconnect()
    for c in clients:
        c.loop_stop()
    return result


# --- servers ---------------------------------------------------------------------------


class Server:
    def __init__(self, cmd: list[str], ready: str, log: Path) -> None:
        self.cmd, self.ready, self.log = cmd, ready, log
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> Server:
        out = self.log.open("a")
        self.proc = subprocess.Popen(
            self.cmd, stdout=subprocess.PIPE, stderr=out, text=True, start_new_session=True
        )
        out.close()
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 30
        for line in self.proc.stdout:
            if self.ready in line:
                break
            if time.monotonic() > deadline:
                break
        else:
            raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}")
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        return self

    def rss_kib(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


LIFTED_CAPS = [  # one address plays every device: no per-IP or pre-auth cap may stop it
    *("--connect-rate", "100000", "--max-connections-per-ip", "100000"),
    *("--max-preauth-connections", "100000", "--max-preauth-connections-per-ip", "100000"),
]


def relay_server(
    data: Path,
    port: int,
    database: str | None = None,
    loop: str = "auto",
    *,
    tls: bool = False,
    limits: list[str] | None = None,
) -> Server:
    cmd = [sys.executable, "-m", "keybound.relay.main", "--data", str(data)]
    cmd += ["--event-loop", loop]
    cmd += ["--listen", f"127.0.0.1:{port}", "--dev-tls" if tls else "--insecure-loopback"]
    cmd += ["--name", "bench", "--log-level", "warning"]
    if limits is None:
        cmd += ["--device-rate", "1000000", "--ip-rate", "10000000", *LIFTED_CAPS]
        cmd += ["--max-queue-messages", "10000000", "--max-queue-bytes", str(1 << 40)]
        cmd += ["--max-sender-queue-messages", "10000000"]
        cmd += ["--max-sender-queue-bytes", str(1 << 40)]
    else:
        cmd += limits
    if database:
        cmd += ["--database", database]
    data.mkdir(parents=True, exist_ok=True)
    return Server(cmd, "listening", data / "relay.log")


def mosquitto_server(data: Path, port: int) -> Server:
    data.mkdir(parents=True, exist_ok=True)
    conf = data / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {data}/\nautosave_interval 1\nmax_queued_messages 1000000\n"
        "max_inflight_messages 0\nlog_type error\nlog_dest stderr\n"
    )
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    # mosquitto prints nothing when ready: wait for the port instead
    return _PortServer([binary, "-c", str(conf)], port, data / "mosquitto.log")


class _PortServer(Server):
    def __init__(self, cmd: list[str], port: int, log: Path) -> None:
        super().__init__(cmd, "", log)
        self.port = port

    def start(self) -> Server:
        out = self.log.open("a")
        self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=out, start_new_session=True)
        out.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not start: {self.log.read_text()[-2000:]}")


@contextmanager
def pg_database(tag: str = "") -> Iterator[str | None]:
    try:
        import psycopg
        from psycopg import sql
        from psycopg.conninfo import make_conninfo

        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except Exception as exc:
        print(f"PostgreSQL unavailable ({type(exc).__name__}): skipping it", file=sys.stderr)
        yield None
        return
    name = f"keybound_bench_{os.getpid()}{tag}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(PG_ADMIN, dbname=name)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def run_load(kind: str, target: list[str], devices: int, size: int, seconds: float, rate: float):  # type: ignore[no-untyped-def]
    cmd = [sys.executable, __file__, "--loadgen", kind, "--devices", str(devices)]
    cmd += ["--size", str(size), "--seconds", str(seconds), "--rate", str(rate)]
    for t in target:
        cmd += ["--url", t]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300 + seconds)
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(  # type: ignore[no-untyped-def]
    kind: str, target: list[str], seconds: float, matrix: list[tuple[int, int]], name: str
):
    rows = []
    for devices, size in matrix:
        peak = run_load(kind, target, devices, size, seconds, 0)
        half = run_load(kind, target, devices, size, seconds, max(1.0, peak["msgs_per_s"] / 2))
        row = {
            "devices": devices,
            "payload": size,
            "peak_msgs_per_s": peak["msgs_per_s"],
            "peak_p50_ms": peak["p50_ms"],
            "peak_p99_ms": peak["p99_ms"],
            "half_rate_msgs_per_s": half["msgs_per_s"],
            "half_rate_p50_ms": half["p50_ms"],
            "half_rate_p99_ms": half["p99_ms"],
            "errors": peak["errors"] + half["errors"],
        }
        print(f"  {name:16} {devices:4} dev {size:5} B: {row}", flush=True)
        rows.append(row)
    return rows


def idle_memory(tmp: Path, connections: int) -> dict[str, float]:
    port = free_port()
    server = relay_server(tmp / "idle", port).start()
    try:
        # warm the process (imports, first connection, caches) before the baseline
        run_load("relay", [f"ws://127.0.0.1:{port}"], 10, 256, 1, 0)
        time.sleep(0.5)
        before = server.rss_kib()
        cmd = [sys.executable, __file__, "--loadgen", "relay", "--idle"]
        cmd += ["--devices", str(connections), "--url", f"ws://127.0.0.1:{port}"]
        load = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert load.stdout is not None
        line = load.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError("idle load generator failed")
        time.sleep(2)
        after = server.rss_kib()
        load.kill()
        load.wait()
    finally:
        server.stop()
    return {
        "connections": connections,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_connection": round((after - before) / connections, 1),
    }


# --- a flood of idle unauthenticated TLS connections -----------------------------------


async def _flood_load(args: argparse.Namespace) -> None:
    """Open ``--devices`` TLS WebSocket connections that never authenticate,
    print how many got a challenge (the rest were refused or rate-limited),
    then hold them until killed."""
    import ssl

    from websockets.asyncio.client import connect

    from keybound.wire import frames as f

    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    held: list[Any] = []
    counts = {"challenged": 0, "refused": 0}

    async def one() -> None:
        try:
            conn = await connect(args.url[0], ssl=ctx, open_timeout=60, compression=None)
            first = f.decode_frame(await conn.recv()).body  # type: ignore[arg-type]
        except Exception:
            counts["refused"] += 1
            return
        if isinstance(first, f.Challenge):
            counts["challenged"] += 1
            held.append(conn)
        else:
            counts["refused"] += 1

    for i in range(0, args.devices, 50):
        await asyncio.gather(*(one() for _ in range(min(50, args.devices - i))))
    print(json.dumps(counts), flush=True)
    await asyncio.sleep(3600)


def _flood(port: int, connections: int) -> tuple[subprocess.Popen[str], dict[str, int]]:
    cmd = [sys.executable, __file__, "--loadgen", "flood", "--devices", str(connections)]
    load = subprocess.Popen(
        [*cmd, "--url", f"wss://127.0.0.1:{port}"], stdout=subprocess.PIPE, text=True
    )
    assert load.stdout is not None
    line = load.stdout.readline()
    if not line.startswith("{"):
        load.kill()
        raise RuntimeError("flood load generator failed")
    counts: dict[str, int] = json.loads(line)
    return load, counts


def flood_memory(tmp: Path, connections: int) -> list[dict[str, Any]]:
    """RSS of a TLS relay before, during and after a flood of idle connections
    that never authenticate: once with every cap lifted (what one pre-auth
    connection costs, and whether it is given back), once with the defaults."""
    rows = []
    settle_s = 6.0  # the relay notices the closes, collects and trims its heap (memory.py)
    for name, limits in (("caps lifted", LIFTED_CAPS), ("default caps", [])):
        port = free_port()
        limits = [*limits, "--auth-timeout", "600"]  # idle for the whole measurement
        server = relay_server(tmp / f"flood-{len(rows)}", port, tls=True, limits=limits).start()
        try:
            warm, _ = _flood(port, 20)  # imports, TLS context, first connections
            warm.kill()
            warm.wait()
            time.sleep(settle_s)
            before = server.rss_kib()
            load, counts = _flood(port, connections)
            time.sleep(2)
            during = server.rss_kib()
            load.kill()
            load.wait()
            time.sleep(settle_s)
            after = server.rss_kib()
        finally:
            server.stop()
        held = counts["challenged"]
        row = {
            "limits": name,
            "connections": connections,
            "held_unauthenticated": held,
            "refused": counts["refused"],
            "rss_before_kib": before,
            "rss_during_kib": during,
            "rss_after_kib": after,
            "kib_per_held_connection": round((during - before) / held, 1) if held else 0.0,
            "after_over_before": round(after / before, 2),
        }
        print(f"  {name}: {row}", flush=True)
        rows.append(row)
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--json", type=Path, default=RESULTS)
    p.add_argument("--no-postgres", action="store_true")
    p.add_argument("--no-mosquitto", action="store_true")
    p.add_argument("--quick", action="store_true", help="10 devices, 256 B, 2 s only")
    p.add_argument(
        "--nodes",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2, 4],
        help="PostgreSQL relay groups to run, by node count (default 1,2,4)",
    )
    p.add_argument("--idle-connections", type=int, default=2000)
    p.add_argument(
        "--flood-only",
        action="store_true",
        help="only the flood of idle unauthenticated TLS connections (about a minute)",
    )
    # load generator (internal)
    p.add_argument("--loadgen", choices=("relay", "mqtt", "flood"))
    p.add_argument("--devices", type=int, default=10)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--rate", type=float, default=0.0)
    p.add_argument("--url", action="append", default=[])
    p.add_argument("--idle", action="store_true")
    args = p.parse_args()
    raise_nofile()
    # SIGTERM (a timeout, an impatient person) unwinds like Ctrl-C, so the
    # servers and the benchmark database are cleaned up on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.loadgen == "relay":
        print(json.dumps(asyncio.run(_relay_load(args))))
        return 0
    if args.loadgen == "flood":
        asyncio.run(_flood_load(args))
        return 0
    if args.loadgen == "mqtt":
        args.port = int(args.url[0])
        print(json.dumps(_mqtt_load(args)))
        return 0

    if args.flood_only:
        with tempfile.TemporaryDirectory(prefix="keybound-bench-flood-") as tmp_name:
            print(f"Flood ({args.idle_connections} idle unauthenticated TLS connections)")
            flood = {"flood": flood_memory(Path(tmp_name), args.idle_connections)}
        _flood_table(flood["flood"])
        target = args.json if args.json != RESULTS else RESULTS.with_name("relay_flood.json")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(flood, indent=2) + "\n")
        print(f"wrote {target}")
        return 0

    seconds = 2.0 if args.quick else args.seconds
    matrix = [(10, 256)] if args.quick else [(10, 256), (10, 4096), (200, 256), (200, 4096)]
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "seconds": seconds,
        "window_per_device": {str(d): window_for(d) for d, _ in matrix},
    }
    with tempfile.TemporaryDirectory(prefix="keybound-bench-relay-") as tmp_name:
        tmp = Path(tmp_name)
        with contextlib.ExitStack() as stack:
            # every server runs for the whole matrix; each cell then runs the
            # backends back to back, so a busy moment on the machine hits all alike
            targets: dict[str, tuple[str, list[str]]] = {}
            port = free_port()
            stack.callback(relay_server(tmp / "sqlite", port).start().stop)
            targets["sqlite"] = ("relay", [f"ws://127.0.0.1:{port}"])
            if importlib.util.find_spec("uvloop") is not None:
                # the relay runs on uvloop when installed: asyncio's own loop as its baseline
                port = free_port()
                stack.callback(
                    relay_server(tmp / "sqlite-asyncio", port, loop="asyncio").start().stop
                )
                targets["sqlite_asyncio_loop"] = ("relay", [f"ws://127.0.0.1:{port}"])
            for nodes in [] if args.no_postgres else args.nodes:
                # one database per group: every node LISTENs to every NOTIFY on its database
                dsn = stack.enter_context(pg_database(f"_{nodes}n"))
                if dsn is None:
                    break
                ports = [free_port() for _ in range(nodes)]
                for i, pt in enumerate(ports):
                    stack.callback(relay_server(tmp / f"pg{nodes}-{i}", pt, dsn).start().stop)
                targets[_pg_name(nodes)] = ("relay", [f"ws://127.0.0.1:{pt}" for pt in ports])
            if not args.no_mosquitto:
                port = free_port()
                stack.callback(mosquitto_server(tmp / "mosquitto", port).start().stop)
                targets["mosquitto"] = ("mqtt", [str(port)])
            for name in targets:
                results[name] = []
            for cell in matrix:
                for name, (kind, target) in targets.items():
                    results[name] += measure(kind, target, seconds, [cell], name)
        print(f"Idle memory ({args.idle_connections} authenticated connections)", flush=True)
        results["idle_memory"] = idle_memory(tmp, args.idle_connections)
        print(f"Flood ({args.idle_connections} idle unauthenticated TLS connections)")
        results["flood"] = flood_memory(tmp, args.idle_connections)
    _table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0


def _table(results: dict[str, Any]) -> None:
    print()
    head = f"{'backend':18} {'dev':>4} {'bytes':>5} {'peak/s':>8} {'p50':>7} {'p99':>7}"
    head += f" {'half/s':>8} {'p50':>7} {'p99':>7}"
    print(head)
    print("-" * len(head))
    names = ["sqlite", "sqlite_asyncio_loop"]
    names += [*(n for n in results if n.startswith("postgres_")), "mosquitto"]
    for name in names:
        for r in results.get(name, []):
            print(
                f"{name:18} {r['devices']:>4} {r['payload']:>5} {r['peak_msgs_per_s']:>8.0f}"
                f" {r['peak_p50_ms']:>7.2f} {r['peak_p99_ms']:>7.2f}"
                f" {r['half_rate_msgs_per_s']:>8.0f} {r['half_rate_p50_ms']:>7.2f}"
                f" {r['half_rate_p99_ms']:>7.2f}"
            )
    if "sqlite" in results and "mosquitto" in results:
        print()
        for s, m in zip(results["sqlite"], results["mosquitto"], strict=True):
            ratio = s["peak_msgs_per_s"] / m["peak_msgs_per_s"] if m["peak_msgs_per_s"] else 0
            print(f"sqlite/mosquitto {s['devices']:>4} dev {s['payload']:>5} B: {ratio:.2f}")
    pg = [n for n in names if n.startswith("postgres_") and n in results]
    if "sqlite" in results and pg:
        print("\nPostgreSQL nodes against one SQLite node (delivered msg/s at peak, ratio):")
        for i, s in enumerate(results["sqlite"]):
            base = s["peak_msgs_per_s"] or float("nan")
            cells = [
                f"{n.split('_')[1]} nodes {results[n][i]['peak_msgs_per_s'] / base:.2f}" for n in pg
            ]
            print(f"  {s['devices']:>4} dev {s['payload']:>5} B: " + ", ".join(cells))
    mem = results["idle_memory"]
    print(
        f"\nidle memory: {mem['kib_per_connection']} KiB per authenticated connection "
        f"({mem['connections']} connections, RSS {mem['rss_before_kib']} -> "
        f"{mem['rss_after_kib']} KiB)"
    )
    print("latencies in ms; rates in delivered messages per second")
    _flood_table(results["flood"])


def _flood_table(rows: list[dict[str, Any]]) -> None:
    print()
    head = f"{'flood':14} {'held':>5} {'refused':>7} {'before':>8} {'during':>8} {'after':>8}"
    head += f" {'KiB/conn':>8} {'after/before':>12}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['limits']:14} {r['held_unauthenticated']:>5} {r['refused']:>7}"
            f" {r['rss_before_kib']:>8} {r['rss_during_kib']:>8} {r['rss_after_kib']:>8}"
            f" {r['kib_per_held_connection']:>8} {r['after_over_before']:>12}"
        )
    print("RSS in KiB of a --dev-tls relay; the flood's connections never authenticate")


def _pg_name(nodes: int) -> str:
    return f"postgres_{nodes}_node" + ("s" if nodes > 1 else "")


if __name__ == "__main__":
    sys.exit(main())
