"""Check a relay before anything is created on it: name, port, TLS, protocol.

Onboarding used to make the account first and meet the relay afterwards, so
a typo or an untrusted certificate surfaced as "the relay cannot be reached"
after the recovery code was printed.  :func:`probe_relay` walks the
connection step by step and stops at the first one that fails, with an error
that names it: the host name is unknown, nothing listens on the port, the
certificate is not trusted (with its SHA-256 fingerprint, so a person can
compare and pin it), the certificate is for another host, or whatever
answers is not a Keybound relay (no WebSocket, no ``challenge``, another
protocol version).  Nothing is sent but the WebSocket upgrade; the relay's
first frame, the ``challenge``, is all it reads.

``tls_pin`` says how a certificate is accepted: ``False``, only if the
system's certificate authorities vouch for it; a fingerprint, only if it is
that one; ``True``, whatever it is (trust on first use, ``--dev-tls``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException

from keybound.client import tls_pin as pinning
from keybound.client.connection import parse_relay_url
from keybound.errors import (
    MalformedData,
    NotAKeyboundRelay,
    RelayCertificateUntrusted,
    RelayHostUnknown,
    RelayNotAnswering,
    RelayPortClosed,
    RelayWrongHost,
)
from keybound.wire import frames as f

PROBE_TIMEOUT_S = 8.0
_HOSTNAME_MISMATCH = 62  # X509_V_ERR_HOSTNAME_MISMATCH


@dataclass(frozen=True)
class RelayProbe:
    """What the check found: where the relay is and why its certificate is accepted."""

    url: str
    host: str
    port: int
    secure: bool  # wss:// (False only for ws:// on loopback)
    fingerprint: str  # SHA-256 of the certificate, AB:CD:..; "" without TLS
    trusted_by_system: bool  # the system's certificate authorities vouch for it
    pinned: bool  # accepted because it matches the pin (given, or trusted on first use)
    relay_name: str  # what the relay calls itself in its challenge
    protocol_version: int

    @property
    def tls_pin(self) -> str | bool:
        """What the account should pin: the fingerprint when pinned, else nothing."""
        return self.fingerprint if self.pinned and self.fingerprint else False


async def probe_relay(
    url: str, tls_pin: str | bool = False, timeout: float = PROBE_TIMEOUT_S
) -> RelayProbe:
    """Check ``url`` step by step; a named :class:`~keybound.errors.RelayCheckFailed` if
    a step fails (``InvalidRelayAddress`` for a URL that is not a relay address)."""
    address = parse_relay_url(url)
    host = address.host
    port = urlsplit(url).port or (443 if address.secure else 80)
    wanted = pinning.normalize_fingerprint(tls_pin) if isinstance(tls_pin, str) else None
    await _resolve(host, port, timeout)
    fingerprint, trusted = "", False
    if address.secure:
        fingerprint, trusted = await _certificate(host, port, timeout)
    pinned = False
    if address.secure and tls_pin is not False:
        if wanted is not None and wanted != fingerprint:
            raise RelayCertificateUntrusted(fingerprint, wanted)
        pinned = True
    elif address.secure and not trusted:
        raise RelayCertificateUntrusted(fingerprint)
    context = None
    if address.secure:
        context = pinning.verifying_context() if trusted else pinning.pinning_context()
    name = await _challenge(url, host, port, context, fingerprint, timeout)
    return RelayProbe(
        url, host, port, address.secure, fingerprint, trusted, pinned, name, f.PROTOCOL_VERSION
    )


async def _resolve(host: str, port: int, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
    except socket.gaierror:
        raise RelayHostUnknown(host) from None
    except TimeoutError:
        raise RelayNotAnswering(host, "looking up its name took too long") from None


async def _certificate(host: str, port: int, timeout: float) -> tuple[str, bool]:
    """The certificate's fingerprint, and whether the system's authorities vouch for it."""
    try:
        der = await _handshake(host, port, pinning.verifying_context(), timeout)
        return pinning.certificate_fingerprint(der), True
    except ssl.SSLCertVerificationError as exc:
        hostname_wrong = exc.verify_code == _HOSTNAME_MISMATCH
    der = await _handshake(host, port, pinning.pinning_context(), timeout)
    if hostname_wrong:
        raise RelayWrongHost(host)
    return pinning.certificate_fingerprint(der), False


async def _handshake(host: str, port: int, context: ssl.SSLContext, timeout: float) -> bytes:
    """TCP, then TLS; the peer's certificate (DER).  Verification errors propagate."""
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host), timeout
        )
    except ssl.SSLCertVerificationError:
        raise
    except ConnectionRefusedError:
        raise RelayPortClosed(host, port) from None
    except ssl.SSLError:
        raise NotAKeyboundRelay(host, port, "it does not speak TLS") from None
    except TimeoutError:
        raise RelayNotAnswering(host, "it did not answer in time") from None
    except ConnectionError:
        raise NotAKeyboundRelay(host, port, "it closed the connection during TLS") from None
    except OSError as exc:
        raise RelayNotAnswering(host, exc.strerror or type(exc).__name__) from None
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    if not der:
        raise NotAKeyboundRelay(host, port, "it shows no TLS certificate")
    return bytes(der)


