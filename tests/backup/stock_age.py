"""Drive the stock ``age`` binary (Debian package ``age``), answering its prompts on a pty.

age reads passphrases from the terminal only, so the test gives it one:
``pty.fork`` makes a pseudo-terminal the child's controlling terminal, and
each prompt is answered when it appears.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import time
from pathlib import Path

from tests.conftest import unavailable

TIMEOUT_S = 60.0


def age_binary() -> str:
    found = shutil.which("age")
    if found is None:
        unavailable("the stock age tool is not installed (scripts/setup installs it)")
        raise AssertionError("unreachable")
    return found


def run_with_prompts(args: list[str], answers: list[tuple[bytes, str]]) -> tuple[int, bytes]:
    """Run ``args`` on a pty; for each (prompt text, answer) wait for the prompt, type the answer.

    Returns the exit status and everything the program wrote to the terminal.
    """
    binary = age_binary()
    pid, fd = pty.fork()
    if pid == 0:  # the child: age on the pty
        os.execv(binary, [binary, *args])  # noqa: S606 (no shell: argv as given)
    seen = b""
    pending = list(answers)
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            if pending and pending[0][0] in seen.lower():
                os.write(fd, pending[0][1].encode() + b"\r")
                marker = pending.pop(0)[0]
                seen = seen[: seen.lower().rfind(marker)] + b"<answered>"
        else:
            os.kill(pid, 9)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen


def decrypt_with_passphrase(source: Path, dest: Path, passphrase: str) -> tuple[int, bytes]:
    return run_with_prompts(["-d", "-o", str(dest), str(source)], [(b"passphrase", passphrase)])


def encrypt_with_passphrase(source: Path, dest: Path, passphrase: str) -> tuple[int, bytes]:
    return run_with_prompts(
        ["-e", "-p", "-o", str(dest), str(source)],
        [(b"enter passphrase", passphrase), (b"confirm passphrase", passphrase)],
    )
