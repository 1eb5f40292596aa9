"""A group of three in three ChatPanes: created from the dialog, messages, the group page
(members and their keys, rename, remove, leave), system lines for everyone, the timer."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from keybound.client.values import ConversationKind
from keybound.gui.groups.group_page import GroupPage
from keybound.gui.groups.new_group import NewGroupDialog
from keybound.gui.views.chat import ChatPane
from tests.gui.chat_people import ChatRelay, Pair, people
from tests.gui.conftest import Runner, until
from tests.gui.views.test_chat import bodies, pane_for, type_and_send


def plain(shown: str) -> str:
    """What is shown, without the marks that isolate names (FSI ... PDI)."""
    return shown.replace("\u2068", "").replace("\u2069", "")


def lines(pane: ChatPane) -> list[str]:
    """The system lines of the open timeline, as drawn (and read out)."""
    return [
        plain(str(pane.timeline.data(pane.timeline.index(i))))
        for i, e in enumerate(pane.timeline.entries)
        if e.system is not None
    ]


def spoken_row(pane: ChatPane, conversation_id: bytes) -> str:
    model = pane.conversations
    index = model.index(model.row_of(conversation_id))
    return plain(str(model.data(index, Qt.ItemDataRole.AccessibleTextRole)))


def members(page: GroupPage) -> list[tuple[str, ...]]:
    return [tuple(plain(t) for t in row) for row in page.member_texts()]


def group_row(pane: ChatPane, gid: bytes) -> bool:
    row = pane.conversations.row_of(gid)
    return row >= 0 and pane.conversations.rows[row].summary.conversation.kind is (
        ConversationKind.GROUP
    )


def title(pane: ChatPane, gid: bytes) -> str:
    return pane.title_of(gid)


def test_a_group_of_three_from_the_dialog_to_leaving(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "three", carol=True) as p:
            await three(p)

    async def three(p: Pair) -> None:
        assert p.carol is not None and p.c_bridge is not None
        bob_id, carol_id = p.bob.m.identity_id, p.carol.m.identity_id
        a = pane_for(p.a_bridge, "alice")
        b = pane_for(p.b_bridge, "bob")
        c = pane_for(p.c_bridge, "carol")
        for pane, conv in ((a, p.a_conv), (b, p.b_conv), (c, p.c_conv)):
            await until(lambda pane=pane, conv=conv: pane.conversations.row_of(conv) >= 0)

        # --- the new-group dialog: a name and members ticked from the contacts --------------
        dialog = a.menu.open_new_group()
        assert isinstance(dialog, NewGroupDialog) and dialog.parent() is a
        await until(lambda: dialog.picker.list.count() == 2)  # bob and carol
        assert not dialog.create_button.isEnabled()
        QTest.keyClicks(dialog.picker.filter, "car")
        assert dialog.picker.visible_count() == 1
        dialog.picker.filter.clear()
        assert dialog.picker.visible_count() == 2
        assert dialog.picker.choose(bob_id) and dialog.picker.choose(carol_id)
        assert "2 members" in dialog.count.text()
        assert not dialog.create_button.isEnabled()  # no name yet
        QTest.keyClicks(dialog.name, "Hikers")
        assert dialog.create_button.isEnabled()
        created: list[bytes] = []
        dialog.created.connect(created.append)
        QTest.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
        await until(lambda: bool(created) and a.conversation_id == created[0])
        gid = created[0]
        assert not dialog.isVisible()
        assert plain(a.header.text()) == "Hikers"
        assert a.tools.group_button.isVisible() and a.tools.timer.isVisible()
        await until(lambda: lines(a) == ["You created the group “Hikers”"])

        # --- the group reaches the others; messages go around ----------------------------
        for pane in (b, c):
            await until(lambda pane=pane: group_row(pane, gid), timeout=20)
            pane.open_conversation(gid)
        await until(lambda: lines(b) == ["alice created the group “Hikers”"])
        type_and_send(a, "hello hikers")
        for pane in (b, c):
            await until(lambda pane=pane: "hello hikers" in bodies(pane), timeout=20)
        type_and_send(c, "hi all, carol here")  # bob has never met carol
        for pane in (a, b):
            await until(lambda pane=pane: "hi all, carol here" in bodies(pane), timeout=20)
        assert not b.tools.timer.text().endswith("day")

        # --- the group page: members with their roles and keys ---------------------------
        page = a.tools.open_group_page()
        assert isinstance(page, GroupPage) and page.parent() is a
        await until(lambda: len(members(page)) == 3)
        assert members(page)[0] == ("You", "admin", "")
        assert sorted(members(page)[1:]) == [
            ("bob", "member", "not verified"),
            ("carol", "member", "not verified"),
        ]
        assert page.add_button.isVisible() and page.remove_button.isVisible()
        await p.alice.m.verify_contact(bob_id)
        page.reload()
        await until(lambda: ("bob", "member", "verified") in members(page))
        b_page = b.tools.open_group_page()
        assert isinstance(b_page, GroupPage)
        await until(lambda: len(members(b_page)) == 3)
        # bob never added carol: no name of his for her (names stay out of the chain)
        assert (carol_id.hex()[:8], "member", "not a contact") in members(b_page)
        assert not b_page.add_button.isVisible()  # bob is no admin
        assert "Only the group's admins" in b_page.status.text()

        # --- rename (anyone may): the line everywhere, the new title ---------------------
        b_page.name.selectAll()
        QTest.keyClicks(b_page.name, "Hill walkers")
        QTest.mouseClick(b_page.rename_button, Qt.MouseButton.LeftButton)
        await until(lambda: "You renamed the group to “Hill walkers”" in lines(b))
        for pane, bob_there in ((a, "bob"), (c, bob_id.hex()[:8])):  # carol never added bob
            line = f"{bob_there} renamed the group to “Hill walkers”"
            await until(lambda pane=pane, line=line: line in lines(pane), timeout=20)
            await until(lambda pane=pane: title(pane, gid) == "Hill walkers")
            await until(lambda pane=pane: plain(pane.header.text()) == "Hill walkers")
        await until(lambda: page.name.text() == "Hill walkers")  # the open page follows

        # --- the timer from the header: a line for everyone -------------------------------
        day = next(x for x in a.tools.timer.actions_shown() if x.data() == 86400)
        day.trigger()
        await until(lambda: "You set disappearing messages to 1 day" in lines(a))
        await until(lambda: a.tools.timer.text() == "\u23f1 1 day")
        await until(lambda: "alice set disappearing messages to 1 day" in lines(c), timeout=20)
        await until(lambda: b.tools.timer.text() == "\u23f1 1 day")  # bob's header follows
        await until(lambda: page.timer.seconds() == 86400)
        page.timer.setCurrentIndex(page.timer.findData(604800))  # the page's own choice
        page.timer.activated.emit(page.timer.currentIndex())
        await until(lambda: "You set disappearing messages to 1 week" in lines(a))
        await until(lambda: c.tools.timer.text() == "\u23f1 1 week", timeout=20)

        # --- remove carol (admins): the line for all; carol reads and sends nothing more -----
        asked: list[str] = []
        page.confirm = lambda title, question: asked.append(question) is None  # yes
        assert page.select_member(carol_id)
        QTest.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
        assert asked and "carol" in asked[0]
        await until(lambda: "You removed carol" in lines(a))
        await until(lambda: f"alice removed {carol_id.hex()[:8]}" in lines(b), timeout=20)
        await until(lambda: "alice removed you" in lines(c), timeout=20)
        await until(lambda: len(members(page)) == 2)
        type_and_send(a, "after carol left")
        await until(lambda: "after carol left" in bodies(b), timeout=20)
        failures: list[str] = []
        p.c_bridge.failure.connect(failures.append)
        type_and_send(c, "am I still here?")
        await until(lambda: bool(failures))
        assert failures == ["You are no longer a member of this group."]
        # alice's next word to carol, direct, comes after the group message in her queue:
        # once it is there, the group message would have been too (it was never sent to her)
        await p.alice.m.send_text(p.ac_conv, "a direct word after the group one")
        await until(lambda: _has(p, "a direct word after the group one"), timeout=20)
        assert "after carol left" not in bodies(c)
        assert "after carol left" not in [m.body for m in await p.carol.m.history(gid, 100)]
        c_page = c.tools.open_group_page()
        assert isinstance(c_page, GroupPage)
        await until(lambda: "no longer a member" in c_page.status.text())
        assert not c_page.leave_button.isEnabled() and not c_page.timer.isEnabled()

        # --- alice adds her back ("Add members…" offers only who is not in the group) -------
        page.open_add()
        await until(lambda: page.adder is not None and page.adder.isVisible())
        assert page.adder is not None
        assert page.adder.picker.list.count() == 1 and not page.adder.add_button.isEnabled()
        assert page.adder.picker.choose(carol_id)
        QTest.mouseClick(page.adder.add_button, Qt.MouseButton.LeftButton)
        await until(lambda: "You added carol" in lines(a))
        await until(lambda: "alice added you" in lines(c), timeout=20)
        await until(lambda: c_page.is_member and c_page.leave_button.isEnabled())
        type_and_send(c, "back again")
        await until(lambda: "back again" in bodies(a), timeout=20)

        # --- bob leaves: asked first; "no" changes nothing ------------------------------------
        b_page.confirm = lambda title, question: False
        QTest.mouseClick(b_page.leave_button, Qt.MouseButton.LeftButton)
        assert b_page.is_member
        b_page.confirm = lambda title, question: True
        QTest.mouseClick(b_page.leave_button, Qt.MouseButton.LeftButton)
        await until(lambda: "You left the group" in lines(b))
        await until(lambda: "no longer a member" in b_page.status.text())
        await until(lambda: "bob left" in lines(a), timeout=20)
        await until(lambda: len(members(page)) == 2)  # alice and carol

        # the conversation list previews the last line
        row = a.conversations.rows[a.conversations.row_of(gid)]
        assert row.last_notice is not None
        for pane in (a, b, c):  # its dialogs (pages, the adder) go with it
            pane.close()
            pane.deleteLater()

    arun(flow(), timeout=240)


async def _has(p: Pair, body: str) -> bool:
    assert p.carol is not None
    return any(m.body == body for m in await p.carol.m.history(p.c_conv, 50))


def test_the_header_timer_in_a_direct_conversation_and_a_message_expiring(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "timer") as p:
            await timer(p)

    async def timer(p: Pair) -> None:
        a = pane_for(p.a_bridge, "alice")
        b = pane_for(p.b_bridge, "bob")
        for pane, conv in ((a, p.a_conv), (b, p.b_conv)):
            await until(lambda pane=pane, conv=conv: pane.conversations.row_of(conv) >= 0)
            pane.open_conversation(conv)
        assert a.tools.timer.isVisible() and not a.tools.group_button.isVisible()
        assert a.tools.timer.text() == "\u23f1"  # off
        labels = [x.text() for x in a.tools.timer.actions_shown()]
        assert labels == ["Off", "5 minutes", "1 hour", "1 day", "1 week"]
        five = next(x for x in a.tools.timer.actions_shown() if x.data() == 300)
        five.trigger()
        await until(lambda: lines(a) == ["You set disappearing messages to 5 minutes"])
        await until(lambda: lines(b) == ["alice set disappearing messages to 5 minutes"])
        await until(lambda: b.tools.timer.text() == "\u23f1 5 minutes")
        await until(lambda: "alice set disappearing" in spoken_row(b, p.b_conv))  # the list

        # the line is drawn centred, with no bubble, and takes no clicks
        view = b.view
        index = b.timeline.index(b.timeline.row_of(b.timeline.entries[-1].message.message_id))
        option = view._option(index)  # the view's own layout of the row
        lay = view.message_delegate.layout(option, index)
        assert lay.system is not None and lay.bubble.isNull()
        assert abs(lay.system.center().x() - option.rect.width() // 2) <= 2
        assert "alice set disappearing messages to 5 minutes" in plain(lay.system_text)
        assert view.message_delegate.hit(option, index, option.rect.center()) is None
        assert not b.message_actions.allowed(b.timeline.entries[-1])["reply"]

        # a short timer (another app may set any length): the message goes from both windows
        await p.bob.m.set_disappearing(p.b_conv, 2)
        await until(lambda: a.tools.timer.text() == "\u23f1 2 seconds")
        assert [x.data() for x in a.tools.timer.actions_shown()] == [0, 2, 300, 3600, 86400, 604800]
        type_and_send(a, "this will vanish")
        await until(lambda: "this will vanish" in bodies(b))
        gone = next(e for e in b.timeline.entries if e.message.body == "this will vanish")
        assert gone.message.expires_at is not None
        await until(lambda: "this will vanish" not in bodies(b), timeout=15)
        await until(lambda: "this will vanish" not in bodies(a), timeout=15)
        assert await p.bob.m.message(gone.message.message_id) is None
        assert lines(a)[-1] == "bob set disappearing messages to 2 seconds"  # lines stay
        off = next(x for x in b.tools.timer.actions_shown() if x.data() == 0)
        off.trigger()
        await until(lambda: "bob turned disappearing messages off" in lines(a))
        for pane in (a, b):
            pane.close()
            pane.deleteLater()

    arun(flow(), timeout=120)
