"""Card status words to Keybound errors, in one place.

Callers say what a status means where it is ambiguous (``missing``: absent
data is "no keys yet" for a key operation but a bad card elsewhere;
``wrong_data``: 6A80 on a PIN change is a PIN policy refusal).
"""

from __future__ import annotations

from ...errors import (
    PinBlocked,
    SecurityStatusNotSatisfied,
    TokenCommunicationError,
    TokenError,
    UnsupportedToken,
    WrongPin,
)
from ..apdu import ResponseApdu
from .spec import Sw


def error_from_sw(
    sw: int,
    operation: str,
    *,
    what: str = "PIN",
    missing: TokenError | None = None,
    wrong_data: TokenError | None = None,
) -> TokenError:
    """The error for a non-9000 status word; ``operation`` names the step for people."""
    if sw & 0xFFF0 == 0x63C0:
        retries = sw & 0x0F
        return PinBlocked(what) if retries == 0 else WrongPin(retries, what)
    if sw == Sw.AUTH_BLOCKED:
        return PinBlocked(what)
    if sw == Sw.SECURITY_STATUS:
        return SecurityStatusNotSatisfied()
    if sw in (Sw.DATA_NOT_FOUND, Sw.FILE_NOT_FOUND):
        if missing is not None:
            return missing
        return TokenCommunicationError(f"The OpenPGP card has no data for {operation}.")
    if sw == Sw.WRONG_DATA and wrong_data is not None:
        return wrong_data
    if sw == Sw.TERMINATED:
        return TokenCommunicationError(
            "The OpenPGP application on this card was reset and is not active yet."
        )
    if sw in (Sw.INS_NOT_SUPPORTED, Sw.WRONG_P1P2, Sw.CLA_NOT_SUPPORTED):
        return UnsupportedToken(f"This OpenPGP card does not support {operation}.")
    if sw == Sw.CONDITIONS:
        return TokenCommunicationError(
            f"The OpenPGP card refused {operation}: its conditions of use are not met."
        )
    if sw == Sw.WRONG_DATA:
        return TokenCommunicationError(f"The OpenPGP card rejected the data for {operation}.")
    return TokenCommunicationError(
        f"The OpenPGP card answered {operation} with an unexpected status ({sw:04X})."
    )


def check(
    response: ResponseApdu,
    operation: str,
    *,
    what: str = "PIN",
    missing: TokenError | None = None,
    wrong_data: TokenError | None = None,
) -> bytes:
    """The response data, or the error its status word means."""
    if response.sw == Sw.OK:
        return response.data
    raise error_from_sw(response.sw, operation, what=what, missing=missing, wrong_data=wrong_data)
