"""The conversation list paints its first page first, then loads the rest; the unread
total for the tray and title is the whole list's from the first paint on."""

from __future__ import annotations

import time

from keybound.gui.models.conversations import FIRST_PAGE, ConversationListModel
from tests.gui.chat_people import ChatRelay, bulk_conversations, people
from tests.gui.conftest import Runner, until


def test_first_page_then_the_whole_list_with_the_right_unread_total(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "first-page") as p:
            now = int(time.time() * 1000)
            await bulk_conversations(p.alice.m, p.bob.m.identity_id, FIRST_PAGE + 10, now)
            whole = await p.alice.m.conversation_rows()
            total = sum(r.summary.unread_count for r in whole)
            assert len(whole) > FIRST_PAGE and total >= FIRST_PAGE + 10
            assert await p.alice.m.unread_total() == total

            model = ConversationListModel(p.a_bridge)
            resets: list[tuple[list[str], bool, int]] = []
            model.modelReset.connect(
                lambda: resets.append(
                    ([r.title for r in model.rows], model.complete, model.total_unread())
                )
            )
            totals: list[int] = []
            model.unread_changed.connect(totals.append)
            loaded: list[bool] = []
            model.loaded.connect(lambda: loaded.append(model.complete))
            model.reload()
            await until(lambda: bool(loaded))

            titles = [r.title for r in whole]
            first, last = resets[0], resets[-1]
            assert first == (titles[:FIRST_PAGE], False, total)  # painted first, total right
            assert last == (titles, True, total)
            assert len(resets) == 2 and loaded == [True]
            assert totals == [total]  # the tray never saw a partial count

    arun(flow(), timeout=120)
