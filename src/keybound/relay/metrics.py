"""Prometheus metrics and ``/healthz``, served on their own listener.

The metrics port is for operators (bind it to localhost or a private
network); the WebSocket port stays for clients.  A tiny asyncio HTTP/1.0
responder is enough for two GET paths and needs no thread.  Labels carry
frame types, error codes and reasons only: never a device, identity or IP.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class RelayMetrics:
    """Every metric of one relay process, in a registry of its own."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.connections = Gauge("keybound_relay_connections", "Open connections", registry=r)
        self.authenticated = Gauge(
            "keybound_relay_authenticated_devices", "Authenticated devices connected", registry=r
        )
        self.connections_refused = Counter(
            "keybound_relay_connections_refused",
            "Connections refused before the WebSocket opened",
            ["reason"],
            registry=r,
        )
        self.auth = Counter(
            "keybound_relay_auth", "Authentication attempts", ["result"], registry=r
        )
        self.frames = Counter(
            "keybound_relay_frames_received", "Frames received by type", ["type"], registry=r
        )
        self.errors = Counter(
            "keybound_relay_errors_sent", "Error frames sent by code", ["code"], registry=r
        )
        self.messages_queued = Counter(
            "keybound_relay_messages_queued", "Messages stored for a recipient", registry=r
        )
        self.messages_delivered = Counter(
            "keybound_relay_messages_delivered",
            "Messages sent to recipients (pushed or fetched)",
            registry=r,
        )
        self.messages_acked = Counter(
            "keybound_relay_messages_acked", "Messages deleted after acknowledgement", registry=r
        )
        self.payload_bytes = Counter(
            "keybound_relay_payload_bytes_queued", "Ciphertext bytes stored", registry=r
        )
        self.expired = Counter(
            "keybound_relay_expired", "Messages, uploads and blobs expired", registry=r
        )
        self.enqueue_seconds = Histogram(
            "keybound_relay_enqueue_seconds",
            "Time to store a send durably",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.rate_limited = Counter(
            "keybound_relay_rate_limited", "Requests refused by a rate limit", ["scope"], registry=r
        )

        # children per label value, resolved once: labels() takes a lock and a
        # dict lookup on every call, and the relay counts every frame
        self._frame_children: dict[str, Counter] = {}

    def frame_received(self, frame_type: str) -> None:
        child = self._frame_children.get(frame_type)
        if child is None:
            child = self._frame_children[frame_type] = self.frames.labels(frame_type)
        child.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsServer:
    """``GET /metrics`` and ``GET /healthz`` on a separate address."""

    def __init__(self, metrics: RelayMetrics, healthy: Callable[[], bool]) -> None:
        self._metrics = metrics
        self._healthy = healthy
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        self._server = await asyncio.start_server(self._handle, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(5):
                request = await reader.readuntil(b"\r\n\r\n")
            line = request.split(b"\r\n", 1)[0].decode("latin-1").split()
            path = line[1].split("?", 1)[0] if len(line) >= 2 else ""
            if len(line) < 2 or line[0] != "GET":
                status, ctype, body = "405 Method Not Allowed", "text/plain", b"GET only\n"
            elif path == "/metrics":
                status, ctype, body = "200 OK", CONTENT_TYPE_LATEST, self._metrics.render()
            elif path == "/healthz":
                if self._healthy():
                    status, ctype, body = "200 OK", "text/plain", b"ok\n"
                else:
                    status, ctype, body = "503 Service Unavailable", "text/plain", b"down\n"
            else:
                status, ctype, body = "404 Not Found", "text/plain", b"not found\n"
            head = (
                f"HTTP/1.0 {status}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
