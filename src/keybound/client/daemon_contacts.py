"""The daemon socket's contact operations beyond add/list/verify (``keybound contact ...``):
verify by a scanned safety code, block and unblock, rename, and a contact's keys.

Kept beside ``daemon`` (which registers them by importing this module); they
only translate JSON to the ``Messenger`` methods.  A safety code travels as
base64 (the CLI reads it from a picture with ``client.qr_codes``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from keybound.client.daemon import Service, _op, _str
from keybound.client.daemon_json import Json, contact_json
from keybound.errors import InvalidSafetyCode, UserFacingError


@_op("contact.verify_code")
async def _verify_code(s: Service, args: dict[str, Any]) -> Json:
    contact = await s.m.contact(_str(args, "name"))
    try:
        code = base64.b64decode(_str(args, "code"), validate=True)
    except binascii.Error:
        raise InvalidSafetyCode() from None
    return contact_json(await s.m.verify_by_code(contact.identity_id, code))


@_op("contact.block")
async def _block(s: Service, args: dict[str, Any]) -> Json:
    contact = await s.m.contact(_str(args, "name"))
    return contact_json(await s.m.block(contact.identity_id, bool(args.get("blocked", True))))


@_op("contact.rename")
async def _rename(s: Service, args: dict[str, Any]) -> Json:
    contact = await s.m.contact(_str(args, "name"))
    new_name = _str(args, "new_name").strip()
    if not new_name:
        raise UserFacingError("A contact needs a name that is not empty.")
    return contact_json(await s.m.rename_contact(contact.identity_id, new_name))


@_op("contact.tokens")
async def _tokens(s: Service, args: dict[str, Any]) -> Json:
    contact = await s.m.contact(_str(args, "name"))
    return [
        {"token_id": t.token_id.hex(), "kind": t.kind, "added_at": t.added_at}
        for t in await s.m.contact_tokens(contact.identity_id)
    ]
