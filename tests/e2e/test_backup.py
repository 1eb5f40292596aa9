"""`keybound backup` and `keybound export` as a person runs them: real processes, cards on
pcscd, a relay process; a passphrase from --passphrase-fd; restore onto a new computer
with `init --join --restore`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .people import KEYBOUND, PIN, Person, befriend, env, make_person

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
PASSPHRASE = "river stone maple 42 lantern quiet"


def _run(
    person: Person, *args: str, passphrases: int = 0, pins: int = 6
) -> subprocess.CompletedProcess[str]:
    """keybound with PINs on one pipe and ``passphrases`` copies of the passphrase on another."""
    fds = []
    cmd = [*KEYBOUND, "--profile", str(person.profile)]
    pin_r, pin_w = os.pipe()
    os.write(pin_w, f"{PIN}\n".encode() * pins)
    os.close(pin_w)
    fds.append(pin_r)
    cmd += ["--pin-fd", str(pin_r), *args]
    if passphrases:
        pass_r, pass_w = os.pipe()
        os.write(pass_w, f"{PASSPHRASE}\n".encode() * passphrases)
        os.close(pass_w)
        fds.append(pass_r)
        cmd += ["--passphrase-fd", str(pass_r)]
    try:
        return subprocess.run(
            cmd, capture_output=True, text=True, pass_fds=tuple(fds), timeout=120,
            check=False, stdin=subprocess.DEVNULL, env=env(),
        )  # fmt: skip
    finally:
        for fd in fds:
            os.close(fd)


def test_backup_verify_export_and_restore_onto_a_new_computer(
    relay_factory,
    virtual_card: CardFactory,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    relay: RelayProcess = relay_factory()
    alice = make_person("alice", tmp_path, virtual_card, slot=2)
    bob = make_person("bob", tmp_path, virtual_card, slot=4)
    alice.init(relay.url)
    bob.init(relay.url)
    befriend(alice, bob)
    alice.run("send", "bob", "first <b>not bold</b>")
    alice.run("send", "bob", "second ünïcødé")
    texts = alice.texts("bob")

    backup = tmp_path / "alice.age"
    weak = _run(alice, "backup", "create", "--out", str(tmp_path / "weak.age"), pins=0)
    assert weak.returncode == 1 and "passphrase" in weak.stderr  # no terminal, no fd
    made = _run(alice, "backup", "create", "--out", str(backup), passphrases=2)
    assert made.returncode == 0, made.stderr
    assert "messages:      2" in made.stdout and backup.exists()
    assert "Traceback" not in made.stderr
    checked = _run(alice, "backup", "verify", str(backup), passphrases=1)
    assert checked.returncode == 0 and alice.identity in checked.stdout, checked.stderr
    wrong = subprocess.run(
        [*KEYBOUND, "--profile", str(alice.profile), "backup", "verify", str(backup),
         "--passphrase-fd", "0"],
        input="not the right passphrase at all\n", capture_output=True, text=True,
        env=env(), timeout=60, check=False,
    )  # fmt: skip
    assert wrong.returncode == 1 and "Wrong backup passphrase" in wrong.stderr

    export = tmp_path / "export"
    out = _run(alice, "export", "--json", "--out", str(export))
    assert out.returncode == 0 and "NOT encrypted" in out.stderr, out.stderr
    assert export.stat().st_mode & 0o777 == 0o700
    [page] = list(export.glob("*/messages.json"))
    assert [m["body"] for m in json.loads(page.read_text())["messages"]] == texts

    # A new computer: join with the same card, then import the history from the backup.
    (tmp_path / "alice-new").mkdir()
    newer = Person("alice-new", tmp_path / "alice-new", alice.card)
    args = ["init", "--relay", relay.url, "--reader", alice.reader, "--kind", "openpgp",
            "--join", "--device-name", "alice-new", "--restore", str(backup)]  # fmt: skip
    joined = _run(newer, *args, passphrases=1)
    assert joined.returncode == 0, joined.stderr
    assert "restored: 2 messages added" in joined.stdout
    assert newer.texts("bob") == texts
