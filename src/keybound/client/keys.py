"""One-time keys: keep the relay stocked, and turn claimed keys into sessions.

Every new Olm session a contact opens with us uses up one of our one-time
keys on the relay (the fallback key stands in when they run out, but it is
reused, so weaker).  After each authentication the relay reports how many
are left; we top up to the account's target.  Keys generated but not
confirmed published are offered again next time, so a lost reply costs
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from keybound.protocol.devices import DeviceKeys, KeyUpload
from keybound.protocol.devices import SignedKey as ProtocolKey
from keybound.protocol.pq.prekeys import SignedPqKey as ProtocolPqKey
from keybound.wire import frames as f

Address = tuple[bytes, bytes]


def to_wire(upload: KeyUpload) -> tuple[list[f.SignedKey], f.SignedKey | None]:
    """Split an upload into the relay's one-time keys and fallback key."""
    one_time = [
        f.SignedKey(k.key_id.encode(), k.key, k.signature) for k in upload.keys if not k.fallback
    ]
    fallbacks = [
        f.SignedKey(k.key_id.encode(), k.key, k.signature) for k in upload.keys if k.fallback
    ]
    return one_time, (fallbacks[-1] if fallbacks else None)


def pair_claimed(
    wanted: Sequence[DeviceKeys], claimed: Sequence[f.ClaimedKey]
) -> tuple[list[tuple[DeviceKeys, ProtocolKey]], set[tuple[bytes, bytes]]]:
    """Match the relay's keys to the devices we asked for; the devices left without one."""
    by_address = {(d.identity_id, d.device_id): d for d in wanted}
    pairs = []
    for item in claimed:
        device = by_address.get((item.device.identity_id, item.device.device_id))
        if device is None:
            continue
        try:
            key_id = item.key.key_id.decode()
        except UnicodeDecodeError:
            continue
        pairs.append((device, ProtocolKey(key_id, item.key.key, item.fallback, item.key.signature)))
    missing = set(by_address) - {(d.identity_id, d.device_id) for d, _ in pairs}
    return pairs, missing


def addresses(devices: Sequence[DeviceKeys]) -> list[f.DeviceAddress]:
    return [f.DeviceAddress(d.identity_id, d.device_id) for d in devices]


def pq_to_wire(
    keys: Sequence[ProtocolPqKey],
) -> tuple[list[f.SignedPqKey], f.SignedPqKey | None]:
    """Split PQ prekeys into the relay's one-time keys and last-resort key."""

    def wire(k: ProtocolPqKey) -> f.SignedPqKey:
        return f.SignedPqKey(k.key_id.encode(), k.key, k.signature)

    last = [wire(k) for k in keys if k.last_resort]
    return [wire(k) for k in keys if not k.last_resort], (last[-1] if last else None)


def pair_claimed_pq(
    wanted: Sequence[DeviceKeys], claimed: Sequence[f.ClaimedPqKey]
) -> dict[Address, ProtocolPqKey]:
    """The relay's PQ prekeys by device (signatures are checked when a session starts)."""
    asked = {(d.identity_id, d.device_id) for d in wanted}
    out = {}
    for item in claimed:
        address = (item.device.identity_id, item.device.device_id)
        if address not in asked:
            continue
        try:
            key_id = item.key.key_id.decode()
        except UnicodeDecodeError:
            continue
        out[address] = ProtocolPqKey(key_id, item.key.key, item.last_resort, item.key.signature)
    return out
