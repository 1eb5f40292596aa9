"""Bounded, persisted, insertion-ordered sets: seen message IDs and the pending queue.

Both must survive a restart (the relay deletes a message once we acknowledge
it) and both must stay small whatever a peer sends, so each is a window of
the most recent ``capacity`` entries.  Every value is stored with an 8-byte
sequence number in front so that :meth:`BoundedLog.restore` rebuilds the same
order from unordered store rows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping

from keybound.errors import ProtocolStateError
from keybound.protocol.state import StateChange

KIND_SEEN = "seen"
KIND_PENDING = "megolm.pending"


class BoundedLog:
    """At most ``capacity`` (key -> value) entries; the oldest go first."""

    def __init__(self, kind: str, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.kind = kind
        self.capacity = capacity
        self._items: OrderedDict[bytes, bytes] = OrderedDict()
        self._seq = 0

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        return iter(list(self._items.items()))

    def add(self, key: bytes, value: bytes = b"") -> tuple[list[StateChange], list[bytes]]:
        """Insert (or refresh) ``key``; returns the records and the keys evicted."""
        self._seq += 1
        self._items[key] = value
        self._items.move_to_end(key)
        changes = [StateChange(self.kind, key, self._seq.to_bytes(8, "big") + value)]
        evicted = []
        while len(self._items) > self.capacity:
            old, _ = self._items.popitem(last=False)
            changes.append(StateChange(self.kind, old, None))
            evicted.append(old)
        return changes, evicted

    def remove(self, key: bytes) -> list[StateChange]:
        if self._items.pop(key, None) is None:
            return []
        return [StateChange(self.kind, key, None)]

    def restore(self, records: Mapping[bytes, bytes]) -> None:
        """Rebuild from stored values (as written by :meth:`add`)."""
        if any(len(v) < 8 for v in records.values()):
            raise ProtocolStateError(self.kind)
        ordered = sorted(records.items(), key=lambda kv: kv[1][:8])
        for key, value in ordered[-self.capacity :]:
            self._items[key] = value[8:]
        if ordered:
            self._seq = int.from_bytes(ordered[-1][1][:8], "big")
