"""Attach a virtual card in-process: an ``ApduTransport`` that calls it directly."""

from __future__ import annotations

from ...errors import TokenRemoved
from .card import VirtualCard


class InProcessTransport:
    """Direct APDU calls into a ``VirtualCard``; ``remove()`` simulates pulling it out."""

    def __init__(self, card: VirtualCard, name: str = "in-process virtual card") -> None:
        self._card = card
        self._name = name
        self.removed = False
        card.power_on()

    @property
    def name(self) -> str:
        return self._name

    @property
    def atr(self) -> bytes:
        return self._card.atr

    def transmit(self, apdu: bytes) -> bytes:
        if self.removed:
            raise TokenRemoved()
        return self._card.transmit(apdu)

    def remove(self) -> None:
        self.removed = True
        self._card.power_off()

    def close(self) -> None:
        return None
