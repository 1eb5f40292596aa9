"""A spec-conformant virtual card (OpenPGP Card 3.4 and FIDO2 CTAP 2.1 applets).

For tests and demos only: its keys live in a plain state file, so it is never
a way to hold a real identity. Its OpenPGP AID carries manufacturer 0xFFFF,
which the OpenPGP card spec reserves for test cards.
"""

from __future__ import annotations

import enum
from pathlib import Path

from .card import VirtualCard, load_state
from .presence import UserPresence


class SimKind(enum.StrEnum):
    OPENPGP = "openpgp"
    FIDO2 = "fido2"
    BOTH = "both"


def build_card(kind: SimKind | str, state_file: Path | None = None) -> VirtualCard:
    """A card with the applets of ``kind``, restored from ``state_file`` if it exists."""
    from .card import Applet
    from .fido2_applet import Fido2Applet
    from .openpgp_applet import OpenPgpApplet

    kind = SimKind(kind)
    state = load_state(state_file) if state_file is not None else {}
    presence = UserPresence()
    applets: list[Applet] = []
    if kind in (SimKind.OPENPGP, SimKind.BOTH):
        applets.append(OpenPgpApplet(state.get("OpenPgpApplet"), presence))
    if kind in (SimKind.FIDO2, SimKind.BOTH):
        applets.append(Fido2Applet(state.get("Fido2Applet"), presence))
    card = VirtualCard(applets, presence, state_file)
    card.save()
    return card


__all__ = ["SimKind", "UserPresence", "VirtualCard", "build_card"]
