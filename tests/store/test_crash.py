"""kill -9 in the middle of a write burst: every reported commit survives, nothing is torn.

The child (this file run as a script) writes transactions that each hold a
few messages, their protocol state change and their outbox rows, and prints
each transaction's message IDs only after COMMIT returned.  The parent kills
it with SIGKILL at a random moment, reopens the database and checks.
"""

from __future__ import annotations

import os
import random
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from keybound.protocol.state import StateChange
from keybound.store.database import HISTORY_FILE, Database
from keybound.store.lock import ProfileLock
from keybound.store.models import Conversation, ConversationKind, Identity, Message, new_message_id
from keybound.store.repository import Repository

KEY = bytes.fromhex("11" * 32)
CONV = b"conversation"


def child(profile: Path) -> None:
    ProfileLock.acquire(profile)  # held until the kernel drops it with the process
    db = Database.open(profile / HISTORY_FILE, KEY)
    repo = Repository(db)
    if repo.conversation(CONV) is None:
        repo.upsert_identity(Identity(b"peer", 1, "Peer"))
        repo.upsert_conversation(
            Conversation(CONV, ConversationKind.DIRECT, 1, peer_identity=b"peer")
        )
    txn = len(repo.crypto_states("burst"))
    rng = random.Random()
    while True:
        txn += 1
        ids = []
        with db.transaction():
            for _ in range(rng.randint(1, 4)):
                t = int(time.time() * 1000)
                mid = new_message_id(t)
                body = f"burst message {txn} " + "x" * rng.randrange(0, 3000)
                repo.insert_message(
                    Message(mid, CONV, b"peer", b"d", False, t, body, received_at=t)
                )
                repo.enqueue(b"peer-device", b"receipt for " + mid, t, mid)
                ids.append(mid)
            repo.apply_state_changes([StateChange("burst", txn.to_bytes(4, "big"), b"".join(ids))])
        print(" ".join(i.hex() for i in ids), flush=True)


def run_and_kill(profile: Path, after: float) -> list[bytes]:
    proc = subprocess.Popen(
        [sys.executable, __file__, str(profile)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    reported: list[bytes] = []
    buffer = b""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = None
    while True:
        if deadline is None and reported:
            deadline = time.monotonic() + after  # the burst is running: pick the moment
        if deadline is not None and time.monotonic() >= deadline:
            break
        if sel.select(timeout=0.01):
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"writer died: {proc.stderr.read() if proc.stderr else ''}")
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            reported += [bytes.fromhex(i.decode()) for line in lines for i in line.split()]
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate()
    # Lines already in the pipe were committed before the kill: they count too.
    for line in (buffer + rest).split(b"\n")[:-1]:
        reported += [bytes.fromhex(i.decode()) for i in line.split()]
    assert proc.returncode == -signal.SIGKILL
    return reported


def test_kill_9_during_a_write_burst_loses_no_commit(tmp_path: Path) -> None:
    rng = random.Random()
    all_reported: list[bytes] = []
    for _ in range(3):
        all_reported += run_and_kill(tmp_path, after=rng.uniform(0.05, 0.6))
        with ProfileLock.acquire(tmp_path), Database.open(tmp_path / HISTORY_FILE, KEY) as db:
            assert db.integrity_problems() == []
            repo = Repository(db)
            stored = {m.message_id for m in _all_messages(repo)}
            assert set(all_reported) <= stored
            # Atomic transactions: each committed one has its state row and its outbox rows.
            states = repo.crypto_states("burst")
            in_states = {b[i : i + 16] for b in states.values() for i in range(0, len(b), 16)}
            assert in_states == stored
            outbox = {i.message_id for i in repo.due(now=2**62, limit=1_000_000)}
            assert outbox == stored
            assert sorted(states) == [n.to_bytes(4, "big") for n in range(1, len(states) + 1)]
    assert len(all_reported) > 3


def _all_messages(repo: Repository) -> list[Message]:
    page = repo.latest(CONV, 500)
    out = list(page)
    while page:
        page = repo.before(CONV, page[0].message_id, 500)
        out[:0] = page
    return out


if __name__ == "__main__":
    child(Path(sys.argv[1]))
