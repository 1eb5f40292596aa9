"""Atomic replacement of small files: crash between write and rename, backups, disk full.

Disk full is real: a 64 KiB tmpfs filled to the brim when this process may
mount one (root), otherwise RLIMIT_FSIZE (the kernel then fails writes with
EFBIG, the per-process cousin of ENOSPC). Both go through the same code.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import signal
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from keybound.errors import KeyslotFileDamaged, StoreFileError, VaultNotFound
from keybound.store.atomic import backup_path, read_with_fallback, write_atomic
from keybound.store.keyslots import TEST_COST
from keybound.store.vault import add_token, create_vault, unlock_with_token
from keybound.token.base import EnrollOptions, PinKind, Token
from keybound.token.fido2_token import Fido2Token, inprocess_device, inprocess_ref
from keybound.token.prompter import FixedPinPrompter
from keybound.token.sim.card import VirtualCard
from keybound.token.sim.fido2_applet import Fido2Applet
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.sim.presence import UserPresence
from keybound.token.worker import TokenWorker

ROOT = Path(__file__).resolve().parents[2]


def listing(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def parse(data: bytes) -> bytes:
    if not data.startswith(b"ok:"):
        raise KeyslotFileDamaged("test")
    return data


def missing() -> Exception:
    return VaultNotFound("none")


def test_write_commit_and_rollback(tmp_path: Path) -> None:
    path = tmp_path / "slots"
    write_atomic(path, b"one").commit()
    assert path.read_bytes() == b"one"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert listing(tmp_path) == {"slots": b"one"}

    pending = write_atomic(path, b"two")
    assert listing(tmp_path) == {"slots": b"two", "slots.bak": b"one"}
    assert stat.S_IMODE(backup_path(path).stat().st_mode) == 0o600
    pending.rollback()
    assert listing(tmp_path) == {"slots": b"one"}

    write_atomic(path, b"three").commit()
    assert listing(tmp_path) == {"slots": b"three"}
    write_atomic(tmp_path / "first", b"x").rollback()  # a first version rolls back to nothing
    assert listing(tmp_path) == {"slots": b"three"}


def test_fallback_never_prefers_the_backup_over_a_valid_primary(tmp_path: Path) -> None:
    path = tmp_path / "slots"
    with pytest.raises(VaultNotFound):
        read_with_fallback(path, parse, (KeyslotFileDamaged,), missing)
    backup_path(path).write_bytes(b"ok:old")
    assert read_with_fallback(path, parse, (KeyslotFileDamaged,), missing).from_backup
    path.write_bytes(b"ok:new")
    loaded = read_with_fallback(path, parse, (KeyslotFileDamaged,), missing)
    assert (loaded.value, loaded.from_backup) == (b"ok:new", False)
    path.write_bytes(b"broken")
    loaded = read_with_fallback(path, parse, (KeyslotFileDamaged,), missing)
    assert (loaded.value, loaded.from_backup) == (b"ok:old", True)
    backup_path(path).write_bytes(b"broken too")
    with pytest.raises(KeyslotFileDamaged):
        read_with_fallback(path, parse, (KeyslotFileDamaged,), missing)
    # Errors outside ``fallback_on`` (an unknown version, say) never fall back.
    backup_path(path).write_bytes(b"ok:old")
    with pytest.raises(ValueError, match="newer"):
        read_with_fallback(path, lambda d: (_ for _ in ()).throw(ValueError("newer")), (), missing)


CRASH_AT_RENAME = """
import os, sys
from pathlib import Path
from keybound.store.atomic import write_atomic
real_replace = os.replace
def replace(src, dst):  # the process dies at the rename onto ``dst``
    if str(dst).endswith(sys.argv[2]):
        os._exit(9)
    real_replace(src, dst)
