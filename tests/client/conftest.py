"""Client engine tests run against a real relay process (see tests/helpers/relay_process.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import relay_factory, shared_relay

__all__ = ["relay_factory", "shared_relay"]


@pytest.fixture(scope="module")
def worker() -> Iterator[TokenWorker]:
    """One token thread for every Messenger of a test module (as in one process)."""
    w = TokenWorker()
    yield w
    w.stop()
