"""The six vpcd readers that multi-person tests use (scripts/pcscd-start sets up 2-5)."""

from __future__ import annotations

import pytest

from keybound.token.base import TokenKind
from keybound.token.worker import TokenWorker
from tests.conftest import CardFactory, probe_reader

pytestmark = pytest.mark.integration


def test_each_of_six_slots_holds_its_own_card(
    virtual_card: CardFactory, token_worker: TokenWorker
) -> None:
    cards = [virtual_card("openpgp", slot=slot) for slot in range(6)]
    serials = [token_worker.call(probe_reader, card.reader, "openpgp").serial for card in cards]
    assert len(set(serials)) == 6
    assert all(
        token_worker.call(probe_reader, c.reader, "openpgp").kind == TokenKind.OPENPGP
        for c in cards
    )
