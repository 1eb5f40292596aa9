"""Trust on first use for relays with a self-signed (``--dev-tls``) certificate.

Such a relay has no certificate authority to vouch for it, so the first
connection records the SHA-256 fingerprint of its certificate (the DER form,
which ``keybound-relay`` prints as ``tls-fingerprint sha256 AB:CD:...`` and
``openssl x509 -fingerprint -sha256`` shows), and every later connection must
present the same one.  The TLS handshake itself runs without CA
verification; the pin check right after it, before a single frame is sent,
is the verification.  A pin can also be set up front (from the fingerprint
the relay's operator printed), which removes even the first-use window.

The engine keeps the pin in its encrypted settings; this module sees it only
through :class:`PinStore`.
"""

from __future__ import annotations

import hashlib
import re
import ssl
from typing import Protocol

from keybound.errors import InvalidRelayAddress, RelayCertificateChanged

_HEX = re.compile(r"[0-9A-F]{64}")


class PinStore(Protocol):
    """Where the relay's certificate fingerprint is kept (the engine's settings)."""

    def get_pin(self) -> str | None:
        """The pinned fingerprint, or None before the first connection."""
        ...

    async def set_pin(self, fingerprint: str) -> None:
        """Store the fingerprint seen on first use (durably, before we go on)."""
        ...


class MemoryPinStore:
    """A :class:`PinStore` in memory: tests, and one-shot commands given a fingerprint."""

    def __init__(self, pin: str | None = None) -> None:
        self.pin = normalize_fingerprint(pin) if pin else None

    def get_pin(self) -> str | None:
        return self.pin

    async def set_pin(self, fingerprint: str) -> None:
        self.pin = fingerprint


def certificate_fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate as colon-separated upper-case hex."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def normalize_fingerprint(text: str) -> str:
    """Accept ``AB:CD:..``, ``abcd..`` or ``sha256:AB..``; return the canonical form."""
    raw = text.strip().upper().removeprefix("SHA256:").removeprefix("SHA256 ")
    raw = raw.replace(":", "").replace(" ", "")
    if not _HEX.fullmatch(raw):
        raise InvalidRelayAddress("the certificate fingerprint must be 32 bytes of hex")
    return ":".join(raw[i : i + 2] for i in range(0, 64, 2))


def pinning_context() -> ssl.SSLContext:
    """TLS 1.2+ without CA or host name checks: :func:`check_pin` verifies instead."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def verifying_context() -> ssl.SSLContext:
    """Normal verification against the system's certificate authorities."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def check_pin(der: bytes | None, store: PinStore) -> str:
    """Compare the relay's certificate with the pin (pinning it on first use).

    Returns the fingerprint; raises :class:`RelayCertificateChanged` on a
    mismatch (or when the relay showed no certificate at all).
    """
    pinned = store.get_pin()
    if der is None:
        raise RelayCertificateChanged(pinned or "(none)", "(no certificate)")
    offered = certificate_fingerprint(der)
    if pinned is None:
        await store.set_pin(offered)
        return offered
    if normalize_fingerprint(pinned) != offered:
        raise RelayCertificateChanged(normalize_fingerprint(pinned), offered)
    return offered
