"""The bridge: results and failures reach the GUI thread; failures never as tracebacks."""

from __future__ import annotations

import asyncio

from keybound.errors import UserFacingError
from keybound.gui.bridge import BUG_TEXT, Bridge
from tests.gui.conftest import Runner, until


def test_done_and_failed_callbacks_get_result_and_error(arun: Runner) -> None:
    bridge = Bridge()
    results: list[object] = []
    errors: list[BaseException] = []

    async def ok() -> int:
        await asyncio.sleep(0)
        return 7

    async def bad() -> int:
        raise UserFacingError("The relay is full.")

    async def flow() -> None:
        bridge.run(ok(), done=results.append)
        bridge.run(bad(), failed=errors.append)
        await until(lambda: len(results) + len(errors) == 2)

    arun(flow())
    assert results == [7]
    assert isinstance(errors[0], UserFacingError)


def test_unhandled_failures_become_one_sentence(arun: Runner) -> None:
    bridge = Bridge()
    shown: list[str] = []
    bridge.failure.connect(shown.append)

    async def user_error() -> None:
        raise UserFacingError("Wrong PIN: 2 tries left.")

    async def bug() -> None:
        raise KeyError("secret-looking internals")

    async def flow() -> None:
        bridge.run(user_error())
        bridge.run(bug())
        await until(lambda: len(shown) == 2)

    arun(flow())
    assert shown[0] == "Wrong PIN: 2 tries left."
    assert shown[1] == BUG_TEXT
    assert "secret-looking" not in " ".join(shown)


def test_shutdown_cancels_running_work(arun: Runner) -> None:
    bridge = Bridge()
    called: list[object] = []

    async def forever() -> None:
        await asyncio.sleep(3600)

    async def flow() -> None:
        task = bridge.run(forever(), done=called.append, failed=called.append)
        await asyncio.sleep(0.01)
        await bridge.shutdown()
        assert task.cancelled()

    arun(flow())
    assert called == []