async def _challenge(
    url: str,
    host: str,
    port: int,
    context: ssl.SSLContext | None,
    fingerprint: str,
    timeout: float,
) -> str:
    """Open the WebSocket and read the relay's first frame, which must be a challenge."""
    try:
        ws = await connect(
            url, ssl=context, open_timeout=timeout, max_size=f.MAX_FRAME_SIZE,
            compression=None, ping_interval=None, user_agent_header=None,
        )  # fmt: skip
    except InvalidStatus as exc:
        status = exc.response.status_code
        if status == 503:
            raise RelayNotAnswering(host, "it is too busy to accept connections now") from None
        raise NotAKeyboundRelay(host, port, f"it answered HTTP {status}") from None
    except ConnectionRefusedError:
        raise RelayPortClosed(host, port) from None
    except TimeoutError:
        raise RelayNotAnswering(host, "it did not answer in time") from None
    except (WebSocketException, ConnectionError, EOFError):
        raise NotAKeyboundRelay(host, port, "it does not speak WebSocket") from None
    except OSError as exc:
        raise RelayNotAnswering(host, exc.strerror or type(exc).__name__) from None
    try:
        if context is not None and _fingerprint(ws) != fingerprint:
            raise RelayCertificateUntrusted(_fingerprint(ws), fingerprint)
        return await _first_frame(ws, host, port, timeout)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 2)


async def _first_frame(ws: ClientConnection, host: str, port: int, timeout: float) -> str:
    try:
        data = await asyncio.wait_for(ws.recv(), timeout)
    except TimeoutError:
        raise NotAKeyboundRelay(host, port, "it sent no challenge") from None
    except WebSocketException:
        raise NotAKeyboundRelay(host, port, "it closed the WebSocket without a word") from None
    if isinstance(data, str):
        raise NotAKeyboundRelay(host, port, "it sent text instead of a frame")
    try:
        envelope = f.decode_frame(data)
    except MalformedData as exc:
        if "protocol version" in exc.detail:
            raise NotAKeyboundRelay(
                host, port, f"it speaks another relay protocol ({exc.detail}; this Keybound "
                f"speaks version {f.PROTOCOL_VERSION})",
            ) from None  # fmt: skip
        raise NotAKeyboundRelay(host, port, "its first message is not a relay frame") from None
    if not isinstance(envelope.body, f.Challenge):
        raise NotAKeyboundRelay(host, port, "it did not start with a challenge")
    return envelope.body.relay


def _fingerprint(ws: ClientConnection) -> str:
    ssl_object = ws.transport.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return pinning.certificate_fingerprint(bytes(der)) if der else ""
