"""``aio.wait``: the engine's loops wait on events with it, and must stay cancellable."""

from __future__ import annotations

import asyncio

import pytest

from keybound.client.aio import wait


async def _forever(event: asyncio.Event, timeout: float | None) -> None:
    while True:  # what flush_forever and the backup scheduler do
        await wait(event, timeout)


@pytest.mark.parametrize("timeout", [None, 30.0])
def test_a_cancel_that_meets_the_event_being_set_still_ends_the_loop(
    timeout: float | None,
) -> None:
    async def scenario() -> None:
        event = asyncio.Event()
        task = asyncio.ensure_future(_forever(event, timeout))
        await asyncio.sleep(0.01)  # the loop waits on the event
        event.set()  # woken and cancelled in the same turn of the loop (Session.stop)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=2)
        assert done, "the cancellation was swallowed and the loop went on waiting"
        assert task.cancelled()

    asyncio.run(scenario())


def test_wait_returns_on_the_event_or_the_timeout_and_clears_it() -> None:
    async def scenario() -> None:
        event = asyncio.Event()
        await wait(event, 0.01)  # the timeout: no error
        event.set()
        await wait(event, None)
        assert not event.is_set()

    asyncio.run(scenario())