os.replace = replace
write_atomic(Path(sys.argv[1]), b"new version")
"""


@pytest.mark.parametrize("target", ["slots.bak", "slots"])
def test_crash_between_write_and_rename_keeps_the_old_file(tmp_path: Path, target: str) -> None:
    path = tmp_path / "slots"
    write_atomic(path, b"old version").commit()
    script = [sys.executable, "-c", CRASH_AT_RENAME, str(path), target]
    assert subprocess.run(script, cwd=ROOT, check=False).returncode == 9
    files = listing(tmp_path)
    assert files.pop("slots") == b"old version"
    if target == "slots":
        assert files.pop("slots.bak") == b"old version"
    [(temp_name, temp_data)] = files.items()
    assert temp_name.startswith(".slots.") and temp_name.endswith(".tmp")
    # written and fsynced, never renamed: the backup copy or the new version
    assert temp_data == (b"new version" if target == "slots" else b"old version")
    assert read_with_fallback(path, bytes, (), missing).value == b"old version"
    write_atomic(path, b"next").commit()  # the next write sweeps the leftover away
    assert listing(tmp_path) == {"slots": b"next"}


def test_crash_after_rename_leaves_the_new_primary_in_charge(tmp_path: Path) -> None:
    path = tmp_path / "slots"
    write_atomic(path, b"ok:old").commit()
    write_atomic(path, b"ok:new")  # never committed: the process "died" before verifying
    assert listing(tmp_path) == {"slots": b"ok:new", "slots.bak": b"ok:old"}
    assert read_with_fallback(path, parse, (KeyslotFileDamaged,), missing).value == b"ok:new"


def test_other_os_errors_are_explained(tmp_path: Path) -> None:
    with pytest.raises(StoreFileError, match=r"Could not save .*Nothing was changed"):
        write_atomic(tmp_path / "no such dir" / "slots", b"x")
    if os.geteuid() != 0:  # root ignores directory permissions
        tmp_path.chmod(0o500)
        try:
            with pytest.raises(StoreFileError, match="Permission denied"):
                write_atomic(tmp_path / "slots", b"x")
        finally:
            tmp_path.chmod(0o700)


# --- disk full -----------------------------------------------------------------------------


@dataclass
class SmallDisk:
    """A directory whose writes can be made to fail for lack of room."""

    directory: Path
    mechanism: str  # "tmpfs" or "rlimit"

    @contextlib.contextmanager
    def full(self, room: int = 0) -> Iterator[None]:
        """Leave room for about ``room`` more bytes (tmpfs: whole pages), then fail."""
        if self.mechanism == "rlimit":
            soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (room, hard))
            try:
                yield
            finally:
                resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
                signal.signal(signal.SIGXFSZ, previous)
            return
        filler = self.directory / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            with pytest.raises(OSError, match="No space left") as caught:  # noqa: PT012
                while True:
                    os.write(fd, bytes(4096))
            assert caught.value.errno == errno.ENOSPC
            pages = (room + 4095) // 4096
            os.ftruncate(fd, max(0, os.fstat(fd).st_size - pages * 4096))
        finally:
            os.close(fd)
        try:
            yield
        finally:
            filler.unlink()


@pytest.fixture(params=["tmpfs", "rlimit"])
def small_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SmallDisk]:
    """A 64 KiB tmpfs where this process may mount one, else (and also) RLIMIT_FSIZE."""
    mount_point = tmp_path / f"small-{uuid.uuid4().hex[:8]}"
    mount_point.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount_point)]
    mounted = (
        request.param == "tmpfs"
        and subprocess.run(mount, capture_output=True, check=False).returncode == 0
    )
    yield SmallDisk(mount_point, "tmpfs" if mounted else "rlimit")
    if mounted:
        subprocess.run(["umount", str(mount_point)], check=True)


@pytest.mark.parametrize("room", [0, 1000], ids=["no-room-for-backup", "room-for-backup-only"])
def test_disk_full_leaves_the_old_file_alone(small_disk: SmallDisk, room: int) -> None:
    path = small_disk.directory / "slots"
    write_atomic(path, b"o" * 1000).commit()
    with small_disk.full(room), pytest.raises(StoreFileError, match="not enough disk space"):
        write_atomic(path, b"n" * 6000)
    assert listing(small_disk.directory) == {"slots": b"o" * 1000}
    write_atomic(path, b"n" * 6000).commit()  # room again: the write goes through
    assert path.read_bytes() == b"n" * 6000


def fido2_token() -> Fido2Token:
    presence = UserPresence()
    card = VirtualCard([Fido2Applet(None, presence)], presence)
    prompter = FixedPinPrompter({PinKind.USER: "123456"})
    token = Fido2Token(inprocess_device(InProcessTransport(card)), inprocess_ref("sim"), prompter)
    token.enroll(EnrollOptions(user_pin="123456"))
    return token


def test_disk_full_while_adding_a_token(small_disk: SmallDisk, token_worker: TokenWorker) -> None:
    first: Token = token_worker.call(fido2_token)
    spare: Token = token_worker.call(fido2_token)
    path = small_disk.directory / "keyslots"
    master_key, _ = token_worker.call(create_vault, path, first, None, cost=TEST_COST)
    before = listing(small_disk.directory)
    room = len(before["keyslots"])
    with small_disk.full(room), pytest.raises(StoreFileError, match="not enough disk space"):
        token_worker.call(add_token, path, master_key, spare)
    assert listing(small_disk.directory) == before
    assert token_worker.call(unlock_with_token, path, first) == master_key
    token_worker.call(add_token, path, master_key, spare)
    assert token_worker.call(unlock_with_token, path, spare) == master_key
