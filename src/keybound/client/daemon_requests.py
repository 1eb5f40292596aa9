"""The daemon socket's message-request operations (``keybound requests ...``).

Kept beside ``daemon`` (which registers them by importing this module) so
that file does not grow; the operations only translate JSON to the
``Messenger`` methods of ``client.requests``.
"""

from __future__ import annotations

from typing import Any

from keybound.client.daemon import Service, _op, _str
from keybound.client.daemon_json import Json, contact_json
from keybound.client.requests import RequestInfo


def request_json(r: RequestInfo) -> Json:
    return {
        "identity_id": r.identity_id.hex(),
        "conversation_id": r.conversation_id.hex(),
        "messages": r.messages,
        "first_at": r.first_at,
        "last_at": r.last_at,
        "preview": r.preview,
        "safety_number": r.safety_number,
    }


@_op("requests.list")
async def _list(s: Service, args: dict[str, Any]) -> Json:
    return {
        "requests": [request_json(r) for r in await s.m.message_requests()],
        "junk_dropped": await s.m.junk_dropped(),
    }


@_op("requests.accept")
async def _accept(s: Service, args: dict[str, Any]) -> Json:
    return contact_json(await s.m.accept_request(_str(args, "id"), _str(args, "name")))


@_op("requests.block")
async def _block(s: Service, args: dict[str, Any]) -> Json:
    return {"identity_id": (await s.m.block_request(_str(args, "id"))).hex(), "blocked": True}


@_op("requests.delete")
async def _delete(s: Service, args: dict[str, Any]) -> Json:
    return {"identity_id": (await s.m.delete_request(_str(args, "id"))).hex(), "deleted": True}
