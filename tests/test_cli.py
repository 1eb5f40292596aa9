"""The command line end to end: `keybound token simulate` in one process,
`keybound token ...` in others, through the real pcscd (integration)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import VpcdSetup, wait_for

pytestmark = pytest.mark.integration

KEYBOUND = [sys.executable, "-m", "keybound.cli"]


class Simulator:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc

    def command(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()


@pytest.fixture
def simulator(vpcd: VpcdSetup, tmp_path: Path) -> Iterator[Simulator]:
    proc = subprocess.Popen(
        [
            *KEYBOUND,
            "token",
            "simulate",
            "--kind",
            "both",
            "--state",
            str(tmp_path / "card.json"),
            "--port",
            str(vpcd.port),
            "--reader",
            "0",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("ready both card")
    assert wait_for(lambda: vpcd.reader(0) in _keybound(tmp_path, "token", "list").stdout)
    yield Simulator(proc)
    proc.terminate()
    assert proc.wait(10) == 0


def _keybound(
    profile: Path, *args: str, pins: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    pass_fds: tuple[int, ...] = ()
    extra: list[str] = []
    reader = None
    if pins is not None:
        reader, writer = os.pipe()
        os.write(writer, "".join(p + "\n" for p in pins).encode())
        os.close(writer)
        pass_fds = (reader,)
        extra = ["--pin-fd", str(reader)]
    try:
        return subprocess.run(
            [*KEYBOUND, "--profile", str(profile), *args, *extra],
            capture_output=True,
            text=True,
            pass_fds=pass_fds,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    finally:
        if reader is not None:
            os.close(reader)


def test_list_init_info_selftest_change_pin(
    simulator: Simulator, vpcd: VpcdSetup, tmp_path: Path
) -> None:
    reader = vpcd.reader(0)
    sel = ["--reader", reader]
    listed = _keybound(tmp_path, "token", "list").stdout
    assert "openpgp" in listed and "fido2" in listed and "FFFF:" in listed
    as_json = [
        json.loads(line)
        for line in _keybound(tmp_path, "token", "list", "--json").stdout.splitlines()
    ]
    assert {t["kind"] for t in as_json if t["reader"] == reader} == {"openpgp", "fido2"}
    assert all(set(t) == {"kind", "transport", "reader", "serial", "label"} for t in as_json)

    info = _keybound(tmp_path, "token", "info", "--kind", "openpgp", *sel)
    assert info.returncode == 0, info.stderr
    assert "Keybound keys:  no" in info.stdout or "no (run" in info.stdout

    init = _keybound(
        tmp_path, "token", "init", "--kind", "openpgp", *sel, pins=["", "135791", "13579135"]
    )
    assert init.returncode == 0, init.stderr
    assert "Keys created" in init.stdout and "openpgp-ed25519" in init.stdout

    again = _keybound(tmp_path, "token", "init", "--kind", "openpgp", *sel, pins=["13579135"])
    assert again.returncode == 1 and "already holds Keybound keys" in again.stderr

    selftest = _keybound(
        tmp_path, "token", "selftest", "--kind", "openpgp", *sel, pins=["135791", "135791"]
    )
    assert selftest.returncode == 0, selftest.stderr
    assert "The token works." in selftest.stdout

    wrong = _keybound(tmp_path, "token", "selftest", "--kind", "openpgp", *sel, pins=["000000"])
    assert wrong.returncode == 1
    assert "Wrong PIN. 2 attempts left." in wrong.stderr
    assert "Traceback" not in wrong.stderr

    changed = _keybound(
        tmp_path, "token", "change-pin", "--kind", "openpgp", *sel, pins=["135791", "864200"]
    )
    assert changed.returncode == 0, changed.stderr
    info = _keybound(tmp_path, "token", "info", "--kind", "openpgp", *sel)
    assert "PIN tries left: 3" in info.stdout.replace("  ", " ") or ": 3" in info.stdout


def test_fido2_init_remembers_the_credential(
    simulator: Simulator, vpcd: VpcdSetup, tmp_path: Path
) -> None:
    sel = ["--kind", "fido2", "--reader", vpcd.reader(0)]
    init = _keybound(tmp_path, "token", "init", *sel, pins=["4321"])
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "tokens.json").exists()
    selftest = _keybound(tmp_path, "token", "selftest", *sel, pins=["4321"] * 3)
    assert selftest.returncode == 0, selftest.stderr
    other_profile = tmp_path / "other"
    no_cred = _keybound(other_profile, "token", "selftest", *sel, pins=["4321"])
    assert no_cred.returncode == 1 and "token init" in no_cred.stderr


def test_removed_card_is_a_clear_error(
    simulator: Simulator, vpcd: VpcdSetup, tmp_path: Path
) -> None:
    assert simulator.command("remove") == "removed"
    result = _keybound(tmp_path, "token", "info", "--reader", vpcd.reader(0))
    assert result.returncode == 1
    assert "No matching security key" in result.stderr
    assert simulator.command("insert") == "inserted"
    assert wait_for(lambda: vpcd.reader(0) in _keybound(tmp_path, "token", "list").stdout)


def test_pins_never_come_from_argv() -> None:
    result = subprocess.run(
        [*KEYBOUND, "token", "init", "--pin", "123456"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr
