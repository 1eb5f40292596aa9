"""The presence monitor notices insertion and removal within a second (real pcscd)."""

from __future__ import annotations

import threading
import time

import pytest

from keybound.token.base import Transport
from keybound.token.monitor import PresenceEvent, TokenMonitor
from tests.conftest import CardFactory, wait_for

pytestmark = pytest.mark.integration


def test_insert_and_remove_are_reported_within_a_second(virtual_card: CardFactory) -> None:
    events: list[tuple[float, PresenceEvent]] = []
    changed = threading.Event()

    def listener(event: PresenceEvent) -> None:
        events.append((time.monotonic(), event))
        changed.set()

    card = virtual_card("openpgp", slot=1)
    monitor = TokenMonitor(listener, watch_hid=False).start()
    try:
        assert card.reader in monitor.present_readers()
        changed.clear()
        pulled = time.monotonic()
        card.link.remove()
        assert changed.wait(1.0), "no removal event within 1 s"
        when, event = events[-1]
        assert event == PresenceEvent(Transport.PCSC, card.reader, present=False)
        assert when - pulled < 1.0

        changed.clear()
        pushed = time.monotonic()
        card.link.insert()
        assert changed.wait(1.0), "no insertion event within 1 s"
        when, event = events[-1]
        assert event == PresenceEvent(Transport.PCSC, card.reader, present=True)
        assert when - pushed < 1.0
    finally:
        monitor.stop()


def test_a_failing_listener_does_not_stop_the_monitor(virtual_card: CardFactory) -> None:
    seen: list[PresenceEvent] = []

    def listener(event: PresenceEvent) -> None:
        seen.append(event)
        raise RuntimeError("listener bug")

    card = virtual_card("openpgp", slot=1)
    monitor = TokenMonitor(listener, watch_hid=False).start()
    try:
        card.remove()  # waits until pcscd has seen the card go
        card.insert()
        wait_for(lambda: len([e for e in seen if e.reader == card.reader]) >= 2, timeout=3)
        assert [e.present for e in seen if e.reader == card.reader][-2:] == [False, True]
    finally:
        monitor.stop()
