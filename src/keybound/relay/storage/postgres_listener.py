"""Cross-node wakeups: one LISTEN connection per relay node.

Every enqueue issues ``pg_notify(channel, "<node>:<recipient hex>")`` in its
own transaction, so PostgreSQL delivers the notification to every listening
node exactly when the messages become visible.  Each node ignores its own
notifications (it woke its local recipients right after commit) and calls
the wakeup for the others' recipients; the node holding that recipient's
connection pushes, the rest find no connection and do nothing.

If the LISTEN connection drops it is reopened with backoff.  Notifications
sent while it was down are lost, so ``on_reconnect`` tells the server to
re-check the queues of its connected devices.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import psycopg
from psycopg import sql

from keybound.relay.storage.base import StorageUnavailable

log = logging.getLogger(__name__)


class Listener:
    """Runs ``on_payload`` for each notification on ``channel`` (on the event loop)."""

    def __init__(
        self,
        dsn: str,
        channel: str,
        on_payload: Callable[[str], None],
        on_reconnect: Callable[[], None] | None = None,
    ) -> None:
        self._dsn = dsn
        self._channel = channel
        self._on_payload = on_payload
        self._on_reconnect = on_reconnect
        self._task: asyncio.Task[None] | None = None
        self.reconnects = 0

    async def start(self) -> None:
        """Return once LISTEN is in effect, so no later notification is missed."""
        try:
            conn = await self._connect()
        except psycopg.Error as exc:
            raise StorageUnavailable("cannot listen for relay wakeups") from exc
        self._task = asyncio.create_task(self._run(conn), name="relay-pg-listener")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _connect(self) -> psycopg.AsyncConnection[object]:
        conn: psycopg.AsyncConnection[object] = await psycopg.AsyncConnection.connect(
            self._dsn, autocommit=True
        )
        try:
            await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _run(self, conn: psycopg.AsyncConnection[object]) -> None:
        backoff = 0.05
        while True:
            try:
                async with conn:
                    async for note in conn.notifies():
                        self._on_payload(note.payload)
            except psycopg.Error as exc:
                log.warning("relay wakeup listener lost its connection: %s", exc)
            while True:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                try:
                    conn = await self._connect()
                except psycopg.Error as exc:
                    log.warning("relay wakeup listener cannot reconnect: %s", exc)
                    continue
                break
            backoff = 0.05
            self.reconnects += 1
            if self._on_reconnect is not None:
                try:
                    self._on_reconnect()
                except Exception:
                    log.exception("wakeup listener reconnect hook failed")
