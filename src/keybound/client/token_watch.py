"""Which tokens are plugged in, kept up to date: what a first-run wizard lists.

:func:`discover` looks at every present token (token worker thread) and says
what each holds, without a PIN: its kind, whether Keybound keys are on it,
whether a PIN is set and how many tries are left.  :class:`TokenWatch` runs
:func:`discover` again whenever a token arrives or leaves (the token
layer's :class:`~keybound.token.monitor.TokenMonitor` notices within a
second) and hands the new list to a callback on the event loop, so a GUI
list shows a key the moment it is plugged in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from keybound.client.tokens import PresentTokens
from keybound.errors import KeyboundError, TokenError
from keybound.token.base import TokenKind, TokenRef
from keybound.token.discovery import list_tokens, open_token
from keybound.token.monitor import PresenceEvent, TokenMonitor
from keybound.token.prompter import RefusingPrompter
from keybound.token.registry import CredentialRegistry
from keybound.token.worker import TokenWorker

log = logging.getLogger(__name__)

OPENPGP_FACTORY_ADMIN_PIN = "12345678"  # PW3 of a card fresh from the factory


@dataclass(frozen=True)
class TokenChoice:
    """One present token, as a person choosing one needs to see it."""

    ref: TokenRef
    has_keys: bool  # Keybound keys exist: adopt it (or join with it), no setup
    pin_set: bool
    pin_retries: int | None
    admin_pin_retries: int | None  # OpenPGP only
    problem: str = ""  # why it cannot be used, in one sentence ("" if it can)

    @property
    def kind(self) -> TokenKind:
        return self.ref.kind

    @property
    def label(self) -> str:
        return self.ref.label

    def source(self) -> PresentTokens:
        """The engine's token source narrowed down to exactly this token."""
        return PresentTokens(
            kind=self.ref.kind, serial=self.ref.serial or None, reader=self.ref.reader
        )


def discover(profile: Path | None = None) -> list[TokenChoice]:
    """Every present token and what it holds; token worker thread."""
    known = CredentialRegistry(profile).credentials() if profile is not None else []
    choices = []
    for ref in list_tokens():
        try:
            token = open_token(ref, RefusingPrompter(), known)
            try:
                info = token.info()
            finally:
                token.close()
        except TokenError as exc:
            choices.append(TokenChoice(ref, False, False, None, None, str(exc)))
            continue
        except KeyboundError:
            continue  # pulled out while we looked: the next change lists it again
        problem = ""
        if info.pin_retries == 0:
            problem = "Its PIN is blocked."
        elif ref.kind is TokenKind.OPENPGP and not info.has_keys and info.admin_pin_retries == 0:
            problem = "Its admin PIN is blocked, so it cannot be set up."
        choices.append(
            TokenChoice(
                ref, info.has_keys, info.pin_set, info.pin_retries, info.admin_pin_retries,
                problem,
            )
        )  # fmt: skip
    return choices


class TokenWatch:
    """Calls ``on_change(tokens)`` on the event loop at start and after every change."""

    def __init__(
        self,
        worker: TokenWorker,
        on_change: Callable[[Sequence[TokenChoice]], None],
        profile: Path | None = None,
    ) -> None:
        self._worker = worker
        self._on_change = on_change
        self._profile = profile
        self._changed = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._monitor: TokenMonitor | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._monitor = TokenMonitor(self._presence).start()
        self._changed.set()
        self._task = self._loop.create_task(self._run())

    def refresh(self) -> None:
        """Look again now (after a token was set up, for example)."""
        self._changed.set()

    async def stop(self) -> None:
        if self._monitor is not None:
            await asyncio.to_thread(self._monitor.stop)
            self._monitor = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _presence(self, event: PresenceEvent) -> None:  # monitor thread
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._changed.set)

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            try:
                tokens = await self._worker.run(discover, self._profile)
            except KeyboundError as exc:  # pcscd gone, for example: an empty list says so
                log.info("listing tokens failed: %s", type(exc).__name__)
                tokens = []
            self._on_change(tokens)
