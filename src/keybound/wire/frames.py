"""Relay protocol frames: typed, versioned, size-limited, canonical CBOR.

Every WebSocket message is one binary frame::

    {"v": 1, "t": <type name>, "id": <request id>, "b": <body map>}

``id`` pairs a reply with its request (the client counts up from 1); frames
the relay pushes unasked (``challenge``, ``deliver``) carry id 0.  A request
is answered by exactly one reply frame or by an ``error`` frame with the same
id.  The body of each type is a frozen dataclass below; field names are the
CBOR keys.  ``docs/relay-protocol.md`` describes every frame for people.

Decoding is strict: unknown frame types, unknown or missing fields, wrong
types and oversized values all raise :class:`~keybound.errors.MalformedData`,
so the relay can answer with an ``error`` frame and the client can drop the
connection, and neither ever meets another exception.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar, cast

from keybound.errors import MalformedData
from keybound.wire import cbor

PROTOCOL_VERSION = 1
MAX_FRAME_SIZE = 1 << 20  # one frame, encoded
MAX_PAYLOAD_SIZE = 256 * 1024  # one message's ciphertext for one device
MAX_BLOB_CHUNK = 512 * 1024
MAX_ITEMS = 1000  # recipients per send, keys per publish, ids per ack, ...
MAX_ID_SIZE = 64  # identity ids, device ids, key ids, blob ids
MAX_TEXT = 1000
PQ_KEY_SIZE = 1184  # an ML-KEM-768 public key
MAX_PQ_CLAIM = 500  # devices per claim_pq_keys (each answer carries a 1,184-byte key)
MAX_PQ_PUBLISH = 100  # keys per publish_pq_keys

_F = TypeVar("_F", bound="Frame")


def _limit(size: int) -> dict[str, int]:
    return {"max": size}


class ErrorCode(enum.StrEnum):
    """Why a request failed; clients branch on these, people read ``message``."""

    MALFORMED = "malformed"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNAUTHENTICATED = "unauthenticated"
    AUTH_FAILED = "auth_failed"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    TOO_LARGE = "too_large"
    QUEUE_FULL = "queue_full"
    QUOTA_EXCEEDED = "quota_exceeded"
    RATE_LIMITED = "rate_limited"
    CHAIN_REJECTED = "chain_rejected"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


@dataclass(frozen=True)
class Frame:
    """Base of every frame body; ``TYPE`` is its name on the wire."""

    TYPE: ClassVar[str] = ""


# --- values inside frames ------------------------------------------------------


@dataclass(frozen=True)
class DeviceAddress:
    """One device of one identity: the unit the relay queues for."""

    identity_id: bytes = field(metadata=_limit(MAX_ID_SIZE))
    device_id: bytes = field(metadata=_limit(MAX_ID_SIZE))


@dataclass(frozen=True)
class SignedKey:
    """A one-time or fallback Curve25519 key, signed by the device's Ed25519 key."""

    key_id: bytes = field(metadata=_limit(MAX_ID_SIZE))
    key: bytes = field(metadata=_limit(MAX_ID_SIZE))
    signature: bytes = field(metadata=_limit(MAX_ID_SIZE * 2))


@dataclass(frozen=True)
class ClaimedKey:
    device: DeviceAddress
    key: SignedKey
    fallback: bool


@dataclass(frozen=True)
class SignedPqKey:
    """An ML-KEM-768 prekey (one-time or last-resort), signed by the device's Ed25519 key."""

    key_id: bytes = field(metadata=_limit(MAX_ID_SIZE))
    key: bytes = field(metadata=_limit(PQ_KEY_SIZE))
    signature: bytes = field(metadata=_limit(MAX_ID_SIZE * 2))


@dataclass(frozen=True)
class ClaimedPqKey:
    device: DeviceAddress
    key: SignedPqKey
    last_resort: bool


@dataclass(frozen=True)
class Outgoing:
    to: DeviceAddress
    payload: bytes = field(metadata=_limit(MAX_PAYLOAD_SIZE))


@dataclass(frozen=True)
class Incoming:
    """A queued message; ``sender`` is the device the relay authenticated."""

    queue_id: int
    sender: DeviceAddress
    received_ms: int
    payload: bytes = field(metadata=_limit(MAX_PAYLOAD_SIZE))


