"""The relay's own distribution: built from this tree, installed alone into an empty
virtualenv, it serves TLS, ``/healthz`` and carries a message, without any of the
client's dependencies (Qt, smartcards, SQLCipher, vodozemac) present."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
import urllib.request
import venv
from pathlib import Path

import pytest

from keybound.wire import frames as f
from tests.conftest import unavailable
from tests.helpers.relay_process import Person, RelayClient, RelayProcess, send

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ONLY = ("PySide6", "smartcard", "fido2", "sqlcipher3", "vodozemac", "nacl")

pytestmark = pytest.mark.integration


class InstalledRelay(RelayProcess):
    """The relay run from the isolated virtualenv (``-I``: no PYTHONPATH, no user site)."""

    def __init__(self, python: Path, data: Path) -> None:
        super().__init__(data, tls=True, metrics=True)
        self.python = python

    def command(self) -> list[str]:
        return [str(self.python), "-I", *super().command()[1:]]


@pytest.fixture(scope="module")
def relay_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("relay-dist")
    built = subprocess.run(
        [str(ROOT / "packaging" / "build-relay"), str(tmp / "dist")],
        capture_output=True,
        text=True,
        env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp / "dist").glob("keybound_relay-*.whl")
    venv.create(tmp / "venv", with_pip=True)
    python = tmp / "venv" / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True
    )
    if installed.returncode != 0:
        unavailable(f"cannot install the relay's dependencies: {installed.stderr[-500:]}")
    return python


def test_the_relay_wheel_holds_only_relay_code(relay_venv: Path) -> None:
    probe = "import importlib.util as u, sys; print(*(m for m in sys.argv[1:] if u.find_spec(m)))"
    found = subprocess.run(
        [str(relay_venv), "-I", "-c", probe, *CLIENT_ONLY],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert found == ""
    listing = subprocess.run(
        [str(relay_venv), "-I", "-m", "pip", "show", "-f", "keybound-relay"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "keybound/relay/main.py" in listing
    for client_module in ("keybound/client/", "keybound/store/", "keybound/gui/", "token/sim/"):
        assert client_module not in listing


def test_the_installed_relay_serves_tls_health_and_a_message(
    relay_venv: Path, tmp_path: Path
) -> None:
    relay = InstalledRelay(relay_venv, tmp_path / "data").start()
    try:
        health = f"{relay.metrics_url}/healthz"
        with urllib.request.urlopen(health, timeout=5) as reply:  # noqa: S310 (http on loopback)
            assert reply.status == 200
        assert relay.fingerprint  # --dev-tls printed the certificate it serves
        asyncio.run(asyncio.wait_for(_one_message(relay.url), 60))
    finally:
        relay.stop()


async def _one_message(url: str) -> None:
    tls = ssl.create_default_context()
    tls.check_hostname = False
    tls.verify_mode = ssl.CERT_NONE  # a --dev-tls certificate; pinning is tested elsewhere
    alice, bob = Person(), Person()
    for person in (alice, bob):
        client = await RelayClient.connect(url, ssl_context=tls)
        await client.call(f.PublishIdentity(person.chain()), f.Ok)
        await client.close()
    a = await RelayClient.login(url, alice.device, ssl_context=tls)
    b = await RelayClient.login(url, bob.device, ssl_context=tls)
    assert (await a.call(send(bob.device, b"ciphertext"), f.Sent)).accepted == 1
    (incoming,) = await b.deliveries(1, timeout=10)
    assert incoming.payload == b"ciphertext"
    await a.close()
    await b.close()
