"""People with Messengers for engine tests: a profile, a virtual card, an event log.

Each :class:`Someone` runs a real :class:`Messenger` (real SQLCipher history,
real vodozemac, real token code on an in-process virtual OpenPGP card) against
a real relay process through the real :class:`WebSocketLink`.  ``until``
polls the engine's own state, so tests wait for what they assert.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from keybound.client import events as ev
from keybound.client.messenger import EventStream, Messenger, Options
from keybound.client.system import SYSTEM
from keybound.client.tokens import TokenSource
from keybound.errors import TokenNotFound, TokenRemoved
from keybound.identity.document import token_id
from keybound.store.keyslots import TEST_COST
from keybound.token.base import EnrollOptions, PinKind, PublicKey, Token, TokenRef, Transport
from keybound.token.openpgp import OpenPgpToken
from keybound.token.prompter import FixedPinPrompter, Prompter
from keybound.token.sim import build_card
from keybound.token.sim.card import VirtualCard
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.worker import TokenWorker

PIN = "424242"
ADMIN_PIN = "87654321"
ENROLL = EnrollOptions(user_pin=PIN, admin_pin=ADMIN_PIN, current_admin_pin="12345678")
T = TypeVar("T")
_names = itertools.count()


class InProcessTokens:
    """A TokenSource holding one in-process virtual card that a test can pull out."""

    def __init__(self, card: VirtualCard) -> None:
        self.card = card
        self.present = True
        self._transports: list[InProcessTransport] = []
        self._watchers: list[Callable[[], None]] = []
        self._presence: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def open(self, prompter: Prompter, known: Sequence[PublicKey]) -> Token:
        if not self.present:
            raise TokenNotFound("No matching security key or smartcard is connected.")
        transport = InProcessTransport(self.card, f"in-process card {id(self.card):x}")
        self._transports.append(transport)
        token = OpenPgpToken(transport, prompter, Transport.INPROCESS)
        if known:
            try:
                public = token.public_key()
            except Exception:
                public = None
            if public not in known:
                raise TokenNotFound("None of the enrolled security keys is connected.")
        return token

    def watch(self, ref: TokenRef, on_removed: Callable[[], None]) -> Callable[[], None]:
        with self._lock:
            self._watchers.append(on_removed)

        def stop() -> None:
            with self._lock:
                if on_removed in self._watchers:
                    self._watchers.remove(on_removed)

        return stop

    def watch_presence(self, on_change: Callable[[], None]) -> Callable[[], None]:
        """A ``presence.PresenceSource``: told on every pull and insert."""
        with self._lock:
            self._presence.append(on_change)

        def stop() -> None:
            with self._lock:
                if on_change in self._presence:
                    self._presence.remove(on_change)

        return stop

    def _presence_changed(self) -> None:
        with self._lock:
            listeners = list(self._presence)
        for listener in listeners:
            listener()

    def pull(self) -> None:
        """Take the card out: open transports fail, watchers hear of it."""
        self.present = False
        for t in self._transports:
            t.removed = True
        with self._lock:
            watchers = list(self._watchers)
        for w in watchers:
            w()
        self._presence_changed()

    def insert(self) -> None:
        self.present = True
        self._presence_changed()


def card(tmp: Path, name: str) -> VirtualCard:
    return build_card("openpgp", tmp / f"card-{name}-{next(_names)}.json")


def enrolled_card(tmp: Path, worker: TokenWorker, name: str = "spare") -> InProcessTokens:
    """Another in-process card, set up with Keybound keys and ``PIN`` (a spare key)."""
    tokens = InProcessTokens(card(tmp, name))

    def enroll() -> None:
        transport = InProcessTransport(tokens.card, name)
        OpenPgpToken(transport, prompter(), Transport.INPROCESS).enroll(ENROLL)

    worker.call(enroll)
    return tokens


def token_key(worker: TokenWorker, tokens: InProcessTokens) -> bytes:
    """The token ID of the card in ``tokens``."""

    def read() -> bytes:
        token = tokens.open(prompter(), [])
        try:
            return token_id(token.public_key())
        finally:
            token.close()

    return worker.call(read)


@dataclass
class Someone:
    name: str
    profile: Path
    tokens: Any  # InProcessTokens, or PresentTokens for a card in pcscd
    options: Options
    messenger: Messenger | None = None
    stream: EventStream | None = None
    log: list[ev.Event] = field(default_factory=list)
    recovery_code: str = ""
    _pump: asyncio.Task[None] | None = None

    @property
    def m(self) -> Messenger:
        assert self.messenger is not None
        return self.messenger

    def attach(self, messenger: Messenger) -> None:
        self.messenger = messenger
        self.stream = messenger.events()
        self._pump = asyncio.get_running_loop().create_task(self._collect(self.stream))

    async def _collect(self, stream: EventStream) -> None:
        async for event in stream:
            self.log.append(event)

    def events_of(self, kind: type[T]) -> list[T]:
        return [e for e in self.log if isinstance(e, kind)]

    async def open(self) -> Messenger:
        self.attach(await Messenger.open(self.profile, prompter(), options=self.options))
        return self.m

    async def close(self) -> None:
        if self.messenger is not None:
            await self.messenger.close()
        if self._pump is not None:
            await asyncio.wait_for(self._pump, 5)
        self.messenger = None


def prompter() -> FixedPinPrompter:
    return FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: ADMIN_PIN})


def options(tokens: TokenSource, worker: TokenWorker, **kw: Any) -> Options:
    base: dict[str, Any] = dict(
        tokens=tokens,
        recovery_cost=TEST_COST,
        memory_security=False,
        token_worker=worker,
        expiry_interval_s=0.2,
        publish_retry_s=0.2,
    )
    base.update(kw)
    return Options(**base)


async def create(
    tmp: Path, name: str, relay_url: str, worker: TokenWorker, *, tls_pin: str | bool = False,
    **kw: Any,
) -> Someone:  # fmt: skip
    """``tls_pin`` as for ``Messenger.create_account`` (a ``--dev-tls`` relay); ``kw``: Options."""
    tokens = InProcessTokens(card(tmp, name))
    person = Someone(name, tmp / f"profile-{name}", tokens, options(tokens, worker, **kw))
    messenger, code = await Messenger.create_account(
        person.profile, relay_url, prompter(), display_name=name, enroll=ENROLL,
        options=person.options, device_name=f"{name}-desktop", tls_pin=tls_pin,
    )  # fmt: skip
    person.recovery_code = code
    person.attach(messenger)
    await messenger.wait_online(20)
    return person


@contextlib.asynccontextmanager
async def people(
    tmp: Path, relay_url: str, worker: TokenWorker, *names: str, **kw: Any
) -> AsyncIterator[Any]:
    """One new account per name on ``relay_url`` (a Someone, or a tuple of them for
    several names), all closed afterwards, also those made before a failure."""
    made: list[Someone] = []
    try:
        for name in names:
            made.append(await create(tmp, name, relay_url, worker, **kw))
        yield made[0] if len(made) == 1 else tuple(made)
    finally:
        for person in made:
            await person.close()


async def join(
    tmp: Path, first: Someone, relay_url: str, worker: TokenWorker, device: str = "laptop"
) -> Someone:
    """A second installation of ``first``'s identity, with the same card."""
    person = Someone(
        f"{first.name}-{device}", tmp / f"profile-{first.name}-{device}", first.tokens,
        options(first.tokens, worker),
    )  # fmt: skip
    messenger, code = await Messenger.join_account(
        person.profile, relay_url, prompter(), device_name=f"{first.name}-{device}",
        options=person.options,
    )  # fmt: skip
    person.recovery_code = code
    person.attach(messenger)
    await messenger.wait_online(20)
    return person


async def befriend(a: Someone, b: Someone) -> tuple[bytes, bytes]:
    """Each adds the other from their invite; the two direct conversation IDs."""
    await a.m.add_contact(await b.m.invite(), b.name)
    await b.m.add_contact(await a.m.invite(), a.name)
    return await a.m.direct_conversation(b.m.identity_id), await b.m.direct_conversation(
        a.m.identity_id
    )


async def until(
    check: Callable[[], Awaitable[T]], timeout: float = 15.0, what: str = "condition"
) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what} (last value {value!r})")
        await asyncio.sleep(0.05)


async def texts(person: Someone, conversation_id: bytes) -> list[str | None]:
    """The bodies of what people wrote (system lines such as "Alice added Carol" left out)."""
    return [
        m.body for m in await person.m.history(conversation_id, 500) if m.content_type != SYSTEM
    ]


def run(coro: Awaitable[T], timeout: float = 120) -> T:
    async def main() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(main())


__all__ = ["TokenRemoved"]
