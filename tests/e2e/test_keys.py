"""`keybound token add/remove/keys` and `keybound recovery replace`, each a real process,
with two virtual cards in two vpcd readers of the real pcscd."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from keybound.client.profile import Profile
from keybound.errors import WrongRecoveryCode
from keybound.store.vault import unlock_with_recovery_code
from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .people import ENROLL_PINS, KEYBOUND, PIN, Person, env, make_person

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def test_a_spare_card_is_added_the_first_removed_and_the_spare_alone_opens_the_account(
    relay_factory,
    virtual_card: CardFactory,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    relay: RelayProcess = relay_factory()
    alice = make_person("alice", tmp_path, virtual_card, slot=2)
    alice.init(relay.url)
    spare = virtual_card("openpgp", slot=3, state_file=tmp_path / "spare.json")

    early = alice.run("token", "add", expect=3)  # a token problem: exit code 3
    assert "no Keybound keys yet: set it up first" in early.err
    alice.run("token", "init", "--reader", spare.reader, pins=ENROLL_PINS)
    added = alice.run("token", "add", pins=[PIN, PIN, PIN])
    assert "as a spare key" in added.out

    keys = alice.run("token", "keys", "--json").lines()
    assert len(keys) == 2 and all(k["present"] and k["in_vault"] for k in keys)
    first, second = sorted(keys, key=lambda k: (k["added_at"], k["token_id"] in added.out))
    assert second["token_id"][:16] in added.out
    assert "plugged in" in alice.run("token", "keys").out

    alice.run("token", "remove", first["token_id"][:12], pins=[PIN, PIN])
    assert [k["token_id"] for k in alice.run("token", "keys", "--json").lines()] == [
        second["token_id"]
    ]
    last = alice.run("token", "remove", second["token_id"][:12], pins=[PIN, PIN], expect=1)
    assert "only security key" in last.err

    alice.card.remove()  # the first card leaves; the spare alone opens the account
    [left] = alice.run("token", "keys", "--json").lines()
    assert left["token_id"] == second["token_id"] and left["present"]
    try:  # through a running Keybound too (it holds the profile; no PIN asked here)
        alice.listen()
        [through] = alice.run("token", "keys", "--json", pins=None).lines()
        assert through["token_id"] == second["token_id"]
        gone = alice.run("token", "remove", second["token_id"][:12], pins=None, expect=1)
        assert "only security key" in gone.err
    finally:
        alice.stop_listeners()


def _replace(person: Person, retyped: str | None) -> tuple[int, str, str]:
    """`keybound recovery replace`, typing back what it shows (or ``retyped``)."""
    read_end, write_end = os.pipe()
    os.write(write_end, f"{PIN}\n".encode())
    proc = subprocess.Popen(
        [*KEYBOUND, "--profile", str(person.profile), "--pin-fd", str(read_end),
         "recovery", "replace"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True, pass_fds=(read_end,), env=env(),
    )  # fmt: skip
    os.close(read_end)
    assert proc.stdout is not None and proc.stderr is not None
    shown = [proc.stdout.readline(), proc.stdout.readline()]
    code = shown[1].strip()
    os.write(write_end, f"{retyped or code}\n{PIN}\n".encode())
    os.close(write_end)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, code, "".join(shown) + out + "\n" + err


def test_recovery_replace_shows_the_code_once_wants_it_back_and_retires_the_old_one(
    relay_factory,
    virtual_card: CardFactory,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    relay: RelayProcess = relay_factory()
    alice = make_person("alice", tmp_path, virtual_card, slot=2)
    alice.init(relay.url)
    keyslots = Profile(alice.profile).keyslots
    old = alice.recovery_code

    code, shown, output = _replace(alice, retyped=old)  # typed back wrong: nothing changes
    assert code == 1 and "old code still works" in output, output
    assert shown != old
    unlock_with_recovery_code(keyslots, old)

    code, new, output = _replace(alice, retyped=None)
    assert code == 0, output
    assert "shown only this once" in output and "old one no longer opens" in output
    with pytest.raises(WrongRecoveryCode):
        unlock_with_recovery_code(keyslots, old)
    unlock_with_recovery_code(keyslots, new)
    with pytest.raises(WrongRecoveryCode):
        unlock_with_recovery_code(keyslots, shown)  # the code of the failed attempt
