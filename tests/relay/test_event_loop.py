"""The relay's event loop choice: uvloop when installed, asyncio's loop otherwise."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from keybound.relay.event_loop import LoopUnavailable, loop_factory

HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None


def test_asyncio_is_the_default_loop() -> None:
    assert loop_factory("asyncio") == ("asyncio", None)


def test_auto_takes_uvloop_exactly_when_installed() -> None:
    name, factory = loop_factory("auto")
    if not HAS_UVLOOP:
        assert (name, factory) == ("asyncio", None)
        with pytest.raises(LoopUnavailable, match="keybound\\[relay\\]"):
            loop_factory("uvloop")
        return
    assert name == "uvloop" and factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
        assert loop.run_until_complete(asyncio.sleep(0, "ran")) == "ran"
    finally:
        loop.close()
