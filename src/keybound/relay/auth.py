"""Device authentication: a fresh challenge per connection, answered once.

The relay sends a 32-byte random nonce with its name; the device signs
:func:`keybound.wire.frames.auth_signing_bytes` (domain, relay name, nonce,
its own address) with the Ed25519 key certified for it in its identity
chain.  A challenge is used for exactly one attempt: a second
``authenticate`` on the same connection fails even with a good signature, so
an observer cannot replay a signature, and a signature for one connection's
nonce is worthless on any other connection (nonces are never reused: 256
random bits each).  Binding the relay name stops another relay from
forwarding our challenge to a device and replaying its answer here.
"""

from __future__ import annotations

import secrets
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from keybound.wire.frames import Authenticate, Challenge, auth_signing_bytes

NONCE_SIZE = 32


class ChallengeState:
    """The one challenge of one connection; ``check`` consumes it."""

    __slots__ = ("_used", "challenge")

    def __init__(self, relay_name: str) -> None:
        self.challenge = Challenge(
            nonce=secrets.token_bytes(NONCE_SIZE),
            relay=relay_name,
            server_time_ms=int(time.time() * 1000),
        )
        self._used = False

    @property
    def used(self) -> bool:
        return self._used

    def consume(self) -> bool:
        """True the first time only: every later attempt on this connection fails."""
        if self._used:
            return False
        self._used = True
        return True


def signature_valid(challenge: Challenge, answer: Authenticate, ed25519_key: bytes) -> bool:
    """Whether ``answer`` is the device key's signature over this challenge."""
    try:
        Ed25519PublicKey.from_public_bytes(ed25519_key).verify(
            answer.signature, auth_signing_bytes(challenge, answer.device)
        )
    except (InvalidSignature, ValueError):
        return False
    return True
