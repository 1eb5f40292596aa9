"""The timeline model stays a bounded window while a long history scrolls by, keeps
the row under the eyes in place as pages come and go, and passes Qt's model tester;
the conversation list and search models too."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint

from keybound.gui.models import roles
from keybound.gui.models.search import SearchModel
from keybound.gui.views.chat import ChatPane
from keybound.gui.views.delegate import Hit
from tests.gui.chat_people import ChatRelay, Pair, bulk_history, people
from tests.gui.conftest import Runner, until

HISTORY = 2000
START = 1_500_000_000_000  # ms: an old history


def test_window_bounded_and_steady_through_a_long_history(
    chat_relay: ChatRelay, arun: Runner, qtmodeltester: Any
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "window") as p:
            await scroll(p)

    async def scroll(p: Pair) -> None:
        ids = await bulk_history(
            p.bob.m, p.b_conv, p.alice.m.identity_id, HISTORY, start_ms=1_500_000_000_000
        )
        read_upto = ids[-10]
        await p.bob.m.mark_read(p.b_conv, read_upto)
        pane = ChatPane(p.b_bridge)
        pane.resize(800, 600)
        pane.show()
        model, view = pane.timeline, pane.view
        qtmodeltester.check(model)  # stays attached: every insert and removal is checked
        qtmodeltester.check(pane.conversations)
        qtmodeltester.check(pane.list.proxy)
        await until(lambda: pane.conversations.row_of(p.b_conv) >= 0)
        pane.open_conversation(p.b_conv)
        await until(lambda: model.rowCount() > 0 and not model.loading)
        assert model.rowCount() == model.page
        assert model.entries[-1].message.message_id == ids[-1]
        # the "new messages" marker sits on the first unread message after the read position
        first_unread = next(i for i in range(HISTORY - 9, HISTORY) if i % 3 != 0)
        marked = [e.message.message_id for i, e in enumerate(model.entries)
                  if model.data(model.index(i), roles.NEW_MARKER)]  # fmt: skip
        assert marked == [ids[first_unread]]
        assert view.at_bottom()

        largest, pages = 0, [0]
        model.paged.connect(lambda: pages.__setitem__(0, pages[0] + 1))
        bar = view.verticalScrollBar()
        while not (model.at_start and bar.value() == 0):
            bar.setValue(0)
            await until(lambda: not model.loading)
            largest = max(largest, model.rowCount())
            assert pages[0] < 100
        assert model.entries[0].message.message_id == ids[0]
        assert largest <= model.window and not model.at_end
        assert pages[0] >= (HISTORY - model.page) // model.page
        # scrolling down again reads newer pages and drops the old ones
        while not (model.at_end and view.at_bottom()):
            bar.setValue(bar.maximum())
            await until(lambda: not model.loading)
            assert model.rowCount() <= model.window
        assert model.entries[-1].message.message_id == ids[-1] and not model.at_start

        # a new message arrives at the bottom and the view stays there
        await p.alice.m.send_text(p.a_conv, "fresh")
        await until(lambda: model.entries[-1].message.body == "fresh", timeout=15)
        await until(lambda: view.at_bottom())
        assert model.rowCount() <= model.window
        # a reply quoting a message far outside the window: a click on the quote jumps there
        await p.alice.m.send_text(p.a_conv, "about that", reply_to=ids[5])
        await until(lambda: model.entries[-1].message.body == "about that", timeout=15)
        reply = model.entries[-1]
        assert reply.quoted is not None and reply.quoted.message_id == ids[5]
        view.activate(reply, Hit("quote"))
        await until(lambda: model.row_of(ids[5]) >= 0 and not model.loading)
        assert view.current_entry() is not None
        assert view.current_entry().message.message_id == ids[5]
        assert model.rowCount() <= model.window and not model.at_end
        pane.deleteLater()

    arun(flow(), timeout=120)


def test_steady_anchor_when_a_page_arrives_at_the_top(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "steady") as p:
            await bulk_history(
                p.bob.m, p.b_conv, p.alice.m.identity_id, 400, start_ms=1_500_000_000_000
            )
            pane = ChatPane(p.b_bridge)
            pane.resize(800, 600)
            pane.show()
            model, view = pane.timeline, pane.view
            await until(lambda: pane.conversations.row_of(p.b_conv) >= 0)
            pane.open_conversation(p.b_conv)
            await until(lambda: model.rowCount() > 0 and not model.loading)
            bar = view.verticalScrollBar()
            bar.setValue(bar.maximum() // 2 + 450)  # away from both edges: nothing loads
            await until(lambda: not model.loading)
            top = view.indexAt(QPoint(10, 40)).row()
            mid = model.entry(top).message.message_id  # type: ignore[union-attr]
            y = view.visualRect(model.index(top)).top()
            rows = model.rowCount()
            assert model.load_older()
            await until(lambda: model.rowCount() > rows and not model.loading)
            row = model.row_of(mid)
            assert abs(view.visualRect(model.index(row)).top() - y) <= 1
            pane.deleteLater()

    arun(flow(), timeout=60)


def test_search_model_rows(chat_relay: ChatRelay, arun: Runner, qtmodeltester: Any) -> None:
    async def flow() -> None:
        async with people(chat_relay, "search") as p:
            await bulk_history(
                p.bob.m, p.b_conv, p.alice.m.identity_id, 200, start_ms=1_500_000_000_000
            )
            hits = await p.bob.m.search("word7", 50)
            model = SearchModel()
            qtmodeltester.check(model)
            model.set_hits([(h, "alice") for h in hits])
            assert model.rowCount() == len(hits) > 0
            first = model.data(model.index(0))
            assert isinstance(first, str) and first.startswith("alice: ") and "word7" in first

    arun(flow(), timeout=60)
