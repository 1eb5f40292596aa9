"""Connections before authentication hold little, and only so many may wait (issue 11 item 6).

Through a real relay process: the pre-auth caps per address and in all
(other loopback addresses play other IPs), that authenticating frees a
place, and the smaller frame limit before authentication.  The flood
itself (2,000 connections, RSS) is measured in ``bench/relay.py --flood-only``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from keybound.relay.config import RelayConfig
from keybound.wire import frames as f
from tests.helpers.relay_process import (
    Person,
    RelayClient,
    RelayProcess,
    publish,
    relay_factory,
    run,
    send,
    shared_relay,
)

__all__ = ["relay_factory", "shared_relay"]


async def _open(url: str, ip: str) -> RelayClient:
    """A connection from loopback address ``ip`` that has its challenge."""
    conn = await connect(url, max_size=None, compression=None, local_addr=(ip, 0))
    first = f.decode_frame(await asyncio.wait_for(conn.recv(), 10))  # type: ignore[arg-type]
    return RelayClient(conn, f.body_as(first, f.Challenge))


async def _refused(url: str, ip: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, open_timeout=5, local_addr=(ip, 0))
    return refused.value.response.status_code


def test_preauth_caps_per_address_and_in_all(relay_factory: Any) -> None:
    relay: RelayProcess = relay_factory(
        args=["--max-preauth-connections", "3", "--max-preauth-connections-per-ip", "2"]
    )

    async def scenario() -> None:
        alice = Person()
        await publish(relay.url, alice)
        first = [await _open(relay.url, "127.0.0.1") for _ in range(2)]
        assert await _refused(relay.url, "127.0.0.1") == 503  # this address's cap
        other = await _open(relay.url, "127.0.0.2")  # another address still gets in
        assert await _refused(relay.url, "127.0.0.3") == 503  # the cap in all
        # authenticating leaves the waiting room: a new stranger fits again,
        # and the authenticated connection keeps working
        await first[0].call(alice.device.answer(first[0].challenge), f.Authenticated)
        third = await _open(relay.url, "127.0.0.3")
        await first[0].call(f.Ping(), f.Pong)
        # a connection that goes away frees its place too
        await other.close()
        await asyncio.sleep(0.2)
        fourth = await _open(relay.url, "127.0.0.2")
        for client in (*first, third, fourth):
            await client.close()

    run(scenario())


def test_frames_before_authentication_are_smaller(shared_relay: RelayProcess) -> None:
    relay = shared_relay
    limit = RelayConfig().preauth_max_frame_size

    async def scenario() -> None:
        stranger = await RelayClient.connect(relay.url)
        await stranger.send_raw(b"\x00" * (limit + 1))
        await asyncio.wait_for(stranger.closed.wait(), 5)
        assert stranger.conn.close_code == 1009  # message too big, read no further
        await stranger.close()
        alice, bob = Person(), Person()
        await publish(relay.url, alice)  # a whole chain fits before authentication
        await publish(relay.url, bob)
        a = await RelayClient.login(relay.url, alice.device)
        big = send(bob.device, b"x" * f.MAX_PAYLOAD_SIZE)  # over the pre-auth limit
        assert (await a.call(big, f.Sent)).accepted == 1
        await a.close()

    run(scenario())
