"""One relay process and one token thread per test module (see tests/gui/chat_people.py)."""

from __future__ import annotations

from tests.gui.chat_people import chat_relay

__all__ = ["chat_relay"]
