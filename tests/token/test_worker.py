"""The token worker: one thread, in order, cancellable, errors delivered."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from keybound.errors import InternalError, OperationCancelled, WrongPin
from keybound.token.worker import (
    TokenWorker,
    assert_token_thread,
    check_cancelled,
    current_cancel_event,
)


def test_calls_run_on_one_thread_in_order(token_worker: TokenWorker) -> None:
    seen: list[tuple[int, str]] = []

    def record(i: int) -> int:
        assert_token_thread()
        seen.append((i, threading.current_thread().name))
        return i * 2

    jobs = [token_worker.submit(record, i) for i in range(20)]
    assert [j.result(5) for j in jobs] == [i * 2 for i in range(20)]
    assert [i for i, _ in seen] == list(range(20))
    assert {name for _, name in seen} == {"keybound-token"}


def test_token_calls_are_refused_off_the_worker() -> None:
    with pytest.raises(InternalError):
        assert_token_thread()


def test_errors_reach_the_caller(token_worker: TokenWorker) -> None:
    def fail() -> None:
        raise WrongPin(2)

    with pytest.raises(WrongPin, match="2 attempts left"):
        token_worker.call(fail)


def test_cancel_stops_a_running_call(token_worker: TokenWorker) -> None:
    started = threading.Event()

    def slow() -> None:
        started.set()
        while True:  # like a card waiting for a touch, checking between APDUs
            check_cancelled()
            time.sleep(0.01)

    job = token_worker.submit(slow)
    assert started.wait(5)
    job.cancel()
    with pytest.raises(OperationCancelled):
        job.result(5)
    assert token_worker.call(lambda: 42) == 42  # the worker is still usable


def test_cancel_before_start_never_runs(token_worker: TokenWorker) -> None:
    gate = threading.Event()
    ran: list[str] = []
    first = token_worker.submit(gate.wait, 5)
    second = token_worker.submit(ran.append, "ran")
    second.cancel()
    gate.set()
    first.result(5)
    token_worker.call(lambda: None)
    assert ran == []


def test_each_job_has_its_own_cancel_event(token_worker: TokenWorker) -> None:
    events = [token_worker.call(current_cancel_event) for _ in range(2)]
    assert events[0] is not events[1]
    assert not any(e.is_set() for e in events)


def test_asyncio_cancellation_cancels_the_job(token_worker: TokenWorker) -> None:
    cancelled = threading.Event()

    def wait_for_cancel() -> None:
        while not current_cancel_event().is_set():
            time.sleep(0.01)
        cancelled.set()
        raise OperationCancelled()

    async def main() -> None:
        task = asyncio.ensure_future(token_worker.run(wait_for_cancel))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert cancelled.wait(5)
