"""The GUI tests' watchdog: a hung coroutine fails its test instead of the whole run."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.gui.conftest import Runner


def test_a_coroutine_that_swallows_its_cancellation_fails_the_test(arun: Runner) -> None:
    released = asyncio.Event()
    tasks: list[asyncio.Task[Any] | None] = []

    async def stubborn() -> None:
        tasks.append(asyncio.current_task())
        while not released.is_set():
            try:
                await asyncio.sleep(5)
            except asyncio.CancelledError:
                continue  # wait_for would wait for this for ever

    with pytest.raises(AssertionError, match="did not finish"):
        arun(stubborn(), timeout=0.1, grace=0.3)
    released.set()
    for task in tasks:
        assert task is not None
        task.cancel()  # now it lets go

    async def quick() -> int:
        await asyncio.sleep(0)
        return 7

    assert arun(quick()) == 7  # the loop runs again for the next test
    assert all(task is not None and task.done() for task in tasks)
