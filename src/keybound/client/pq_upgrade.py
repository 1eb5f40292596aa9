"""A device made before the post-quantum layer states it in its certificate (post-quantum.md).

Once such a device has published its first ML-KEM prekeys, its certificate
is re-signed by the device with ``pq`` set and listed in the next identity
document, which a token of the identity signs (the one step that needs the
token).  Contacts then refuse plain Olm to and from it, like any new device.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from keybound.client.core import Core
from keybound.identity.document import (
    PQ_HYBRID_V1,
    SignedDocument,
    TokenEntry,
    UnsignedDocument,
    build_next,
    certify_device,
)


@dataclass(frozen=True)
class Upgrade:
    """The next document of our chain, with this device's certificate stating the layer."""

    documents: tuple[SignedDocument, ...]
    unsigned: UnsignedDocument
    signers: tuple[TokenEntry, ...]


def plan(core: Core, now_s: int) -> Upgrade | None:
    """Database thread: None when the head already states the layer for this device."""
    docs = core.book.documents(core.own_id)
    if not docs:
        return None
    head = docs[-1]
    mine = next((d for d in head.body.devices if d.device_id == core.device_id), None)
    if mine is None or mine.pq >= PQ_HYBRID_V1:
        return None
    root = docs[0].body.tokens[0].token_id
    cert = certify_device(root, replace(mine, pq=PQ_HYBRID_V1, signature=b""), core.machine.sign)
    devices = [cert if d.device_id == core.device_id else d for d in head.body.devices]
    return Upgrade(tuple(docs), build_next(head, now_s, devices=devices), head.body.tokens)
