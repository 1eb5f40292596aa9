"""The one place where CTAP and transport failures become Keybound errors."""

from __future__ import annotations

from collections.abc import Callable

from fido2.ctap import CtapError

from ..errors import (
    KeyboundError,
    OperationCancelled,
    PinBlocked,
    PinPolicyError,
    PinRequired,
    TokenCommunicationError,
    TokenError,
    TokenNotBlank,
    TokenRemoved,
    TouchDenied,
    TouchTimeout,
    UnsupportedToken,
    WrongPin,
    WrongToken,
)

ERR = CtapError.ERR

_PIN_AUTH_BLOCKED_MESSAGE = (
    "Too many wrong PINs in a row. Remove the security key, plug it back in, and try again."
)


def map_error(exc: BaseException, retries: Callable[[], int | None] = lambda: None) -> Exception:
    """The one place where CTAP and transport failures become Keybound errors.

    ``retries`` is asked only for a wrong PIN, to report the attempts left.
    """
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:  # python-fido2 may wrap the real cause
        seen.add(id(cur))
        if isinstance(cur, KeyboundError):
            return cur
        if isinstance(cur, CtapError):
            return _map_ctap(cur.code, retries)
        cur = cur.__cause__ or cur.__context__
    if isinstance(exc, OSError):
        return TokenRemoved()
    return TokenCommunicationError(
        "The security key answered something Keybound cannot understand."
    )


def _map_ctap(code: int, retries: Callable[[], int | None]) -> Exception:
    if code == ERR.PIN_INVALID:
        return WrongPin(retries())
    if code == ERR.PIN_BLOCKED:
        return PinBlocked()
    if code == ERR.PIN_AUTH_BLOCKED:
        return TokenError(_PIN_AUTH_BLOCKED_MESSAGE)
    if code == ERR.OPERATION_DENIED:
        return TouchDenied()
    if code in (ERR.USER_ACTION_TIMEOUT, ERR.ACTION_TIMEOUT):
        return TouchTimeout()
    if code == ERR.KEEPALIVE_CANCEL:
        return OperationCancelled()
    if code == ERR.NO_CREDENTIALS:
        return WrongToken("This security key does not hold the Keybound credential.")
    if code == ERR.PUAT_REQUIRED:  # 0x36, called PIN_REQUIRED in CTAP 2.0
        return PinRequired("The security key needs its PIN for this.")
    if code == ERR.PIN_NOT_SET:
        return PinRequired("The security key has no PIN yet; set one first.")
    if code == ERR.PIN_POLICY_VIOLATION:
        return PinPolicyError("The security key does not accept this PIN (at least 4 characters).")
    if code == ERR.UNSUPPORTED_ALGORITHM:
        return UnsupportedToken("The security key supports neither Ed25519 nor P-256 keys.")
    if code == ERR.CREDENTIAL_EXCLUDED:
        return TokenNotBlank("The security key already holds this credential.")
    if code == ERR.KEY_STORE_FULL:
        return TokenError("The security key has no room for another credential.")
    name = getattr(CtapError.ERR, "_value2member_map_", {}).get(code)
    label = name.name if name is not None else f"0x{code:02X}"
    return TokenCommunicationError(f"The security key refused the request ({label}).")
