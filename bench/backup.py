"""Backup benchmark: our backup and restore against stock `age -e` / `age -d` on the same bytes.

Run: `.venv/bin/python bench/backup.py [--messages N] [--attachment-mb M] [--json PATH]`
(default 1,000,000 messages and 1024 MiB of attachments; that takes a while).

1. A history of N messages over 200 conversations (bodies of 8-80 words) is
   written into a real SQLCipher file, with M MiB of downloaded attachment
   files (16 MiB each) beside it.
2. **backup**: a child process writes the age backup (X25519 recipient) of that
   history: reading the database, building the tar, encrypting, fsync.
3. **restore**: a child process merges the backup into a fresh history (one
   transaction, full-text index included).
4. **baseline**: the same tar bytes (the backup's payload, decrypted once) are
   encrypted by stock `age -e -r` and decrypted by stock `age -d -i` in the same
   run. MB/s are bytes of the age file per second in every row.

Peak RSS is each child's own VmHWM (polled while it runs). Targets:
backup and restore at least 0.9x age's throughput; peak RSS under 150 MB.
"""

# Imports come after the sys.path fix below.
# ruff: noqa: E402

from __future__ import annotations

import os
import sys

# bench/token.py would shadow the standard library's `token` module.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import argparse
import json
import platform
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from keybound.backup import operations as ops
from keybound.backup.age_file import open_payload
from keybound.backup.age_recipients import (
    X25519Identity,
    X25519Recipient,
    format_secret_key,
    x25519_exchange,
    x25519_public,
)
from keybound.backup.values import Control
from keybound.protocol.ids import new_message_id
from keybound.store.database import Database

KEY = bytes(range(32))
ME = b"\x11" * 32
PEOPLE = [bytes([n]) * 32 for n in range(32, 232)]
FILE_MB = 16
WORDS = "the a of to and in is it you that he was for on are with as I his they be at"
WORD_LIST = WORDS.split()


