"""When each of our devices was last seen: the newest message it sent that reached us.

There is no presence protocol (the relay would learn who is online when), so
"last seen" is what this installation's history says: the send time of the
latest message from that device (our devices copy each other what they send).
"""

from __future__ import annotations

from keybound.client.core import Core


def last_seen(core: Core) -> dict[bytes, int]:
    """Device ID -> ms of its newest message here (devices that sent nothing are absent)."""
    rows = core.repo.db.query(
        "SELECT sender_device, MAX(sent_at) FROM messages WHERE sender_identity = ? "
        "GROUP BY sender_device",
        (core.own_id,),
    )
    return {bytes(device): int(at) for device, at in rows}
