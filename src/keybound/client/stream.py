"""Event streams: each subscriber gets every engine event from its subscription on."""

from __future__ import annotations

import asyncio

from keybound.client.events import Event


class EventStream:
    """One subscriber's events, in order; ``async for`` ends when the Messenger closes."""

    def __init__(self, hub: list[EventStream]) -> None:
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._hub = hub
        hub.append(self)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        return item

    async def next(self, timeout: float | None = None) -> Event:
        """The next event (``TimeoutError`` after ``timeout`` seconds)."""
        return await asyncio.wait_for(self.__anext__(), timeout)

    def put(self, event: Event | None) -> None:
        self._queue.put_nowait(event)

    def close(self) -> None:
        """Unsubscribe; the iteration ends after the events already queued."""
        if self in self._hub:
            self._hub.remove(self)
        self._queue.put_nowait(None)


def broadcast(hub: list[EventStream], event: Event) -> None:
    for stream in list(hub):
        stream.put(event)