def build(root: Path, messages: int, attachment_mb: int) -> None:
    db = Database.open(root / "history.db", KEY, memory_security=False)
    rng = random.Random(7)
    with db.transaction():
        db.execute(
            "INSERT INTO identities (identity_id, is_self, display_name, created_at, updated_at) "
            "VALUES (?, 1, 'me', 1, 1)",
            (ME,),
        )
        db.executemany(
            "INSERT INTO identities (identity_id, display_name, chain, created_at, updated_at) "
            "VALUES (?, ?, ?, 1, 1)",
            [(p, f"person {i}", os.urandom(600)) for i, p in enumerate(PEOPLE)],
        )
        db.executemany(
            "INSERT INTO conversations (conversation_id, kind, peer_identity, created_at, "
            "last_sort_at) VALUES (?, 'direct', ?, 1, 1)",
            [(p[:16], p) for p in PEOPLE],
        )
    files = root / "files"
    files.mkdir()
    attachments = []
    for n in range(attachment_mb // FILE_MB):
        path = files / f"file-{n}.bin"
        with path.open("wb") as f:
            for _ in range(FILE_MB):
                f.write(os.urandom(1 << 20))
        attachments.append(path)
    t = 1_600_000_000_000
    batch: list[tuple[Any, ...]] = []
    extra: list[tuple[Any, ...]] = []
    for n in range(messages):
        t += rng.randint(1, 60_000)
        peer = PEOPLE[int(rng.paretovariate(1.2)) % len(PEOPLE)]
        outgoing = rng.random() < 0.4
        body = " ".join(rng.choice(WORD_LIST) for _ in range(rng.randint(8, 80)))
        mid = new_message_id(t)
        batch.append((mid, peer[:16], ME if outgoing else peer, b"d" * 32, int(outgoing), t, t,
                      None if outgoing else t + 5, "text", body,
                      "read" if outgoing else "received"))  # fmt: skip
        if n < len(attachments):
            extra.append((mid, attachments[n]))
        if len(batch) == 10_000 or n == messages - 1:
            with db.transaction():
                db.executemany(
                    "INSERT INTO messages (message_id, conversation_id, sender_identity, "
                    "sender_device, outgoing, sort_at, sent_at, received_at, content_type, body, "
                    "status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )
            batch.clear()
    with db.transaction():
        db.executemany(
            "INSERT INTO attachments (message_id, position, blob_id, key, digest, size, "
            "media_type, local_state, local_path) VALUES (?, 0, ?, ?, ?, ?, "
            "'application/octet-stream', 'local', ?)",
            [(m, os.urandom(16), os.urandom(32), os.urandom(32), p.stat().st_size, str(p))
             for m, p in extra],
        )  # fmt: skip
    db.close()


def child_backup(root: Path, secret: bytes) -> None:
    db = Database.open(root / "history.db", KEY, memory_security=False)
    reader = db.reader()
    ops.create(
        reader, root / "backup.age", [X25519Recipient(x25519_public(secret))], own_identity=ME,
        settings={}, include_attachments=True, control=Control(), now=1,
    )  # fmt: skip
    reader.close()
    db.close()


def child_restore(root: Path, secret: bytes) -> None:
    db = Database.open(root / "restored.db", KEY, memory_security=False)
    db.execute(
        "INSERT INTO identities (identity_id, is_self, created_at, updated_at) VALUES (?, 1, 1, 1)",
        (ME,),
    )
    ops.restore(
        db, root / "backup.age", [X25519Identity(x25519_public(secret), x25519_exchange(secret))],
        own_identity=ME, attachments_dir=root / "restored-files", control=Control(),
    )  # fmt: skip
    db.close()


def _peak_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def timed_child(args: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of one child process.

    The peak is the child's own VmHWM, polled until it exits (getrusage of a
    forked child would count the parent's pages it was forked with).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(args)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _peak_kib(proc.pid))
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"child failed: {' '.join(args)}")
    return elapsed, peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--attachment-mb", type=int, default=1024)
    parser.add_argument("--json", default=str(Path(__file__).parent / "results" / "backup.json"))
    parser.add_argument("--child", choices=("backup", "restore"))
    parser.add_argument("--root")
    parser.add_argument("--secret")
    args = parser.parse_args()
    if args.child:
        secret = bytes.fromhex(args.secret)
        (child_backup if args.child == "backup" else child_restore)(Path(args.root), secret)
        return
    age = shutil.which("age")
    if age is None:
        raise SystemExit("stock age is needed (scripts/setup installs it)")
    root = Path(tempfile.mkdtemp(prefix="kb-bench-backup-"))
    try:
        secret = os.urandom(32)
        print(f"building {args.messages:,} messages + {args.attachment_mb} MiB ...", flush=True)
        t0 = time.perf_counter()
        build(root, args.messages, args.attachment_mb)
        print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)
        me = [sys.executable, __file__, "--root", str(root), "--secret", secret.hex(), "--child"]
        backup_s, backup_rss = timed_child([*me, "backup"])
        size = (root / "backup.age").stat().st_size
        tar = root / "payload.tar"
        with (root / "backup.age").open("rb") as f, tar.open("wb") as out:
            reader = open_payload(
                f, [X25519Identity(x25519_public(secret), x25519_exchange(secret))]
            )
            while piece := reader.read(1 << 20):
                out.write(piece)
        restore_s, restore_rss = timed_child([*me, "restore"])
        identity = root / "identity.txt"
        identity.write_text(format_secret_key(secret) + "\n")
        recipient = str(X25519Recipient(x25519_public(secret)))
        stock = root / "stock.age"
        age_e_s, age_e_rss = timed_child([age, "-e", "-r", recipient, "-o", str(stock), str(tar)])
        age_d_s, age_d_rss = timed_child([age, "-d", "-i", str(identity), "-o", os.devnull,
                                          str(stock)])  # fmt: skip
        stock_size = stock.stat().st_size
    finally:
        shutil.rmtree(root, ignore_errors=True)
    mb = 1e6
    rows = {
        "backup": {
            "seconds": backup_s, "mb_per_s": size / mb / backup_s, "peak_rss_mb": backup_rss,
        },
        "restore": {
            "seconds": restore_s, "mb_per_s": size / mb / restore_s, "peak_rss_mb": restore_rss,
        },
        "age -e": {
            "seconds": age_e_s, "mb_per_s": stock_size / mb / age_e_s, "peak_rss_mb": age_e_rss,
        },
        "age -d": {
            "seconds": age_d_s, "mb_per_s": stock_size / mb / age_d_s, "peak_rss_mb": age_d_rss,
        },
    }  # fmt: skip
    ratios = {
        "backup_vs_age_e": rows["backup"]["mb_per_s"] / rows["age -e"]["mb_per_s"],
        "restore_vs_age_d": rows["restore"]["mb_per_s"] / rows["age -d"]["mb_per_s"],
    }
    print(f"\n{args.messages:,} messages, {args.attachment_mb} MiB attachments, "
          f"backup file {size / mb:.1f} MB\n")  # fmt: skip
    print(f"{'':10} {'seconds':>9} {'MB/s':>9} {'peak RSS MB':>12}")
    for name, row in rows.items():
        print(f"{name:10} {row['seconds']:9.2f} {row['mb_per_s']:9.1f} {row['peak_rss_mb']:12.1f}")
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}x (target >= 0.9x)")
    result = {
        "benchmark": "backup",
        "messages": args.messages,
        "attachment_mb": args.attachment_mb,
        "backup_bytes": size,
        "rows": rows,
        "ratios": ratios,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
