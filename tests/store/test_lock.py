"""One process per profile: a second opener is refused; a killed holder leaves no stale lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from keybound.errors import ProfileInUse
from keybound.store.lock import LOCK_FILE, ProfileLock

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from keybound.store.lock import ProfileLock
    lock = ProfileLock.acquire(Path(sys.argv[1]))
    print("locked", flush=True)
    time.sleep(60)
    """
)
TRY = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from keybound.errors import ProfileInUse
    from keybound.store.lock import ProfileLock
    try:
        ProfileLock.acquire(Path(sys.argv[1])).release()
    except ProfileInUse as exc:
        print(exc)
        sys.exit(3)
    print("acquired")
    """
)


def start_holder(profile: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(profile)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def try_in_other_process(profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", TRY, str(profile)], capture_output=True, text=True, timeout=30
    )


def test_second_opener_in_this_process_is_refused(tmp_path: Path) -> None:
    with ProfileLock.acquire(tmp_path) as lock:
        assert lock.held
        with pytest.raises(ProfileInUse) as info:
            ProfileLock.acquire(tmp_path)
        assert info.value.pid == os.getpid()
        assert str(info.value).startswith(
            f"Keybound is already running with this profile (pid {os.getpid()})."
        )
    assert not lock.held
    ProfileLock.acquire(tmp_path).release()  # free again once released


def test_other_process_is_refused_and_told_the_pid(tmp_path: Path) -> None:
    holder = start_holder(tmp_path)
    try:
        result = try_in_other_process(tmp_path)
        assert result.returncode == 3, result.stderr
        assert f"already running with this profile (pid {holder.pid})" in result.stdout
        with pytest.raises(ProfileInUse):
            ProfileLock.acquire(tmp_path)
    finally:
        holder.kill()
        holder.wait()


def test_kill_9_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = start_holder(tmp_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert (tmp_path / LOCK_FILE).read_text().strip() == str(holder.pid)  # the pid file remains
    result = try_in_other_process(tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, "acquired")
    with ProfileLock.acquire(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text().strip() == str(os.getpid())


def test_the_lock_is_not_inherited_by_child_processes(tmp_path: Path) -> None:
    with ProfileLock.acquire(tmp_path):
        # close_fds=False: only the descriptor's own close-on-exec flag keeps it out.
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(30)"], close_fds=False
        )
    try:
        result = try_in_other_process(tmp_path)
        assert result.returncode == 0, result.stdout
    finally:
        child.kill()
        child.wait()
