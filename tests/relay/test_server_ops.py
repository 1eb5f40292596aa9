"""Operations: TLS, metrics and health, the command line, what is written to disk and logs."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import vodozemac

from keybound.cli import relay_main
from keybound.wire import cbor
from keybound.wire import frames as f
from tests.helpers.relay_process import (
    SRC,
    Person,
    RelayClient,
    RelayProcess,
    free_port,
    publish,
    relay_factory,
    run,
    send,
)

__all__ = ["relay_factory"]


def _relay_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keybound.relay.main", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
    )


def test_dev_tls_fingerprint_is_stable_and_pinnable(relay_factory: Any) -> None:
    relay: RelayProcess = relay_factory(tls=True)
    first = relay.fingerprint
    assert first and len(first.split(":")) == 32
    cert = relay.data / "dev-tls.crt"
    assert (relay.data / "dev-tls.key").stat().st_mode & 0o077 == 0

    async def scenario() -> None:
        context = ssl.create_default_context(cafile=str(cert))  # pin: trust only this cert
        alice = Person()
        client = await RelayClient.connect(relay.url, ssl_context=context)
        await client.call(f.PublishIdentity(alice.chain()), f.Ok)
        await client.call(alice.device.answer(client.challenge), f.Authenticated)
        der = client.conn.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
        assert hashlib.sha256(der).hexdigest().upper() == first.replace(":", "")
        await client.close()

    run(scenario())
    assert relay.stop() == 0
    relay.start()
    assert relay.fingerprint == first
    run(scenario())


def test_plain_ws_needs_loopback_and_the_flag(tmp_path: Path) -> None:
    out = _relay_cli("--data", str(tmp_path), "--listen", "0.0.0.0:9", "--insecure-loopback")
    assert out.returncode == 2
    assert "only allowed on a loopback address" in out.stderr
    out = _relay_cli("--data", str(tmp_path), "--listen", f"127.0.0.1:{free_port()}")
    assert out.returncode == 2 and "choose exactly one" in out.stderr
    out = _relay_cli("--data", str(tmp_path), "--listen", "nonsense", "--insecure-loopback")
    assert out.returncode == 2 and "HOST:PORT" in out.stderr
    out = _relay_cli(
        "--data", str(tmp_path), "--listen", "127.0.0.1:9", "--insecure-loopback",
        "--database", "mysql://x",
    )  # fmt: skip
    assert out.returncode == 2 and "postgresql://" in out.stderr
    out = _relay_cli(
        "--data", str(tmp_path), "--listen", "127.0.0.1:9",
        "--tls-cert", str(tmp_path / "missing.crt"), "--tls-key", str(tmp_path / "k"),
    )  # fmt: skip
    assert out.returncode == 2 and "cannot load the TLS certificate" in out.stderr


def test_the_console_entry_point_is_the_relay(capsys: Any) -> None:
    with pytest.raises(SystemExit) as exited:
        relay_main(["--help"])
    assert exited.value.code == 0
    assert "--dev-tls" in capsys.readouterr().out


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_metrics_and_health(relay_factory: Any) -> None:
    relay: RelayProcess = relay_factory(metrics=True)
    assert _get(relay.metrics_url + "/healthz") == (200, "ok\n")
    assert _get(relay.metrics_url + "/nope")[0] == 404

    async def scenario() -> None:
        alice, bob = Person(), Person()
        await publish(relay.url, alice)
        await publish(relay.url, bob)
        a = await RelayClient.login(relay.url, alice.device)
        b = await RelayClient.login(relay.url, bob.device)
        await a.call(send(bob.device, b"counted"), f.Sent)
        await b.deliveries(1)
        status, text = await asyncio.to_thread(_get, relay.metrics_url + "/metrics")
        assert status == 200
        values = {
            line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line and not line.startswith("#")
        }
        assert values["keybound_relay_connections"] == 2
        assert values["keybound_relay_authenticated_devices"] == 2
        assert values['keybound_relay_auth_total{result="ok"}'] == 2
        assert values["keybound_relay_messages_queued_total"] == 1
        assert values["keybound_relay_messages_delivered_total"] == 1
        assert values['keybound_relay_frames_received_total{type="send"}'] == 1
        assert values["keybound_relay_enqueue_seconds_count"] == 1
        await a.close()
        await b.close()

    run(scenario())


def test_the_relay_stores_and_logs_no_plaintext(relay_factory: Any) -> None:
    """Olm-encrypted through the relay: the database files hold the ciphertext
    (the scan can see stored bytes) but never the plaintext; the logs hold neither."""
    relay: RelayProcess = relay_factory()
    secret = b"the launch code is 0000 and nobody may read it"
    carried: list[bytes] = []

    async def scenario() -> None:
        alice_account, bob_account = vodozemac.Account(), vodozemac.Account()
        alice, bob = Person(accounts=[alice_account]), Person(accounts=[bob_account])
        alice_dev, bob_dev = alice.devices[-1], bob.devices[-1]
        await publish(relay.url, alice)
        await publish(relay.url, bob)
        b = await RelayClient.login(relay.url, bob_dev)
        bob_account.generate_one_time_keys(1)
        ((key_id, otk),) = bob_account.one_time_keys.items()
        signed = f.SignedKey(key_id.encode(), bytes(otk.to_bytes()), bob_dev.sign(otk.to_bytes()))
        await b.call(f.PublishKeys((signed,)), f.KeyCount)
        bob_account.mark_keys_as_published()
        await b.close()

        a = await RelayClient.login(relay.url, alice_dev)
        (claimed,) = (await a.call(f.ClaimKeys((bob_dev.address,)), f.ClaimedKeys)).keys
        session = alice_account.create_outbound_session(
            vodozemac.Curve25519PublicKey.from_bytes(bob_dev.curve25519),
            vodozemac.Curve25519PublicKey.from_bytes(claimed.key.key),
        )
        kind, body = session.encrypt(secret).to_parts()
        payload = cbor.encode([kind, body])
        carried.append(body)
        await a.call(send(bob_dev, payload), f.Sent)
        await a.close()

        b = await RelayClient.login(relay.url, bob_dev)
        (msg,) = await b.deliveries(1)
        kind2, body2 = cbor.decode(msg.payload)  # type: ignore[misc]
        pre_key = vodozemac.AnyOlmMessage.from_parts(kind2, body2).to_pre_key()
        _, plaintext = bob_account.create_inbound_session(
            vodozemac.Curve25519PublicKey.from_bytes(alice_dev.curve25519), pre_key
        )
        assert plaintext == secret
        await b.close()  # not acknowledged: it stays queued on disk

    run(scenario())
    relay.kill()
    stored = b"".join(p.read_bytes() for p in relay.data.iterdir() if p.name.startswith("relay.s"))
    assert carried[0] in stored  # the scan sees what the relay stored
    for needle in (secret, secret[:16], base64.b64encode(secret)[:16]):
        assert needle not in stored
    logs = relay.log_path.read_bytes()
    assert b"event=auth_ok" in logs
    assert carried[0][:16] not in logs and secret[:16] not in logs
