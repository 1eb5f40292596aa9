"""WAL checkpoints off the commit path, on a thread of their own.

By default SQLite checkpoints inside the commit that pushes the write-ahead
log past 1000 pages: that commit copies the log into the database and syncs
it, and with 4 KiB messages at a thousand a second that is a 10-15 ms stall
of the one writer every second, which every send waiting on that commit
pays (it was most of the relay's p99).  Here the writer turns automatic
checkpoints off and this thread runs a PASSIVE checkpoint every
``interval_s`` on its own connection: PASSIVE never waits for the writer or
for readers, copies what it can, and lets the writer restart the log from
the beginning once it has all been copied.

Durability does not depend on checkpoints: a commit is durable once the log
is synced.  A crash between checkpoints only leaves a longer log to replay.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(self, path: Path, interval_s: float = 0.5) -> None:
        self._path = path
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="relay-sqlite-checkpoint", daemon=True
        )
        self._conn: sqlite3.Connection | None = None
        self.checkpoints = 0

    def start(self) -> None:
        self._conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread (blocking; the writer's close checkpoints the rest)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        conn = self._conn
        assert conn is not None
        try:
            while not self._stop.wait(self._interval_s):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # the next round tries again
                    log.warning("relay database checkpoint failed: %s", exc)
        finally:
            conn.close()
