"""Pieces both backends share: how a device is keyed, ids, grouping, wakeups,
and which tokens a chain lists (for the token index).

A device is stored as one opaque key (``len(identity) || identity || device``)
so every hot-path query filters on a single column with a leading index,
which is what sharding by device needs; the length prefix keeps the split
unambiguous.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from keybound.errors import IdentityError, MalformedData
from keybound.identity.document import SignedDocument, decode_document
from keybound.relay.storage.base import (
    InvalidBlobRequest,
    KeyCounts,
    Limits,
    QueuedMessage,
    QueueFull,
    QuotaExceeded,
    Wakeup,
)
from keybound.wire.frames import DeviceAddress

log = logging.getLogger(__name__)

ID_BYTES = 16  # upload and blob ids: random, 128 bits, never derived from content
EXPIRE_BATCH = 1000  # rows per expiry transaction, so expiry never stalls the writer
PQ_TOMBSTONE = b"pq:"  # claimed PQ prekeys share claimed_keys (and its expiry), prefixed


def device_key(address: DeviceAddress) -> bytes:
    """The single column value that identifies ``address`` in every table."""
    if len(address.identity_id) > 255:
        raise ValueError("identity id is too long")
    return bytes([len(address.identity_id)]) + address.identity_id + address.device_id


def device_from_key(key: bytes) -> DeviceAddress:
    n = key[0]
    return DeviceAddress(identity_id=bytes(key[1 : 1 + n]), device_id=bytes(key[1 + n :]))


def new_id() -> bytes:
    """A random upload or blob id.

    Random rather than content-derived: a hash of the ciphertext would reveal
    when two uploads are byte-identical, and would let anyone who guesses the
    content probe for it.
    """
    return secrets.token_bytes(ID_BYTES)


def queue_demand(messages: Sequence[QueuedMessage]) -> dict[bytes, tuple[int, int]]:
    """(messages, bytes) to add per recipient key, in first-appearance order."""
    demand: dict[bytes, tuple[int, int]] = {}
    for message in messages:
        key = device_key(message.recipient)
        count, size = demand.get(key, (0, 0))
        demand[key] = (count + 1, size + len(message.payload))
    return demand


def over_cap(limits: Limits, messages: int, size: int) -> bool:
    return messages > limits.max_queue_messages or size > limits.max_queue_bytes


def first_full(
    limits: Limits, order: Iterable[bytes], totals: dict[bytes, tuple[int, int]]
) -> QueueFull | None:
    """The error naming the first recipient (in message order) now over its cap."""
    for key in order:
        count, size = totals[key]
        if over_cap(limits, count, size):
            return QueueFull(device_from_key(key))
    return None


def first_sender_full(
    limits: Limits, order: Iterable[bytes], totals: dict[bytes, tuple[int, int]]
) -> QueueFull | None:
    """The error naming the first recipient (in message order) for which the
    sender's share (``totals``: the sender's new counts per recipient key) is
    now over the per-sender cap."""
    for key in order:
        count, size = totals[key]
        if count > limits.max_sender_messages or size > limits.max_sender_bytes:
            return QueueFull(device_from_key(key), per_sender=True)
    return None


def check_blob_size(limits: Limits, size: int) -> None:
    if size < 0:
        raise InvalidBlobRequest("blob size is negative")
    if size > limits.max_blob_size:
        raise QuotaExceeded("blob is larger than the size limit")


def check_range(offset: int, length: int, total: int) -> None:
    if offset < 0 or length < 0 or offset > total:
        raise InvalidBlobRequest("range is outside the blob")


def counts(left: int, has_fallback: bool) -> KeyCounts:
    return KeyCounts(one_time_keys_left=left, has_fallback_key=has_fallback)


def call_wakeup(wakeup: Wakeup | None, recipients: Iterable[bytes]) -> None:
    """Wake each recipient once; a failing callback is logged, never raised into
    the write that already committed."""
    if wakeup is None:
        return
    for key in dict.fromkeys(recipients):
        try:
            wakeup(device_from_key(key))
        except Exception:
            log.exception("wakeup callback failed")


@dataclass(frozen=True)
class ChainTokens:
    """What the token index records about appended documents.

    ``head``: the token ids the last document lists (documents carry full
    sets, so this is the identity's current token set); ``signers``: the
    token ids that signed one of the documents, which proves the identity's
    keeper holds that token (listing a token needs no signature of its own).
    """

    head: tuple[bytes, ...]
    signers: frozenset[bytes]


def chain_tokens(documents: Sequence[bytes]) -> ChainTokens:
    """The tokens of appended ``documents`` (their last one is the new head).

    The storage holds documents the server verified, so they decode; a
    document that does not (only in storage tests, which store opaque
    bytes) lists no tokens and proves no signer.
    """
    decoded = [_decoded(d) for d in documents]
    last = decoded[-1] if decoded else None
    return ChainTokens(
        head=tuple(t.token_id for t in last.body.tokens) if last is not None else (),
        signers=frozenset(d.signer for d in decoded if d is not None),
    )


def _decoded(data: bytes) -> SignedDocument | None:
    try:
        return decode_document(data)
    except (MalformedData, IdentityError):
        return None