# --- handshake -------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge(Frame):
    """Relay -> client on connect: sign this to prove you hold the device key."""

    TYPE: ClassVar[str] = "challenge"
    nonce: bytes = field(metadata=_limit(64))
    relay: str = field(metadata=_limit(MAX_TEXT))
    server_time_ms: int = 0


@dataclass(frozen=True)
class Authenticate(Frame):
    """Ed25519 signature by the device key over :func:`auth_signing_bytes`."""

    TYPE: ClassVar[str] = "authenticate"
    device: DeviceAddress
    signature: bytes = field(metadata=_limit(128))


@dataclass(frozen=True)
class Authenticated(Frame):
    TYPE: ClassVar[str] = "authenticated"
    one_time_keys_left: int
    has_fallback_key: bool
    queued: int


def auth_signing_bytes(challenge: Challenge, device: DeviceAddress) -> bytes:
    """What a device signs to authenticate: domain, relay, nonce and its own address.

    Binding the relay name stops a malicious relay from replaying a
    signature to another relay; the fresh nonce stops replays on this one.
    """
    return b"keybound relay auth v1\x00" + cbor.encode(
        [challenge.relay, challenge.nonce, device.identity_id, device.device_id]
    )


# --- directory -------------------------------------------------------------------


@dataclass(frozen=True)
class PublishIdentity(Frame):
    TYPE: ClassVar[str] = "publish_identity"
    documents: tuple[bytes, ...]


@dataclass(frozen=True)
class FetchIdentity(Frame):
    TYPE: ClassVar[str] = "fetch_identity"
    identity_id: bytes = field(metadata=_limit(MAX_ID_SIZE))
    after_version: int = -1


@dataclass(frozen=True)
class FindIdentity(Frame):
    """Which identity currently lists this token (a new device joining with its token)?

    Answered by ``identity_chain`` or ``not_found``.  A token's public key is
    in the chain anyway, so this reveals nothing the chain does not.
    """

    TYPE: ClassVar[str] = "find_identity"
    token_id: bytes = field(metadata=_limit(MAX_ID_SIZE))


@dataclass(frozen=True)
class IdentityChain(Frame):
    TYPE: ClassVar[str] = "identity_chain"
    documents: tuple[bytes, ...]


@dataclass(frozen=True)
class PublishKeys(Frame):
    TYPE: ClassVar[str] = "publish_keys"
    one_time_keys: tuple[SignedKey, ...]
    fallback_key: SignedKey | None = None


@dataclass(frozen=True)
class KeyCount(Frame):
    TYPE: ClassVar[str] = "key_count"
    one_time_keys_left: int
    has_fallback_key: bool


@dataclass(frozen=True)
class ClaimKeys(Frame):
    TYPE: ClassVar[str] = "claim_keys"
    devices: tuple[DeviceAddress, ...]


@dataclass(frozen=True)
class ClaimedKeys(Frame):
    """One key per device that had one; devices with none are left out."""

    TYPE: ClassVar[str] = "claimed_keys"
    keys: tuple[ClaimedKey, ...]


@dataclass(frozen=True)
class PublishPqKeys(Frame):
    """Add PQ one-time prekeys and replace the last-resort one; answered by ``pq_key_count``
    (an empty publish just asks for the count)."""

    TYPE: ClassVar[str] = "publish_pq_keys"
    one_time_keys: tuple[SignedPqKey, ...]
    last_resort_key: SignedPqKey | None = None


@dataclass(frozen=True)
class PqKeyCount(Frame):
    TYPE: ClassVar[str] = "pq_key_count"
    one_time_keys_left: int
    has_last_resort_key: bool


@dataclass(frozen=True)
class ClaimPqKeys(Frame):
    TYPE: ClassVar[str] = "claim_pq_keys"
    devices: tuple[DeviceAddress, ...]


@dataclass(frozen=True)
class ClaimedPqKeys(Frame):
    """One PQ prekey per device that had one (a one-time key once, else the last-resort)."""

    TYPE: ClassVar[str] = "claimed_pq_keys"
    keys: tuple[ClaimedPqKey, ...]


# --- queues ----------------------------------------------------------------------


@dataclass(frozen=True)
class Send(Frame):
    TYPE: ClassVar[str] = "send"
    messages: tuple[Outgoing, ...]


@dataclass(frozen=True)
class Sent(Frame):
    """Every message of the send is stored durably for every recipient."""

    TYPE: ClassVar[str] = "sent"
    accepted: int


