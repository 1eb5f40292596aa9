"""The envelope (what the relay carries) and the inner plaintext (what it cannot read).

The envelope's header is in clear so the relay and the receiver can route,
deduplicate and pick a session before decrypting.  None of it is trusted on
its own: the inner plaintext repeats every header field and the receiver
rejects the message unless they match (:func:`check_header`), so a relay that
edits the header gets a :class:`HeaderMismatch`, not a forged message.

The content type is in the header on purpose: the relay may use it to keep
typing notifications out of durable storage.  The conversation ID is not.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from keybound.errors import HeaderMismatch, MalformedData, UnsupportedEnvelope
from keybound.protocol.devices import ID_MAX, KEY_SIZE
from keybound.protocol.ids import MESSAGE_ID_SIZE
from keybound.wire import cbor

ENVELOPE_VERSION = 1
MAX_ENVELOPE = 1 << 20
_TIME_MAX = (1 << 48) - 1


class Scheme(enum.IntEnum):
    OLM = 0
    MEGOLM = 1
    OLM_PQ = 2  # Olm inside the post-quantum outer layer (docs/post-quantum.md)


_EXTRA = {Scheme.OLM: 8, Scheme.MEGOLM: 9, Scheme.OLM_PQ: 10}
_KNOWN = {scheme: frozenset({0, 1, 2, 3, 4, 5, 6, 7, extra}) for scheme, extra in _EXTRA.items()}


@dataclass(frozen=True)
class Envelope:
    """One encrypted message as the relay stores it for a recipient device."""

    message_id: bytes
    sender_identity: bytes
    sender_device: bytes
    timestamp_ms: int
    content_type: int
    scheme: Scheme
    body: bytes
    olm_type: int = 0
    session_id: str = ""
    version: int = ENVELOPE_VERSION
    pq_header: bytes = b""  # Scheme.OLM_PQ: the outer layer's header (the Olm type is inside)

    def encode(self) -> bytes:
        return cbor.encode(self._map(with_body=True))

    def associated_data(self) -> bytes:
        """Everything but the ciphertext: what the outer layer authenticates."""
        return cbor.encode(self._map(with_body=False))

    def _map(self, *, with_body: bool) -> cbor.CborMap:
        m: cbor.CborMap = {
            0: self.version,
            1: self.message_id,
            2: self.sender_identity,
            3: self.sender_device,
            4: self.timestamp_ms,
            5: self.content_type,
            6: int(self.scheme),
        }
        if with_body:
            m[7] = self.body
        if self.scheme is Scheme.OLM:
            m[8] = self.olm_type
        elif self.scheme is Scheme.MEGOLM:
            m[9] = self.session_id
        else:
            m[10] = self.pq_header
        return m

    @classmethod
    def decode(cls, data: bytes) -> Envelope:
        m = cbor.decode_map(data, max_size=MAX_ENVELOPE)
        version = cbor.get_int(m, 0, name="version")
        if version != ENVELOPE_VERSION:
            raise UnsupportedEnvelope(version)
        scheme_no = cbor.get_int(m, 6, name="scheme", min_value=0, max_value=2)
        scheme = Scheme(scheme_no)
        cbor.reject_unknown(m, _KNOWN[scheme], what="envelope")
        return cls(
            message_id=cbor.get_bytes(m, 1, name="message id", size=MESSAGE_ID_SIZE),
            sender_identity=cbor.get_bytes(m, 2, name="sender identity", max_size=ID_MAX),
            sender_device=cbor.get_bytes(m, 3, name="sender device", max_size=ID_MAX),
            timestamp_ms=cbor.get_int(m, 4, name="timestamp", min_value=0, max_value=_TIME_MAX),
            content_type=cbor.get_int(m, 5, name="content type", min_value=0, max_value=1 << 16),
            scheme=scheme,
            body=cbor.get_bytes(m, 7, name="ciphertext"),
            olm_type=(
                cbor.get_int(m, 8, name="olm type", min_value=0, max_value=1)
                if scheme is Scheme.OLM
                else 0
            ),
            session_id=(
                cbor.get_str(m, 9, name="session id", max_size=64)
                if scheme is Scheme.MEGOLM
                else ""
            ),
            pq_header=(
                cbor.get_bytes(m, 10, name="pq header", max_size=4096)
                if scheme is Scheme.OLM_PQ
                else b""
            ),
        )


@dataclass(frozen=True)
class Inner:
    """The plaintext inside the ciphertext: the header again, the sender's key, the content."""

    message_id: bytes
    sender_identity: bytes
    sender_device: bytes
    sender_ed25519: bytes
    conversation_id: bytes
    timestamp_ms: int
    content_type: int
    content: bytes

    def encode(self) -> bytes:
        return cbor.encode(
            {
                0: self.message_id,
                1: self.sender_identity,
                2: self.sender_device,
                3: self.sender_ed25519,
                4: self.conversation_id,
                5: self.timestamp_ms,
                6: self.content_type,
                7: self.content,
            }
        )

    @classmethod
    def decode(cls, data: bytes) -> Inner:
        m = cbor.decode_map(data, max_size=MAX_ENVELOPE)
        return cls(
            message_id=cbor.get_bytes(m, 0, name="message id", size=MESSAGE_ID_SIZE),
            sender_identity=cbor.get_bytes(m, 1, name="sender identity", max_size=ID_MAX),
            sender_device=cbor.get_bytes(m, 2, name="sender device", max_size=ID_MAX),
            sender_ed25519=cbor.get_bytes(m, 3, name="sender key", size=KEY_SIZE),
            conversation_id=cbor.get_bytes(m, 4, name="conversation id", max_size=ID_MAX),
            timestamp_ms=cbor.get_int(m, 5, name="timestamp", min_value=0, max_value=_TIME_MAX),
            content_type=cbor.get_int(m, 6, name="content type", min_value=0, max_value=1 << 16),
            content=cbor.get_bytes(m, 7, name="content"),
        )


def check_header(inner: Inner, env: Envelope) -> None:
    """Raise :class:`HeaderMismatch` naming the first envelope field that disagrees."""
    pairs = (
        ("message ID", inner.message_id, env.message_id),
        ("sender identity", inner.sender_identity, env.sender_identity),
        ("sender device", inner.sender_device, env.sender_device),
        ("timestamp", inner.timestamp_ms, env.timestamp_ms),
        ("content type", inner.content_type, env.content_type),
    )
    for name, a, b in pairs:
        if a != b:
            raise HeaderMismatch(name)


def decode_inner(plaintext: bytes) -> Inner:
    """:meth:`Inner.decode`, with malformed plaintext reported as a malformed message."""
    try:
        return Inner.decode(plaintext)
    except MalformedData as exc:
        raise MalformedData(f"encrypted message: {exc.detail}") from exc
