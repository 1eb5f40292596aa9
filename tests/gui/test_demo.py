"""`scripts/demo --offscreen`: the README's first command starts, plays its round, exits 0.

Through real pcscd (the demo's cards go into vpcd readers 0 and 1, which this
test holds via the ``vpcd`` fixture's machine-wide lock) and a real relay process.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import VpcdSetup

ROOT = Path(__file__).resolve().parents[2]


# The run itself takes ~15 s; the rest is for waiting on the machine-wide vpcd lock.
@pytest.mark.timeout(600)
def test_demo_plays_its_scripted_round_offscreen_and_exits_cleanly(vpcd: VpcdSetup) -> None:
    env = {
        **os.environ,
        "KEYBOUND_SKIP_SETUP": "1",
        "KEYBOUND_VPCD_LOCK_HELD": "1",  # the vpcd fixture holds it for us
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.pop("DISPLAY", None)
    done = subprocess.run(
        [str(ROOT / "scripts" / "demo"), "--offscreen"],
        env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    output = done.stdout
    assert done.returncode == 0, output + done.stderr[-3000:]
    assert "inserted into pcscd's readers 'Virtual PCD 00 00' and 'Virtual PCD 00 01'" in output
    assert "alice: PIN asked at start, unlocked" in output
    assert "it arrived in bob's window" in output
    assert "her window locked after" in output
    assert "plugged back in: PIN asked at once, unlocked" in output
    assert "Traceback" not in done.stderr
