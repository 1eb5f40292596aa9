"""Child process for the SIGKILL test: enqueue forever, print each acknowledgement.

``python -m tests.relay.storage.enqueue_loop sqlite|postgres LOCATION``

Several concurrent senders share the storage (so the SQLite writer batches
them); each prints ``ok <n>`` only after ``enqueue`` returned, i.e. after the
relay would have answered ``sent``.  The parent kills this process with
SIGKILL at a random moment and checks every printed message is stored.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from keybound.relay.storage.base import QueuedMessage, RelayStorage
from keybound.wire.frames import DeviceAddress

SENDERS = 8
RECIPIENT = DeviceAddress(identity_id=b"victim" * 4, device_id=b"laptop")


def open_storage(kind: str, location: str) -> RelayStorage:
    if kind == "sqlite":
        from keybound.relay.storage.sqlite import SqliteStorage

        return SqliteStorage(Path(location))
    from keybound.relay.storage.postgres import PostgresStorage

    return PostgresStorage(location, pool_size=SENDERS)


async def main(kind: str, location: str) -> None:
    storage = open_storage(kind, location)
    await storage.start(lambda _: None)
    print("ready", flush=True)

    async def sender(lane: int) -> None:
        me = DeviceAddress(identity_id=b"sender" * 4, device_id=b"%d" % lane)
        n = lane
        while True:
            await storage.enqueue(me, [QueuedMessage(RECIPIENT, b"m%d" % n)], n)
            sys.stdout.write(f"ok {n}\n")
            sys.stdout.flush()
            n += SENDERS

    await asyncio.gather(*(sender(i) for i in range(SENDERS)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
