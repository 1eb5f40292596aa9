"""CTAP status codes for the virtual FIDO2 authenticator, and the exception that carries one.

The codes are python-fido2's ``CtapError.ERR`` (the spec's table), so the
simulator and the client side can never disagree on a number.
"""

from __future__ import annotations

from fido2.ctap import CtapError

ERR = CtapError.ERR


class CtapFailure(Exception):
    """A command ends with this CTAP status byte (raised inside the simulator only)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"CTAP status 0x{code:02X}")
        self.code = code
