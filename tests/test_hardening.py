"""The app process writes no core file and is not dumpable, seen from outside it.

Each case runs in a fresh interpreter (the settings cannot be undone), which
aborts in an empty directory: the kernel's wait status says whether it dumped
core.  The unhardened run is the control that shows this machine would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import unavailable

ABORT = """
import os, resource, sys
resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
if sys.argv[1] == "harden":
    from keybound.hardening import harden_process
    harden_process()
os.abort()
"""


def _abort_in(cwd: Path, mode: str) -> tuple[bool, list[str]]:
    """Whether a child that aborts in ``cwd`` dumped core; the files it left."""
    child = subprocess.Popen([sys.executable, "-c", ABORT, mode], cwd=cwd)
    _, status = os.waitpid(child.pid, 0)
    child.returncode = 0  # reaped above
    assert os.WIFSIGNALED(status)
    return os.WCOREDUMP(status), sorted(p.name for p in cwd.iterdir())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux prctl")
def test_a_hardened_process_leaves_no_core_where_an_unhardened_one_does(tmp_path: Path) -> None:
    control, hardened = tmp_path / "control", tmp_path / "hardened"
    control.mkdir()
    hardened.mkdir()
    dumped, left = _abort_in(control, "plain")
    if not dumped:  # core_pattern or a container keeps every core away
        unavailable("this machine writes no core files, so the control cannot show one")
    assert left  # the control's core file (core_pattern decides its name)
    assert _abort_in(hardened, "harden") == (False, [])


def test_the_cli_hardens_its_process_before_anything_else() -> None:
    probe = (
        "import resource\n"
        "from keybound import cli, hardening\n"
        "assert hardening.is_dumpable()\n"
        "try:\n"
        "    cli.main(['--version'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(resource.getrlimit(resource.RLIMIT_CORE), hardening.is_dumpable())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "(0, 0) False"
