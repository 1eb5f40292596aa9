"""Backups in a process of their own: memory stays bounded, and kill -9 leaves nothing.

The history here holds 128 MiB of attachment files and 2,000 messages; the
bound (100 MiB peak RSS for the whole Python process) is fixed, far below
the data, so memory does not grow with the backup's size (the 1M-message,
1 GiB case is `bench/backup.py`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keybound.store.repository import Repository

from .history import dump, fill, new_history

BOUND_MIB = 100
CHILD = r"""
import sys, time
from pathlib import Path
from keybound.backup import operations as ops
from keybound.backup.age_recipients import ScryptIdentity, ScryptRecipient
from keybound.backup.values import Control
from keybound.store.database import Database
from tests.backup.history import KEY, ME, new_history

what, root, marker = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
if what == "full-disk":  # the disk fills up after 4 MiB of backup
    import resource, signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, 4 << 20))
    what = "backup"

def progress(p):
    if marker != "-" and (p.bytes_done or p.messages_done):
        Path(marker).write_text("started")
        time.sleep(60)  # the test kills us here

control = Control(progress)
if what == "backup":
    db = Database.open(root / "history.db", KEY, memory_security=False)
    reader = db.reader()
    ops.create(reader, root / "out" / "backup.age", [ScryptRecipient("p" * 20, log_n=10)],
               own_identity=ME, settings={}, include_attachments=True, control=control, now=1)
else:
    db = new_history(root / "target.db").db
    ops.restore(db, root / "backup.age", [ScryptIdentity("p" * 20)], own_identity=ME,
                attachments_dir=root / "restored", control=control)
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]) // 1024)
"""


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    repo = new_history(root / "history.db")
    fill(repo, root / "files", messages=2_000, attachment_size=1)
    # Make the attachment files big: 8 local files of 16 MiB.
    rows = repo.db.query("SELECT message_id, position, local_path FROM attachments "
                         "WHERE local_state = 'local' LIMIT 8")  # fmt: skip
    for message_id, position, path in rows:
        with open(path, "wb") as f:
            for _ in range(16):
                f.write(os.urandom(1 << 20))
        repo.db.execute(
            "UPDATE attachments SET size = ? WHERE message_id = ? AND position = ?",
            (16 << 20, message_id, position),
        )
    repo.db.close()
    (root / "out").mkdir()
    return root


def _child(what: str, root: Path, marker: str = "-") -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, what, str(root), marker],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None, "the child ended before it started"
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_backup_and_restore_memory_stays_bounded(big: Path) -> None:
    proc = _child("backup", big)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    backup = big / "out" / "backup.age"
    assert backup.stat().st_size > 128 << 20
    assert int(out.split()[-1]) < BOUND_MIB, f"backup peak {out.split()[-1]} MiB"
    os.replace(backup, big / "backup.age")
    proc = _child("restore", big)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert int(out.split()[-1]) < BOUND_MIB, f"restore peak {out.split()[-1]} MiB"
    print("peak MiB backup/restore", out.split()[-1])


def test_kill_during_backup_leaves_no_file(big: Path, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    proc = _child("backup", big, str(marker))
    _wait_for(marker, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert os.listdir(big / "out") == []


def test_a_full_disk_during_backup_says_so_and_leaves_no_file(big: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, "full-disk", str(big), "-"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "BackupWriteFailed: There is not enough disk space" in proc.stderr
    assert os.listdir(big / "out") == []


def test_kill_during_restore_leaves_the_vault_unchanged(big: Path, tmp_path: Path) -> None:
    if not (big / "backup.age").exists():
        test_backup_and_restore_memory_stays_bounded(big)
    target = big / "target.db"
    for leftover in big.glob("target.db*"):
        leftover.unlink()
    shutil.rmtree(big / "restored", ignore_errors=True)
    repo: Repository = new_history(target)
    before = dump(repo.db)
    repo.db.close()
    marker = tmp_path / "started"
    proc = _child("restore", big, str(marker))
    _wait_for(marker, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    repo = new_history(target)  # inserts our own identity again: it is already there
    try:
        assert dump(repo.db) == before
    finally:
        repo.db.close()
    restored = big / "restored"
    assert not restored.exists() or all(p.name.startswith(".") for p in restored.iterdir())
