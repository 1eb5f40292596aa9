"""The daemon socket's emoji-verification and identity-change operations.

``keybound contact verify NAME --sas`` drives these (directly, or through the
running ``keybound listen``): ``verify.start`` / ``verify.requests`` /
``verify.accept`` / ``verify.confirm`` / ``verify.mismatch`` / ``verify.cancel``,
``identity.alert`` and ``identity.accept``; the flow's events come as
``verification_*`` lines of the ``events`` stream.  Kept beside ``daemon``
(which registers them by importing this module) so that file does not grow.
"""

from __future__ import annotations

from typing import Any

from keybound.client.daemon import Service, _hex_id, _op, _str
from keybound.client.daemon_json import Json, alert_json, contact_json


def _tx(args: dict[str, Any]) -> bytes:
    return _hex_id(_str(args, "tx"), "verification ID")


@_op("verify.start")
async def _start(s: Service, args: dict[str, Any]) -> Json:
    contact = await s.m.contact(_str(args, "name"))
    tx = await s.m.start_verification(contact.identity_id)
    return {"tx": tx.hex(), "identity_id": contact.identity_id.hex()}


@_op("verify.requests")
async def _requests(s: Service, args: dict[str, Any]) -> Json:
    return [
        {"tx": r.tx.hex(), "identity_id": r.identity_id.hex(), "device_id": r.device_id.hex(),
         "at": r.at}
        for r in await s.m.verification_requests()
    ]  # fmt: skip


@_op("verify.accept")
async def _accept(s: Service, args: dict[str, Any]) -> Json:
    await s.m.accept_verification(_tx(args))
    return {"tx": _str(args, "tx")}


@_op("verify.confirm")
async def _confirm(s: Service, args: dict[str, Any]) -> Json:
    await s.m.confirm_verification(_tx(args))
    return {"tx": _str(args, "tx")}


@_op("verify.mismatch")
async def _mismatch(s: Service, args: dict[str, Any]) -> Json:
    await s.m.mismatch_verification(_tx(args))
    return {"tx": _str(args, "tx")}


@_op("verify.cancel")
async def _cancel(s: Service, args: dict[str, Any]) -> Json:
    await s.m.cancel_verification(_tx(args))
    return {"tx": _str(args, "tx")}


@_op("identity.alert")
async def _alert(s: Service, args: dict[str, Any]) -> Json:
    contact = await s.m.contact(_str(args, "name"))
    return alert_json(await s.m.identity_alert(contact.identity_id))


@_op("identity.accept")
async def _accept_change(s: Service, args: dict[str, Any]) -> Json:
    contact = await s.m.contact(_str(args, "name"))
    return contact_json(await s.m.accept_identity_change(contact.identity_id))