@dataclass(frozen=True)
class Fetch(Frame):
    TYPE: ClassVar[str] = "fetch"
    limit: int = 100


@dataclass(frozen=True)
class Deliver(Frame):
    """Queued messages, oldest first; pushed (id 0) or the reply to ``fetch``."""

    TYPE: ClassVar[str] = "deliver"
    messages: tuple[Incoming, ...]
    more: bool = False


@dataclass(frozen=True)
class Ack(Frame):
    """The recipient has committed these; the relay deletes them."""

    TYPE: ClassVar[str] = "ack"
    queue_ids: tuple[int, ...]


@dataclass(frozen=True)
class Ok(Frame):
    TYPE: ClassVar[str] = "ok"


# --- blobs -----------------------------------------------------------------------


@dataclass(frozen=True)
class BlobBegin(Frame):
    TYPE: ClassVar[str] = "blob_begin"
    size: int


@dataclass(frozen=True)
class BlobStarted(Frame):
    TYPE: ClassVar[str] = "blob_started"
    upload_id: bytes = field(metadata=_limit(MAX_ID_SIZE))
    chunk_size: int = MAX_BLOB_CHUNK


@dataclass(frozen=True)
class BlobChunk(Frame):
    TYPE: ClassVar[str] = "blob_chunk"
    upload_id: bytes = field(metadata=_limit(MAX_ID_SIZE))
    offset: int = 0
    data: bytes = field(default=b"", metadata=_limit(MAX_BLOB_CHUNK))


@dataclass(frozen=True)
class BlobFinish(Frame):
    TYPE: ClassVar[str] = "blob_finish"
    upload_id: bytes = field(metadata=_limit(MAX_ID_SIZE))
    sha256: bytes = field(default=b"", metadata=_limit(32))


@dataclass(frozen=True)
class BlobStored(Frame):
    TYPE: ClassVar[str] = "blob_stored"
    blob_id: bytes = field(metadata=_limit(MAX_ID_SIZE))
    expires_ms: int = 0


@dataclass(frozen=True)
class BlobGet(Frame):
    TYPE: ClassVar[str] = "blob_get"
    blob_id: bytes = field(metadata=_limit(MAX_ID_SIZE))
    offset: int = 0
    length: int = MAX_BLOB_CHUNK


@dataclass(frozen=True)
class BlobData(Frame):
    TYPE: ClassVar[str] = "blob_data"
    data: bytes = field(metadata=_limit(MAX_BLOB_CHUNK))
    total_size: int = 0


# --- misc ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ping(Frame):
    TYPE: ClassVar[str] = "ping"


@dataclass(frozen=True)
class Pong(Frame):
    TYPE: ClassVar[str] = "pong"


@dataclass(frozen=True)
class Error(Frame):
    TYPE: ClassVar[str] = "error"
    code: ErrorCode
    message: str = field(default="", metadata=_limit(MAX_TEXT))
    retry_after_ms: int | None = None
    device: DeviceAddress | None = None  # the recipient a queue_full / not_found is about


FRAME_TYPES: dict[str, type[Frame]] = {
    cls.TYPE: cls
    for cls in (
        Challenge, Authenticate, Authenticated, PublishIdentity, FetchIdentity,
        FindIdentity, IdentityChain, PublishKeys, KeyCount, ClaimKeys, ClaimedKeys, Send, Sent,
        Fetch, Deliver, Ack, Ok, BlobBegin, BlobStarted, BlobChunk, BlobFinish,
        BlobStored, BlobGet, BlobData, Ping, Pong, Error,
        PublishPqKeys, PqKeyCount, ClaimPqKeys, ClaimedPqKeys,
    )
}  # fmt: skip


@dataclass(frozen=True)
class Envelope:
    """A decoded frame: request id and typed body."""

    request_id: int
    body: Frame


# --- codec -----------------------------------------------------------------------


def encode_frame(request_id: int, body: Frame, *, verify: bool = True) -> bytes:
    """The bytes of one WebSocket message; refuses bodies over the limits.

    ``verify=False`` skips re-decoding (the field checks) for bodies built
    only from values that were themselves decoded and checked, which the
    relay does on its hot path (``sent``, ``ok``, ``deliver``); the frame
    size is checked either way.
    """
    data = cbor.encode(
        {"v": PROTOCOL_VERSION, "t": body.TYPE, "id": request_id, "b": _to_value(body)}
    )
    if len(data) > MAX_FRAME_SIZE:
        raise MalformedData(f"frame of {len(data)} bytes is over the limit")
    if verify:
        decode_frame(data)  # the same checks the peer will make, so we never send junk
    return data


