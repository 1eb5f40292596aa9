"""How protocol state reaches the store.

The protocol layer does no I/O.  Every operation that changes an Olm account,
an Olm session or a Megolm session returns :class:`StateChange` records holding
vodozemac pickles (already encrypted with the pickle key); the caller writes
them to the store in the same transaction as the message they belong to, and
feeds them back on start-up.

A ratchet step's record defers its value: ``source`` is then a function that
pickles the session as it is when the record is written.  A session that moves
for a hundred messages in one transaction is pickled once, when the caller
writes the last of its records (callers keep the last record per key), not a
hundred times.  So the caller must write a transaction's records before any
other transaction moves the same state, which is what the engine's one
database thread does; a transaction that fails reloads the machine instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StateChange:
    """Put ``value`` under (``kind``, ``key``), or delete it when ``value`` is None."""

    kind: str
    key: bytes
    source: bytes | Callable[[], bytes] | None = field(repr=False)

    @property
    def value(self) -> bytes | None:
        """The bytes to store (a deferred record takes them now: read it once)."""
        source = self.source
        return source() if callable(source) else source
