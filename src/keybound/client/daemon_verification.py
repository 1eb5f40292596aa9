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

from keybound.client import events as ev
from keybound.client.daemon import Json, Names, Service, _hex_id, _op, _str, contact_json
from keybound.client.values import IdentityAlert

EVENTS = (
    ev.VerificationRequested, ev.VerificationCodes, ev.VerificationDone, ev.IdentityAlertChanged,
)  # fmt: skip


def alert_json(alert: IdentityAlert | None) -> Json:
    if alert is None:
        return None
    return {"kind": alert.kind, "at": alert.at, "detail": alert.detail, "held": alert.held}


def event_json(event: ev.Event, names: Names) -> Json | None:
    if isinstance(event, ev.VerificationRequested):
        return {
            "type": "verification_requested", "tx": event.tx.hex(),
            "identity_id": event.identity_id.hex(), "name": names.person(event.identity_id),
            "device_id": event.device_id.hex(), "accepted": event.accepted,
        }  # fmt: skip
    if isinstance(event, ev.VerificationCodes):
        return {
            "type": "verification_codes", "tx": event.tx.hex(),
            "identity_id": event.identity_id.hex(),
            "emoji": [[e, name] for e, name in event.emoji], "decimals": list(event.decimals),
        }  # fmt: skip
    if isinstance(event, ev.VerificationDone):
        return {
            "type": "verification_done", "tx": event.tx.hex(),
            "identity_id": event.identity_id.hex(), "outcome": event.outcome,
            "reason": event.reason,
        }  # fmt: skip
    if isinstance(event, ev.IdentityAlertChanged):
        return {
            "type": "identity_alert", "identity_id": event.identity_id.hex(),
            "name": names.person(event.identity_id), "alert": alert_json(event.alert),
        }  # fmt: skip
    return None


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
