"""Backup benchmark: our backup and restore against stock `age -e` / `age -d` on the same bytes.

Run: `.venv/bin/python bench/backup.py [--messages N] [--attachment-mb M] [--json PATH]
[--keep DIR]` (default 1,000,000 messages and 1024 MiB of attachments; building that
profile takes minutes, so `--keep` builds it once and reuses it).

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
5. **bounds**, what our side cannot go below whatever the age and tar code does:
   *select bound*, the backup's own queries over the whole history plus a read
   of every attachment file (no tar, hash, encryption or writing); *insert
   bound*, the same message rows and files written the way the restore writes
   them (one transaction, the same INSERT statements, FTS5 index and triggers,
   files fsynced), with no age, tar, hashing or JSON. Only their database and
   file work is timed.

Peak RSS is each child's own VmHWM (polled while it runs); CPU seconds are the
child's user + system time, steadier than wall time on a shared machine. Targets:
backup and restore at least 0.9x age's throughput; peak RSS under 150 MB. See
docs/backup-format.md ("Speed") for what bounds them.
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
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from keybound.backup import layout as L
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
from keybound.backup.writer import _PAGE_SQL as PAGE_SQL  # the backup's own query
from keybound.protocol.ids import new_message_id
from keybound.store.database import INSERT_ROWS, Database

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


def child_insert(root: Path) -> None:
    """The bound of a restore: the same message rows and attachment files written the
    way the restore writes them (one transaction, the restore's INSERT statements with
    FTS and triggers, files fsynced), with no age, tar, hashing or JSON. Only the
    writing is timed (reading the rows back from the source is not); the seconds go
    to ``insert.json``."""
    source = Database.open(root / "history.db", KEY, memory_security=False).reader()
    db = Database.open(root / "bound.db", KEY, memory_security=False)
    out = root / "bound-files"
    out.mkdir()
    columns = ", ".join(L.MESSAGE_COLUMNS)
    head = f"INSERT OR IGNORE INTO messages ({columns})"
    spent, last = 0.0, 0
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    for table, cols in (
        ("identities", "identity_id, is_self, display_name, chain, created_at, updated_at"),
        ("conversations", "conversation_id, kind, peer_identity, created_at, last_sort_at"),
    ):
        rows = source.query(f"SELECT {cols} FROM {table}")  # noqa: S608
        db.insert_many(f"INSERT INTO {table} ({cols})", cols.count(",") + 1, rows)
    spent += time.perf_counter() - start
    while True:
        rows = source.query(
            f"SELECT rowid, {columns} FROM messages WHERE rowid > ? ORDER BY rowid LIMIT ?",  # noqa: S608
            (last, INSERT_ROWS),
        )
        if not rows:
            break
        last = rows[-1][0]
        start = time.perf_counter()
        db.insert_many(head, len(L.MESSAGE_COLUMNS), [r[1:] for r in rows])
        spent += time.perf_counter() - start
    paths = [Path(r[0]) for r in source.query("SELECT local_path FROM attachments")]
    start = time.perf_counter()
    for path in paths:
        with path.open("rb") as f, (out / path.name).open("wb") as w:
            while piece := f.read(256 * 1024):
                w.write(piece)
            w.flush()
            os.fsync(w.fileno())
    db.execute("COMMIT")
    spent += time.perf_counter() - start
    (root / "insert.json").write_text(json.dumps({"seconds": spent}))
    source.close()
    db.close()


def child_select(root: Path) -> None:
    """The bound of a backup: the backup's own queries over the whole history (messages
    as JSON built by SQLite, page by page per conversation) and a read of every
    attachment file, with no tar, hashing, encryption or writing; seconds to
    ``select.json``."""
    start = time.perf_counter()
    db = Database.open(root / "history.db", KEY, memory_security=False).reader()
    db.execute("BEGIN")
    for (conversation_id,) in db.query("SELECT conversation_id FROM conversations"):
        after: tuple[int, bytes] = (-(2**62), b"")
        while rows := db.query(PAGE_SQL, (conversation_id, *after, 2000)):
            after = (rows[-1][1], rows[-1][0])
    for (path,) in db.query("SELECT local_path FROM attachments WHERE local_state = 'local'"):
        with open(path, "rb", buffering=0) as f:
            while f.read(1 << 20):
                pass
    db.execute("ROLLBACK")
    (root / "select.json").write_text(json.dumps({"seconds": time.perf_counter() - start}))


def _peak_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def timed_child(args: list[str]) -> dict[str, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS MiB of one child process.

    The peak is the child's own VmHWM, polled until it exits (getrusage of a
    forked child would count the parent's pages it was forked with). CPU time
    comes from RUSAGE_CHILDREN before and after (children run one at a time):
    on a shared machine it is steadier than wall time.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(args)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _peak_kib(proc.pid))
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"child failed: {' '.join(args)}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": elapsed, "cpu_seconds": cpu, "peak_rss_mb": peak / 1024}


def _row(measured: dict[str, float], size: int) -> dict[str, float]:
    return {
        **measured,
        "mb_per_s": size / 1e6 / measured["seconds"],
        "cpu_mb_per_s": size / 1e6 / measured["cpu_seconds"] if measured["cpu_seconds"] else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--attachment-mb", type=int, default=1024)
    parser.add_argument("--json", default=str(Path(__file__).parent / "results" / "backup.json"))
    parser.add_argument(
        "--keep", metavar="DIR",
        help="build the profile in DIR/<messages>-<MiB> once and reuse it in later runs",
    )  # fmt: skip
    parser.add_argument("--child", choices=("backup", "restore", "insert", "select"))
    parser.add_argument("--root")
    parser.add_argument("--secret")
    args = parser.parse_args()
    if args.child in ("insert", "select"):
        (child_insert if args.child == "insert" else child_select)(Path(args.root))
        return
    if args.child:
        secret = bytes.fromhex(args.secret)
        (child_backup if args.child == "backup" else child_restore)(Path(args.root), secret)
        return
    age = shutil.which("age")
    if age is None:
        raise SystemExit("stock age is needed (scripts/setup installs it)")
    if args.keep:
        root = Path(args.keep) / f"{args.messages}-{args.attachment_mb}"
        root.mkdir(parents=True, exist_ok=True)
        built = (root / "built").exists()
        for old in root.iterdir():  # what an earlier run measured, and a half-built profile
            if built and (old.name in ("files", "built") or old.name.startswith("history.db")):
                continue
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
    else:
        root = Path(tempfile.mkdtemp(prefix="kb-bench-backup-"))
    try:
        secret = os.urandom(32)
        if not (root / "built").exists():
            print(f"building {args.messages:,} messages + {args.attachment_mb} MiB ...", flush=True)
            t0 = time.perf_counter()
            build(root, args.messages, args.attachment_mb)
            (root / "built").touch()
            print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)
        me = [sys.executable, __file__, "--root", str(root), "--secret", secret.hex(), "--child"]
        load_before = os.getloadavg()
        backup = timed_child([*me, "backup"])
        select = timed_child([*me, "select"])
        select_s = json.loads((root / "select.json").read_text())["seconds"]
        select["cpu_seconds"] *= select_s / select["seconds"]
        select["seconds"] = select_s
        size = (root / "backup.age").stat().st_size
        tar = root / "payload.tar"
        with (root / "backup.age").open("rb") as f, tar.open("wb") as out:
            reader = open_payload(
                f, [X25519Identity(x25519_public(secret), x25519_exchange(secret))]
            )
            while piece := reader.read(1 << 20):
                out.write(piece)
        restore = timed_child([*me, "restore"])
        insert = timed_child([*me, "insert"])
        # Only the writing counts at the bound (see child_insert); its CPU share likewise.
        insert_s = json.loads((root / "insert.json").read_text())["seconds"]
        insert["cpu_seconds"] *= insert_s / insert["seconds"]
        insert["seconds"] = insert_s
        identity = root / "identity.txt"
        identity.write_text(format_secret_key(secret) + "\n")
        recipient = str(X25519Recipient(x25519_public(secret)))
        stock = root / "stock.age"
        age_e = timed_child([age, "-e", "-r", recipient, "-o", str(stock), str(tar)])
        age_d = timed_child([age, "-d", "-i", str(identity), "-o", os.devnull, str(stock)])
        stock_size = stock.stat().st_size
        load_after = os.getloadavg()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    rows = {
        "backup": _row(backup, size),
        "select bound": _row(select, size),
        "restore": _row(restore, size),
        "insert bound": _row(insert, size),
        "age -e": _row(age_e, stock_size),
        "age -d": _row(age_d, stock_size),
    }
    ratios: dict[str, float] = {}
    for ours, theirs in (
        ("backup", "age -e"), ("select bound", "age -e"), ("backup", "select bound"),
        ("restore", "age -d"), ("insert bound", "age -d"), ("restore", "insert bound"),
    ):  # fmt: skip
        key = f"{ours}_vs_{theirs}".replace(" ", "_").replace("-", "")
        ratios[key] = rows[ours]["mb_per_s"] / rows[theirs]["mb_per_s"]
        ratios[f"{key}_cpu"] = rows[ours]["cpu_mb_per_s"] / rows[theirs]["cpu_mb_per_s"]
    print(f"\n{args.messages:,} messages, {args.attachment_mb} MiB attachments, "
          f"backup file {size / 1e6:.1f} MB; load average {load_before[0]:.1f} -> "
          f"{load_after[0]:.1f} on {os.cpu_count()} CPUs\n")  # fmt: skip
    print(f"{'':12} {'seconds':>9} {'MB/s':>9} {'CPU s':>9} {'MB/CPU s':>9} {'peak RSS MB':>12}")
    for name, row in rows.items():
        print(f"{name:12} {row['seconds']:9.2f} {row['mb_per_s']:9.1f} {row['cpu_seconds']:9.2f} "
              f"{row['cpu_mb_per_s']:9.1f} {row['peak_rss_mb']:12.1f}")  # fmt: skip
    for name, value in ratios.items():
        target = " (target >= 0.9x)" if name in ("backup_vs_age_e", "restore_vs_age_d") else ""
        print(f"{name}: {value:.2f}x{target}")
    print(f"messages backed up per second: {args.messages / backup['seconds']:,.0f}; "
          f"read per second at the bound: {args.messages / select_s:,.0f}")  # fmt: skip
    print(f"messages restored per second: {args.messages / restore['seconds']:,.0f}; "
          f"inserted per second at the bound: {args.messages / insert_s:,.0f}")  # fmt: skip
    result = {
        "benchmark": "backup",
        "messages": args.messages,
        "attachment_mb": args.attachment_mb,
        "backup_bytes": size,
        "rows": rows,
        "ratios": ratios,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": [load_before[0], load_after[0]],
        },
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
