"""When the relay gives freed memory back: after a wave of closes, once, never per connection."""

from __future__ import annotations

import asyncio

from keybound.relay.memory import HeapTrimmer


def test_a_trim_follows_a_wave_of_closes_not_churn() -> None:
    async def body() -> None:
        calls: list[int] = []
        trimmer = HeapTrimmer(
            after_closed=100, delay_s=0.01, trim=lambda pad: calls.append(pad) or 1
        )
        for n in range(1, 41):  # a handful coming and going: never
            trimmer.opened(n)
        for n in range(39, 29, -1):
            trimmer.closed(n)
        await asyncio.sleep(0.05)
        assert calls == []
        for n in range(41, 1001):
            trimmer.opened(n)
        for n in range(999, -1, -1):  # a flood ends: one trim for the wave
            trimmer.closed(n)
        await asyncio.sleep(0.05)
        assert calls == [0] and trimmer.trims == 1
        trimmer.closed(0)
        await asyncio.sleep(0.05)
        assert trimmer.trims == 1
        trimmer.stop()

    asyncio.run(body())
