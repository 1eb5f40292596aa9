"""Every enqueue that returned survives a SIGKILL of the process (both backends)."""

from __future__ import annotations

import asyncio
import os
import random
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.relay.storage.conftest import Backend
from tests.relay.storage.enqueue_loop import RECIPIENT

ROOT = Path(__file__).resolve().parents[3]


def _run_and_kill(backend: Backend, acks_before_kill: int, extra_delay: float) -> set[int]:
    """Start the enqueue loop, SIGKILL it after some acks; return the acked numbers."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.relay.storage.enqueue_loop", backend.name, backend.location],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert child.stdout is not None
    out = b""
    acked = 0
    deadline = time.monotonic() + 30
    with selectors.DefaultSelector() as sel:
        sel.register(child.stdout, selectors.EVENT_READ)
        while acked < acks_before_kill:
            assert time.monotonic() < deadline, f"child too slow: {out[-200:]!r}"
            if not sel.select(timeout=1):
                assert child.poll() is None, child.stderr.read() if child.stderr else b""
                continue
            chunk = os.read(child.stdout.fileno(), 65536)
            assert chunk, child.stderr.read() if child.stderr else b"child exited"
            out += chunk
            acked = out.count(b"\nok ") + out.startswith(b"ok ")
    time.sleep(extra_delay)  # land the kill anywhere, mid-commit included
    child.send_signal(signal.SIGKILL)
    rest, _ = child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL
    out += rest
    lines = out.split(b"\n")[:-1]  # the last piece may be a partial line: not an ack
    return {int(line[3:]) for line in lines if line.startswith(b"ok ")}


def test_acknowledged_messages_survive_sigkill(backend: Backend) -> None:
    rng = random.Random()
    acked_total: set[bytes] = set()
    for _round in range(3):
        acked = _run_and_kill(backend, rng.randint(20, 300), rng.uniform(0, 0.02))
        assert acked
        acked_total |= {b"m%d" % n for n in acked}

        async def stored() -> set[bytes]:
            async with backend.started() as node:
                out: list[bytes] = []
                after = 0
                while page := await node.storage.fetch(RECIPIENT, after, 1000):
                    out += [m.payload for m in page]
                    after = page[-1].queue_id
                # the cap counters agree with the rows after the crash
                size = await node.storage.queue_size(RECIPIENT)
                assert size == (len(out), sum(len(p) for p in out))
                return set(out)

        payloads = asyncio.run(stored())
        missing = acked_total - payloads
        assert not missing, f"{len(missing)} acknowledged messages lost: {sorted(missing)[:5]}"
