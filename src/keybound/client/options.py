"""How a Messenger runs: token source, clock, relay link factory, costs and timings.

The defaults are for real use; tests pass in-process cards, the test recovery
cost and short timings.  The relay link is made by a factory so that tests
can wrap the real :class:`~keybound.client.connection.WebSocketLink` with a
fault (a link that never acknowledges, for example).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from keybound.client import settings as cfg
from keybound.client.core import Core
from keybound.client.dbthread import DbThread
from keybound.client.env import Environment
from keybound.client.link import RelayLink
from keybound.client.outbox import Backoff
from keybound.client.tls_pin import PinStore
from keybound.client.tokens import PresentTokens, TokenSource
from keybound.store.keyslots import INTERACTIVE_COST, RecoveryCost
from keybound.token.worker import TokenWorker
from keybound.wire.frames import DeviceAddress


@dataclass(frozen=True)
class LinkRequest:
    """What a relay link needs: where, as whom (None: anonymous), and TLS pinning."""

    url: str
    device: DeviceAddress | None
    sign: Callable[[bytes], bytes] | None
    pins: PinStore | None = None  # pin a --dev-tls relay's certificate instead of CA checks


LinkFactory = Callable[[LinkRequest], RelayLink]


def websocket_link(request: LinkRequest) -> RelayLink:
    """The real relay link (``connection.WebSocketLink``)."""
    from keybound.client.connection import WebSocketLink

    return WebSocketLink(request.url, request.device, request.sign, pins=request.pins)


@dataclass(frozen=True)
class Options:
    tokens: TokenSource = field(default_factory=PresentTokens)
    env: Environment = field(default_factory=Environment)
    link_factory: LinkFactory = websocket_link
    recovery_cost: RecoveryCost = INTERACTIVE_COST  # Argon2id of the recovery-code slot
    backoff: Backoff = field(default_factory=Backoff)  # outbox retries after refusals
    memory_security: bool = False  # True: SQLCipher wipes freed memory (see store.database)
    token_worker: TokenWorker | None = None  # share one; else the Messenger makes its own
    expiry_interval_s: float = 1.0  # how often disappearing messages are purged
    publish_retry_s: float = 2.0  # retry delay for publishing our identity chain
    idle_check_s: float = 1.0
    key_check_s: float = 600.0  # how often to ask the relay how many one-time keys are left
    storage_retry_s: float = 1.0  # receiving paused (disk full): first retry, then doubling
    storage_retry_max_s: float = 15.0
    automatic_backups: bool = False  # run the backup schedule (listen and the app; not commands)
    verification_timeout_s: float = 600.0  # an emoji verification ends after this


class SettingsPinStore:
    """The relay's TLS pin, kept in the encrypted settings (a ``tls_pin.PinStore``)."""

    def __init__(self, db: DbThread, core: Core, pin: str) -> None:
        self._db, self._core, self._pin = db, core, pin or None

    def get_pin(self) -> str | None:
        return self._pin

    async def set_pin(self, fingerprint: str) -> None:
        await self._db.run(self._core.set_setting, cfg.TLS_PIN, fingerprint)
        self._pin = fingerprint
