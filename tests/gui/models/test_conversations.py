"""The conversation list moves one row to its place per change, under Qt's model tester."""

from __future__ import annotations

from typing import Any

from keybound.client.chatview import ConversationRow
from keybound.client.values import Conversation, ConversationKind, ConversationSummary
from keybound.gui.bridge import Bridge
from keybound.gui.models.conversations import ConversationFilter, ConversationListModel


def row(n: int, title: str, activity: int, unread: int = 0) -> ConversationRow:
    conv = Conversation(bytes([n]) * 16, ConversationKind.DIRECT, 0)
    return ConversationRow(ConversationSummary(conv, None, unread, activity), title, False)


def test_rows_move_to_their_place_and_filter(qtmodeltester: Any) -> None:
    model = ConversationListModel(Bridge())
    proxy = ConversationFilter(model)
    qtmodeltester.check(model)
    qtmodeltester.check(proxy)
    totals: list[int] = []
    model.unread_changed.connect(totals.append)
    for r in (row(1, "Alice", 30), row(2, "Bob", 20), row(3, "Carol", 10)):
        model.place(r.conversation_id, r)
    assert [r.title for r in model.rows] == ["Alice", "Bob", "Carol"]
    model.place(bytes([3]) * 16, row(3, "Carol", 40, unread=2))  # bottom to top
    model.place(bytes([1]) * 16, row(1, "Alice", 5, unread=1))  # top to bottom
    assert [r.title for r in model.rows] == ["Carol", "Bob", "Alice"]
    assert totals == [0, 2, 3] and model.total_unread() == 3
    proxy.set_text("o")
    assert sorted(proxy.index(i, 0).data() for i in range(proxy.rowCount())) == ["Bob", "Carol"]
    proxy.set_text("CAR")
    assert proxy.rowCount() == 1
    model.place(bytes([2]) * 16, None)
    assert [r.title for r in model.rows] == ["Carol", "Alice"]
