"""The relay's hot-path frames, coded by hand: byte for byte what ``keybound.wire`` does.

Every message through the relay costs a ``send`` and an ``ack`` decoded and a
``sent``, a ``deliver`` and an ``ok`` encoded.  The generic codec in
:mod:`keybound.wire.frames` finds its way through each frame by reflection
(dataclass fields, type hints), which was a fifth of the relay's CPU per
message.  Here those five frames are built and checked directly:

- Decoding checks exactly what the generic decoder checks (canonical CBOR,
  no unknown or missing fields, types, sizes, limits).  Whatever this fast
  path does not accept, it hands to :func:`keybound.wire.frames.decode_frame`,
  so every error (and its wording) comes from the one generic decoder, and a
  frame this module does not know well enough is never refused by it.
- Encoding builds the same map the generic encoder builds, with its keys
  already in canonical order, so the bytes are identical.

``tests/relay/test_codec.py`` checks both claims against the generic codec
with generated frames, and that the field sets here still match the frame
classes.
"""

from __future__ import annotations

from collections.abc import Sequence

import cbor2

from keybound.errors import MalformedData
from keybound.wire import frames as f

_INT64 = 2**63
_MAX_REQUEST_ID = 2**53


def _canonical(*names: str) -> tuple[str, ...]:
    """``names`` in canonical CBOR map order (shortest encoded key first, then bytewise)."""
    return tuple(cbor2.loads(cbor2.dumps(dict.fromkeys(names, 0), canonical=True)))


# Field names of the hot frames, in the order canonical CBOR puts them.  Maps
# built or accepted in exactly this order encode the same without
# ``canonical=True``, whose key sorting costs more than the rest of the encoding.
ENVELOPE = _canonical("v", "t", "id", "b")
SEND = _canonical("messages")
OUTGOING = _canonical("to", "payload")
ADDRESS = _canonical("identity_id", "device_id")
ACK = _canonical("queue_ids")
SENT = _canonical("accepted")
DELIVER = _canonical("messages", "more")
INCOMING = _canonical("queue_id", "sender", "received_ms", "payload")


def decode(data: bytes) -> f.Envelope:
    """Like :func:`keybound.wire.frames.decode_frame` (same result, same errors)."""
    envelope = decode_fast(data)
    return envelope if envelope is not None else f.decode_frame(data)


def decode_fast(data: bytes) -> f.Envelope | None:
    """A valid ``send`` or ``ack`` frame in canonical CBOR, else None.

    Canonical form is checked the way ``keybound.wire.cbor`` checks it (the
    bytes must be what encoding the decoded value gives), with the key order
    checked here so the re-encoding can skip sorting; every value's type is
    checked before that, which keeps out everything outside the data model.
    """
    if type(data) is not bytes or len(data) > f.MAX_FRAME_SIZE:
        return None
    try:
        outer = cbor2.loads(data)
    except Exception:  # garbage: the generic decoder names the problem
        return None
    if type(outer) is not dict or tuple(outer) != ENVELOPE:
        return None
    version, name, request_id, body = outer["v"], outer["t"], outer["id"], outer["b"]
    if (
        type(version) is not int
        or version != f.PROTOCOL_VERSION
        or type(request_id) is not int
        or not 0 <= request_id <= _MAX_REQUEST_ID
        or type(body) is not dict
    ):
        return None
    if name == "send":
        frame: f.Frame | None = _send(body)
    elif name == "ack":
        frame = _ack(body)
    else:
        return None
    if frame is None or cbor2.dumps(outer) != data:
        return None
    return f.Envelope(request_id, frame)


def _address(value: object) -> f.DeviceAddress | None:
    if type(value) is not dict or tuple(value) != ADDRESS:
        return None
    identity_id, device_id = value["identity_id"], value["device_id"]
    if (
        type(identity_id) is not bytes
        or type(device_id) is not bytes
        or len(identity_id) > f.MAX_ID_SIZE
        or len(device_id) > f.MAX_ID_SIZE
    ):
        return None
    return f.DeviceAddress(identity_id, device_id)


def _send(body: dict[object, object]) -> f.Send | None:
    if tuple(body) != SEND:
        return None
    items = body["messages"]
    if type(items) is not list or len(items) > f.MAX_ITEMS:
        return None
    messages = []
    for item in items:
        if type(item) is not dict or tuple(item) != OUTGOING:
            return None
        to = _address(item["to"])
        payload = item["payload"]
        if to is None or type(payload) is not bytes or len(payload) > f.MAX_PAYLOAD_SIZE:
            return None
        messages.append(f.Outgoing(to, payload))
    return f.Send(tuple(messages))


def _ack(body: dict[object, object]) -> f.Ack | None:
    if tuple(body) != ACK:
        return None
    ids = body["queue_ids"]
    if type(ids) is not list or len(ids) > f.MAX_ITEMS:
        return None
    queue_ids: list[int] = []
    for q in ids:
        if type(q) is not int or not -_INT64 <= q < _INT64:
            return None
        queue_ids.append(q)
    return f.Ack(tuple(queue_ids))


# --- encoding ------------------------------------------------------------------------


def _frame(request_id: int, name: str, body: dict[str, object]) -> bytes:
    # keys inserted in canonical order (see ENVELOPE): plain encoding is canonical
    data: bytes = cbor2.dumps({"b": body, "t": name, "v": f.PROTOCOL_VERSION, "id": request_id})
    if len(data) > f.MAX_FRAME_SIZE:
        raise MalformedData(f"frame of {len(data)} bytes is over the limit")
    return data


def encode_sent(request_id: int, accepted: int) -> bytes:
    return _frame(request_id, f.Sent.TYPE, {"accepted": accepted})


def encode_ok(request_id: int) -> bytes:
    return _frame(request_id, f.Ok.TYPE, {})


def encode_deliver(request_id: int, messages: Sequence[f.Incoming], more: bool) -> bytes:
    return _frame(
        request_id,
        f.Deliver.TYPE,
        {
            "more": more,
            "messages": [
                {
                    "sender": {
                        "device_id": m.sender.device_id,
                        "identity_id": m.sender.identity_id,
                    },
                    "payload": m.payload,
                    "queue_id": m.queue_id,
                    "received_ms": m.received_ms,
                }
                for m in messages
            ],
        },
    )
