"""One thread for all database and protocol-state work, so the event loop never blocks.

SQLCipher calls and vodozemac operations are synchronous; the engine runs
them as jobs on this single thread, in submission order.  One thread also
means one writer: jobs never interleave, so a job can read, encrypt and
commit without locks, and a job queued after another sees its commit.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from keybound.errors import InternalError

T = TypeVar("T")


class DbThread:
    def __init__(self, name: str = "keybound-db") -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._closed = False
        self._ident: int | None = None
        self._pool.submit(self._remember).result()

    def _remember(self) -> None:
        self._ident = threading.get_ident()

    def on_thread(self) -> bool:
        return threading.get_ident() == self._ident

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the DB thread; cancelling the await does not stop a started job."""
        if self._closed:
            raise InternalError("the database thread is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, partial(fn, *args, **kwargs))

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the DB thread and wait (outside the event loop only)."""
        if self.on_thread():
            return fn(*args, **kwargs)
        return self._pool.submit(fn, *args, **kwargs).result()

    def close(self) -> None:
        """Finish the queued jobs, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._pool.shutdown(wait=True)
