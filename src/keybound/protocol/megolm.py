"""Megolm group sessions: ours per group (outbound) and other devices' (inbound).

An outbound session remembers which devices it was shared with.  It is
replaced (:meth:`Outbound.needs_rotation`) when a device it was shared with
is no longer among the recipients (someone left, was removed, or a device was
revoked), after ``max_messages`` messages, or after ``max_age_ms``.  The new
session is shared only with current devices, so a removed member never holds
the key of anything sent after the removal.

An inbound session is keyed by (sender Curve25519 key, session ID), bound to
the group and sender it arrived for, and remembers which message ID it
carried at each ratchet index: the same index with another message ID is a
replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import vodozemac

from keybound.errors import MalformedData, ProtocolStateError
from keybound.protocol.state import StateChange
from keybound.wire import cbor

KIND_OUTBOUND = "megolm.outbound"
KIND_INBOUND = "megolm.inbound"

DeviceAddress = tuple[bytes, bytes, bytes]
"""(identity ID, device ID, Curve25519 key) of a device a session was shared with."""


@dataclass(frozen=True)
class RotationPolicy:
    max_messages: int = 100
    max_age_ms: int = 7 * 24 * 3600 * 1000


@dataclass
class Outbound:
    group_id: bytes
    session: vodozemac.GroupSession
    created_ms: int
    shared: set[DeviceAddress] = field(default_factory=set)

    def needs_rotation(self, devices: set[DeviceAddress], now_ms: int, p: RotationPolicy) -> bool:
        return (
            not self.shared <= devices
            or self.session.message_index >= p.max_messages
            or now_ms - self.created_ms >= p.max_age_ms
        )

    def change(self, pickle_key: bytes) -> StateChange:
        """The session's record, pickled when it is written (once per transaction)."""

        def value() -> bytes:
            return cbor.encode(
                {
                    0: self.session.pickle(pickle_key),
                    1: self.created_ms,
                    2: [list(a) for a in sorted(self.shared)],
                }
            )

        return StateChange(KIND_OUTBOUND, self.group_id, value)

    @classmethod
    def restore(cls, group_id: bytes, value: bytes, pickle_key: bytes) -> Outbound:
        try:
            m = cbor.decode_map(value)
            session = vodozemac.GroupSession.from_pickle(cbor.get_str(m, 0), pickle_key)
            shared = set()
            for item in cbor.get_list(m, 2):
                if not isinstance(item, list) or len(item) != 3:
                    raise MalformedData("shared device")
                a, b, c = item
                if not (isinstance(a, bytes) and isinstance(b, bytes) and isinstance(c, bytes)):
                    raise MalformedData("shared device")
                shared.add((a, b, c))
            return cls(group_id, session, cbor.get_int(m, 1), shared)
        except (ValueError, MalformedData) as exc:
            raise ProtocolStateError("Megolm outbound session") from exc


@dataclass
class Inbound:
    sender_curve: bytes
    session: vodozemac.InboundGroupSession
    pickle: str
    group_id: bytes
    sender_identity: bytes
    sender_device: bytes
    indices: dict[int, bytes] = field(default_factory=dict)

    @property
    def key(self) -> bytes:
        return self.sender_curve + self.session.session_id.encode()

    def record(self, index: int, message_id: bytes, limit: int) -> StateChange:
        """Remember that ``index`` carried ``message_id`` (keeping the newest ``limit``)."""
        self.indices[index] = message_id
        while len(self.indices) > limit:
            del self.indices[min(self.indices)]
        return self.change()

    def change(self) -> StateChange:
        """The session's record with its replay window as it is when written."""

        def value() -> bytes:
            return cbor.encode(
                {
                    0: self.pickle,
                    1: self.group_id,
                    2: self.sender_identity,
                    3: self.sender_device,
                    4: [[i, mid] for i, mid in sorted(self.indices.items())],
                }
            )

        return StateChange(KIND_INBOUND, self.key, value)

    @classmethod
    def restore(cls, key: bytes, value: bytes, pickle_key: bytes) -> Inbound:
        try:
            m = cbor.decode_map(value)
            pickle = cbor.get_str(m, 0)
            indices = {}
            for item in cbor.get_list(m, 4):
                if not (isinstance(item, list) and len(item) == 2):
                    raise MalformedData("index")
                i, mid = item
                if not isinstance(i, int) or not isinstance(mid, bytes):
                    raise MalformedData("index")
                indices[i] = mid
            return cls(
                key[:32],
                vodozemac.InboundGroupSession.from_pickle(pickle, pickle_key),
                pickle,
                cbor.get_bytes(m, 1),
                cbor.get_bytes(m, 2),
                cbor.get_bytes(m, 3),
                indices,
            )
        except (ValueError, MalformedData) as exc:
            raise ProtocolStateError("Megolm inbound session") from exc
