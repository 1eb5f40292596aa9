"""The relay check before onboarding, against real relay processes and real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from keybound.client.relay_probe import probe_relay
from keybound.client.tls_pin import normalize_fingerprint
from keybound.errors import (
    InvalidRelayAddress,
    NotAKeyboundRelay,
    RelayCertificateUntrusted,
    RelayHostUnknown,
    RelayPortClosed,
)
from tests.helpers.relay_process import RelayProcess, free_port


@pytest.fixture(scope="module")
def dev_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    relay = RelayProcess(tmp_path_factory.mktemp("devtls"), tls=True).start()
    yield relay
    relay.kill()


def test_a_self_signed_relay_is_refused_with_its_fingerprint_and_how_to_pin(
    dev_relay: RelayProcess,
) -> None:
    with pytest.raises(RelayCertificateUntrusted) as caught:
        asyncio.run(probe_relay(dev_relay.url))
    assert dev_relay.fingerprint is not None
    assert caught.value.fingerprint == normalize_fingerprint(dev_relay.fingerprint)
    assert "--tls-fingerprint" in str(caught.value)


def test_the_printed_fingerprint_pins_it_and_another_one_is_refused(
    dev_relay: RelayProcess,
) -> None:
    assert dev_relay.fingerprint is not None
    found = asyncio.run(probe_relay(dev_relay.url, dev_relay.fingerprint))
    assert found.pinned and not found.trusted_by_system
    assert found.tls_pin == normalize_fingerprint(dev_relay.fingerprint)
    assert found.relay_name == "relay.test" and found.port == dev_relay.port
    with pytest.raises(RelayCertificateUntrusted) as caught:
        asyncio.run(probe_relay(dev_relay.url, "AB" * 32))
    assert caught.value.expected == normalize_fingerprint("AB" * 32)
    first_use = asyncio.run(probe_relay(dev_relay.url, True))
    assert first_use.fingerprint == found.fingerprint


def test_each_cause_is_named() -> None:
    port = free_port()
    with pytest.raises(RelayPortClosed, match=f"port {port}"):
        asyncio.run(probe_relay(f"wss://127.0.0.1:{port}"))
    with pytest.raises(RelayHostUnknown, match=r"no-such-relay\.invalid"):
        asyncio.run(probe_relay("wss://no-such-relay.invalid:8443"))
    with pytest.raises(InvalidRelayAddress):
        asyncio.run(probe_relay("https://relay.example"))


def test_a_web_server_is_not_a_keybound_relay() -> None:
    async def scenario() -> None:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(4096)  # a request, or a TLS hello it cannot parse
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            with pytest.raises(NotAKeyboundRelay, match="HTTP 404"):
                await probe_relay(f"ws://127.0.0.1:{port}")
            with pytest.raises(NotAKeyboundRelay, match="TLS"):
                await probe_relay(f"wss://127.0.0.1:{port}")

    asyncio.run(scenario())
