"""Tools we did not write read the virtual card through real pcscd.

OpenSC (``openpgp-tool``, ``opensc-tool``) and GnuPG (``gpg --card-status``,
through its own scdaemon) must see the serial, the algorithms and the key
fingerprints that Keybound's backend wrote. Needs the Debian packages
``opensc`` and ``gnupg`` + ``scdaemon``; skipped without them locally,
failed in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from keybound.token.base import EnrollOptions, PinKind
from keybound.token.openpgp import OpenPgpToken
from keybound.token.prompter import FixedPinPrompter
from keybound.token.worker import TokenWorker

from ..conftest import CardFactory, unavailable

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Enrolled:
    reader: str
    serial: str  # 8 hex digits, without the manufacturer
    sig_fpr: str
    dec_fpr: str


@pytest.fixture
def enrolled(virtual_card: CardFactory, token_worker: TokenWorker) -> Enrolled:
    from keybound.token.pcsc import PcscTransport

    inserted = virtual_card("openpgp", slot=0)
    transport = token_worker.call(PcscTransport, inserted.reader)
    token = token_worker.call(OpenPgpToken, transport, FixedPinPrompter({PinKind.USER: "123456"}))
    token_worker.call(token.enroll, EnrollOptions(current_admin_pin="12345678"))
    token_worker.call(token.sign, b"counted once")
    details = dict(token_worker.call(token.info).details)
    token_worker.call(token.close)  # let the other tools have the card to themselves
    return Enrolled(
        inserted.reader,
        token.ref.serial.split(":")[1],
        details["Signature key"],
        details["Decryption key"],
    )


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} not installed (apt-get install {package})")
    assert path is not None
    return path


def _colons(fpr: str) -> str:
    return ":".join(fpr[i : i + 2] for i in range(0, len(fpr), 2)).lower()


def test_openpgp_tool_reads_serial_algorithms_and_fingerprints(enrolled: Enrolled) -> None:
    tool = _tool("openpgp-tool", "opensc")
    result = subprocess.run(
        [tool, "--reader", enrolled.reader, "--card-info", "--key-info"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in result.stdout.splitlines())
    }
    assert lines["Version"] == "3.4"
    assert lines["Manufacturer"] == "test card"
    assert lines["Serial number"] == enrolled.serial
    assert lines["Sig Algorithm"] == "EDDSA"
    assert lines["Dec Algorithm"] == "ECDH"
    assert _colons(enrolled.sig_fpr) in result.stdout
    assert _colons(enrolled.dec_fpr) in result.stdout


def test_opensc_tool_names_the_card(enrolled: Enrolled) -> None:
    tool = _tool("opensc-tool", "opensc")
    result = subprocess.run(
        [tool, "--reader", enrolled.reader, "--name"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"OpenPGP card v3.4 (FFFF {enrolled.serial})"


@pytest.fixture
def gnupg_home(tmp_path: Path, enrolled: Enrolled) -> Iterator[dict[str, str]]:
    gpg = _tool("gpg", "gnupg")
    gpgconf = _tool("gpgconf", "gnupg")
    components = subprocess.run(
        [gpgconf, "--list-components"], capture_output=True, text=True, check=False
    ).stdout
    if "scdaemon:" not in components:
        unavailable("GnuPG's scdaemon not installed (apt-get install scdaemon)")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    (home / "scdaemon.conf").write_text(
        f'disable-ccid\npcsc-shared\nreader-port "{enrolled.reader}"\n'
    )
    env = dict(os.environ, GNUPGHOME=str(home), GPG_BINARY=gpg)
    try:
        yield env
    finally:  # gpg-agent and scdaemon outlive gpg: stop ours (only ours: this GNUPGHOME)
        subprocess.run([gpgconf, "--kill", "all"], env=env, timeout=30, check=False)


def test_gpg_card_status_reads_what_keybound_wrote(
    enrolled: Enrolled, gnupg_home: dict[str, str]
) -> None:
    result = subprocess.run(
        [gnupg_home["GPG_BINARY"], "--batch", "--with-colons", "--card-status"],
        capture_output=True,
        text=True,
        env=gnupg_home,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fields = {line.split(":")[0]: line.split(":")[1:] for line in result.stdout.splitlines()}
    assert fields["Reader"][2] == f"D276000124010304FFFF{enrolled.serial}0000"
    assert fields["version"][0] == "0304"
    assert fields["vendor"][:2] == ["ffff", "test card"]
    assert fields["serial"][0] == enrolled.serial
    assert fields["fpr"][:2] == [enrolled.sig_fpr, enrolled.dec_fpr]
    keyattrs = [line for line in result.stdout.splitlines() if line.startswith("keyattr:")]
    assert keyattrs[:2] == ["keyattr:1:22:Ed25519:", "keyattr:2:18:Curve25519:"]
    assert fields["pinretry"][:3] == ["3", "0", "3"]
    assert fields["sigcount"][0] == "1"
    assert fields["forcepin"][0] == "1"  # PW1 valid for one signature
    # scdaemon read both public keys (GENERATE 81) to compute these keygrips
    grips = fields["grp"]
    assert grips[0] != "0" * 40
    assert grips[1] != "0" * 40
