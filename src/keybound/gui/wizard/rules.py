"""PIN rules the wizard checks before it sends anything to the token (pure logic).

The token enforces its own minimums too; checking here lets the page say
what is wrong next to the field instead of after a round trip.
"""

from __future__ import annotations

from keybound.gui.i18n import translate
from keybound.token.base import TokenKind

MIN_PIN = {TokenKind.OPENPGP: 6, TokenKind.FIDO2: 4}
MIN_ADMIN_PIN = 8
MAX_PIN = 63


def rules_text(kind: TokenKind) -> str:
    if kind is TokenKind.OPENPGP:
        return translate(
            "PinRules",
            "The PIN needs at least 6 characters and the admin PIN at least 8. You type the "
            "PIN to unlock Keybound; the admin PIN is only for managing the card. After 3 wrong "
            "tries a PIN is blocked.",
        )
    return translate(
        "PinRules", "The PIN needs at least 4 characters. After 8 wrong tries the key is blocked."
    )


def pin_problem(pin: str, again: str, minimum: int, what: str) -> str:
    """One sentence about what is wrong with a new PIN, or "" when it is fine."""
    if len(pin) < minimum:
        return translate("PinRules", "The {what} needs at least {n} characters.").format(
            what=what, n=minimum
        )
    if len(pin.encode("utf-8")) > MAX_PIN:
        return translate("PinRules", "The {what} is too long.").format(what=what)
    if pin != again:
        return translate("PinRules", "The two entries of the {what} differ. Type it again.").format(
            what=what
        )
    return ""
