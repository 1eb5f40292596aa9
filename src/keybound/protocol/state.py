"""How protocol state reaches the store.

The protocol layer does no I/O.  Every operation that changes an Olm account,
an Olm session or a Megolm session returns :class:`StateChange` records holding
vodozemac pickles (already encrypted with the pickle key); the caller writes
them to the store in the same transaction as the message they belong to, and
feeds them back on start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StateChange:
    """Put ``value`` under (``kind``, ``key``), or delete it when ``value`` is None."""

    kind: str
    key: bytes
    value: bytes | None = field(repr=False)
