"""The daemon socket's key operations (``keybound token add/remove/keys``,
``keybound recovery replace``).

Kept beside ``daemon`` (which registers them by importing this module) so that
file does not grow; the operations only translate JSON to the ``Messenger``
methods of ``client.token_admin``.  A running Keybound asks the PINs on its
own PIN source (its terminal, its --pin-fd, or the app's dialog).
"""

from __future__ import annotations

from typing import Any

from keybound.client.daemon import Service, _op, _str
from keybound.client.daemon_json import Json
from keybound.client.token_admin import IdentityToken, SpareTokens
from keybound.errors import UserFacingError
from keybound.token.base import TokenKind


def token_json(t: IdentityToken) -> Json:
    return {
        "token_id": t.token_id.hex(),
        "kind": str(t.kind),
        "label": t.label,
        "added_at": t.added,
        "in_identity": t.in_identity,
        "in_vault": t.in_vault,
        "present": t.present,
    }


async def _token(s: Service, text: str) -> IdentityToken:
    prefix = text.lower()
    found = [t for t in await s.m.tokens() if t.token_id.hex().startswith(prefix)]
    if not prefix or len(found) != 1:
        raise UserFacingError(
            f"No single key of yours has an ID starting with {text!r} (see `keybound token keys`)."
        )
    return found[0]


def _optional(args: dict[str, Any], key: str) -> str | None:
    value = args.get(key)
    if value is not None and not isinstance(value, str):
        raise UserFacingError(f"{key} must be text.")
    return value


@_op("tokens")
async def _tokens(s: Service, args: dict[str, Any]) -> Json:
    return [token_json(t) for t in await s.m.tokens()]


@_op("token.add")
async def _add(s: Service, args: dict[str, Any]) -> Json:
    kind = _optional(args, "kind")
    spare = SpareTokens(
        kind=TokenKind(kind) if kind else None,
        serial=_optional(args, "serial"),
        reader=_optional(args, "reader"),
    )
    added = await s.m.add_token(spare)
    return next(token_json(t) for t in await s.m.tokens() if t.token_id == added)


@_op("token.remove")
async def _remove(s: Service, args: dict[str, Any]) -> Json:
    token = await _token(s, _str(args, "token"))
    await s.m.remove_token(token.token_id)
    return token_json(token)


@_op("recovery.new")
async def _recovery_new(s: Service, args: dict[str, Any]) -> Json:
    return {"code": await s.m.new_recovery_code()}


@_op("recovery.confirm")
async def _recovery_confirm(s: Service, args: dict[str, Any]) -> Json:
    await s.m.confirm_recovery_code(_str(args, "code"))
    return {"replaced": True}
