"""OpenPGP card backend (spec 3.x): Ed25519 signing, X25519 unlock, over APDUs."""

from __future__ import annotations

from .card import OpenPgpToken, probe

__all__ = ["OpenPgpToken", "probe"]
