"""One error hierarchy for Keybound.

Every failure a person can meet is a :class:`UserFacingError` whose ``str()``
is a sentence written for that person: the GUI and the CLI show it as it is.
Messages never contain a PIN, key, passphrase or message text.
Everything else (:class:`InternalError`) is a bug and is reported as one.
"""

from __future__ import annotations


class KeyboundError(Exception):
    """Root of every error Keybound raises on purpose."""


class InternalError(KeyboundError):
    """A bug or an impossible state; not something the person can fix."""


class UserFacingError(KeyboundError):
    """An error whose message is shown to the person as it is."""


# --- data formats (wire, identity, protocol) ---------------------------------


class MalformedData(UserFacingError):
    """Bytes from outside (a frame, a document, a file) are not what they claim.

    The message names the field, never its content.
    """

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"Received data is malformed: {detail}.")


# --- profile -----------------------------------------------------------------


class ProfileError(UserFacingError):
    """The profile directory cannot be used."""


# --- tokens ------------------------------------------------------------------


class TokenError(UserFacingError):
    """Something went wrong with a security key or smartcard."""


class TokenNotFound(TokenError):
    """No matching token is present."""


class TokenRemoved(TokenError):
    """The token was pulled out (or the reader vanished) during an operation."""

    def __init__(
        self, message: str = "The security key was removed. Plug it back in and try again."
    ) -> None:
        super().__init__(message)


class WrongPin(TokenError):
    """The PIN was wrong; the token counted the attempt."""

    def __init__(self, retries_left: int | None, what: str = "PIN") -> None:
        self.retries_left = retries_left
        if retries_left is None:
            msg = f"Wrong {what}."
        elif retries_left == 1:
            msg = f"Wrong {what}. 1 attempt left before the {what} is blocked."
        else:
            msg = f"Wrong {what}. {retries_left} attempts left."
        super().__init__(msg)


class PinBlocked(TokenError):
    """Too many wrong PINs: the token refuses the PIN until it is unblocked or reset."""

    def __init__(self, what: str = "PIN") -> None:
        super().__init__(
            f"The {what} is blocked after too many wrong attempts. "
            "Unblock it with the admin PIN or reset code, or reset the token."
        )


class PinRequired(TokenError):
    """The operation needs a PIN and none was given."""


class PinPolicyError(TokenError):
    """The new PIN does not meet the token's rules (length, characters)."""


class SecurityStatusNotSatisfied(TokenError):
    """The token refused because the right PIN was not verified first."""

    def __init__(self) -> None:
        super().__init__("The token needs its PIN to be verified for this operation.")


class NoKeysOnToken(TokenError):
    """The token has no Keybound keys yet (run `keybound token init`)."""


class TokenNotBlank(TokenError):
    """Creating keys would overwrite keys already on the token."""


class WrongToken(TokenError):
    """A token is present, but it is not the one this operation needs."""


class UnsupportedToken(TokenError):
    """The token lacks a feature Keybound needs."""


class TouchTimeout(TokenError):
    """Nobody touched the token in time."""

    def __init__(self) -> None:
        super().__init__("The security key was not touched in time.")


class TouchDenied(TokenError):
    """The person declined the request on the token."""

    def __init__(self) -> None:
        super().__init__("The request was declined on the security key.")


class OperationCancelled(TokenError):
    """The operation was cancelled before it finished."""

    def __init__(self) -> None:
        super().__init__("Cancelled.")


class TokenCommunicationError(TokenError):
    """The token answered something we could not understand, or not at all."""


class PcscUnavailable(TokenError):
    """The smartcard service (pcscd) is not running."""

    def __init__(self) -> None:
        super().__init__(
            "The smartcard service (pcscd) is not running. "
            "Start it, e.g. `sudo systemctl start pcscd`."
        )


class BadSignature(UserFacingError):
    """A signature did not verify."""


# --- vault and history store (keybound.store) ----------------------------------


# --- identity (keybound.identity) ------------------------------------------------


# --- end-to-end encryption (keybound.protocol) -----------------------------------