def decode_frame(data: bytes) -> Envelope:
    """Parse one frame; anything unexpected is :class:`MalformedData`."""
    outer = cbor.decode_map(data, max_size=MAX_FRAME_SIZE)
    cbor.reject_unknown(outer, {"v", "t", "id", "b"}, what="frame")
    version = cbor.get_int(outer, "v", name="version")
    if version != PROTOCOL_VERSION:
        raise MalformedData(f"protocol version {version} is not supported")
    name = cbor.get_str(outer, "t", name="type", max_size=64)
    cls = FRAME_TYPES.get(name)
    if cls is None:
        raise MalformedData("unknown frame type")  # not echoed: errors never carry input
    request_id = cbor.get_int(outer, "id", name="id", min_value=0, max_value=2**53)
    body = _from_value(cls, cbor.get_map(outer, "b", name="body"), name)
    return Envelope(request_id, cast(Frame, body))


def body_as(envelope: Envelope, cls: type[_F]) -> _F:
    """The body when it is a ``cls``; else :class:`MalformedData` naming both."""
    if not isinstance(envelope.body, cls):
        raise MalformedData(f"expected a {cls.TYPE} frame, got {envelope.body.TYPE}")
    return envelope.body


def _to_value(obj: object) -> cbor.Value:
    if isinstance(obj, enum.Enum):
        return cast(cbor.Value, obj.value)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: _to_value(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if getattr(obj, f.name) is not None
        }
    if isinstance(obj, tuple):
        return [_to_value(item) for item in obj]
    return cast(cbor.Value, obj)


_Schema = tuple[frozenset[str], tuple[tuple[str, Any, bool, int | None], ...]]
_SCHEMAS: dict[type[Any], _Schema] = {}


def _schema(cls: type[Any]) -> _Schema:
    """(field names, (name, type hint, required, max size) per field), once per class.

    ``typing.get_type_hints`` is slow; the relay decodes every frame with this.
    """
    cached = _SCHEMAS.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls)
    fields = tuple(
        (
            f.name,
            hints[f.name],
            f.default is dataclasses.MISSING and not _is_optional(hints[f.name]),
            f.metadata.get("max"),
        )
        for f in dataclasses.fields(cls)
    )
    schema = _SCHEMAS[cls] = (frozenset(name for name, *_ in fields), fields)
    return schema


def _from_value(cls: type[Any], value: cbor.CborMap, where: str) -> object:
    names, fields = _schema(cls)
    cbor.reject_unknown(value, set(names), what=where)
    kwargs: dict[str, object] = {}
    for name, hint, required, max_size in fields:
        if name not in value:
            if required:
                raise MalformedData(f"missing field {where}.{name}")
            continue
        kwargs[name] = _convert(hint, value[name], f"{where}.{name}", max_size)
    return cls(**kwargs)


def _is_optional(hint: object) -> bool:
    return isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)


def _convert(hint: Any, value: cbor.Value, label: str, max_size: int | None) -> object:
    if _is_optional(hint):
        if value is None:
            raise MalformedData(f"field {label} is null; leave it out instead")
        (hint,) = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, list):
            raise MalformedData(f"field {label} must be a list")
        if len(value) > MAX_ITEMS:
            raise MalformedData(f"field {label} has more than {MAX_ITEMS} items")
        (item_hint, _) = typing.get_args(hint)
        return tuple(_convert(item_hint, item, label, max_size) for item in value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            raise MalformedData(f"field {label} has an unknown value") from None
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise MalformedData(f"field {label} must be a map")
        return _from_value(cast(type[Any], hint), value, label)
    if hint is bool:
        if not isinstance(value, bool):
            raise MalformedData(f"field {label} must be a bool")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise MalformedData(f"field {label} must be an integer")
        if not -(2**63) <= value < 2**63:
            raise MalformedData(f"field {label} is out of range")
        return value
    if hint in (bytes, str):
        if not isinstance(value, hint):
            raise MalformedData(f"field {label} must be {hint.__name__}")
        if max_size is not None and len(value) > max_size:
            raise MalformedData(f"field {label} is longer than {max_size}")
        return value
    raise MalformedData(f"field {label} has an unsupported type")  # pragma: no cover
