"""Two ChatPanes, two people, a real relay: messages, replies, reactions, edits, deletes,
files by drag and drop, search, the quick switcher, accessibility, screenshots."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from keybound.client.events import AttachmentProgress
from keybound.client.values import MessageStatus
from keybound.gui.models import roles
from keybound.gui.views.chat import ChatPane
from tests.gui.chat_people import ChatRelay, Pair, bulk_history, people
from tests.gui.conftest import Runner, until

SHOTS = Path("build/screenshots")


def pane_for(bridge: object, title: str) -> ChatPane:
    pane = ChatPane(bridge)  # type: ignore[arg-type]
    pane.setWindowTitle(title)
    pane.resize(900, 600)
    pane.show()
    return pane


def shot(widget: QWidget, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


async def activate(widget: QWidget) -> None:
    """Make ``widget``'s window the active one (shortcuts and read marking need it)."""
    widget.activateWindow()
    await until(widget.isActiveWindow, timeout=5)


def bodies(pane: ChatPane) -> list[str | None]:
    return [e.message.body for e in pane.timeline.entries]


def entry_of(pane: ChatPane, body: str) -> object:
    return next(e for e in pane.timeline.entries if e.message.body == body)


def type_and_send(pane: ChatPane, words: str) -> None:
    pane.focus_composer()
    QTest.keyClicks(pane.composer.edit, words)
    QTest.keyClick(pane.composer.edit, Qt.Key.Key_Return)


def test_two_panes_chat_reply_react_edit_delete(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "chat") as p:
            await chat(p)

    async def chat(p: Pair) -> None:
        a = pane_for(p.a_bridge, "alice")
        b = pane_for(p.b_bridge, "bob")
        await activate(b)
        await until(lambda: a.conversations.row_of(p.a_conv) >= 0)
        await until(lambda: b.conversations.row_of(p.b_conv) >= 0)
        a.open_conversation(p.a_conv)
        b.open_conversation(p.b_conv)
        await until(lambda: not a.timeline.loading and not b.timeline.loading)

        # Enter sends, Shift+Enter is a new line
        a.focus_composer()
        QTest.keyClicks(a.composer.edit, "hello **bob**")
        QTest.keyClick(a.composer.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        QTest.keyClicks(a.composer.edit, "see https://example.org/x")
        QTest.keyClick(a.composer.edit, Qt.Key.Key_Return)
        first = "hello **bob**\nsee https://example.org/x"
        await until(lambda: first in bodies(a))
        await until(lambda: first in bodies(b), timeout=15)
        assert a.composer.edit.toPlainText() == ""
        sent = entry_of(a, first)
        await until(
            lambda: (
                a.timeline.entry(a.timeline.row_of(sent.message.message_id)).message.status
                in (MessageStatus.DELIVERED, MessageStatus.READ)
            ),
            timeout=15,
        )
        # bob saw it (window active): alice's tick turns "read", bob's unread count is 0
        await until(
            lambda: (
                a.timeline.entry(a.timeline.row_of(sent.message.message_id)).message.status
                is MessageStatus.READ
            ),
            timeout=15,
        )
        await until(lambda: b.conversations.total_unread() == 0)

        # bob replies to it from the context menu's action
        b.view.jump_to(entry_of(b, first).message.message_id)
        b.message_actions.actions["reply"].trigger()
        assert b.composer.reply_to is not None
        type_and_send(b, "hi alice")
        await until(lambda: "hi alice" in bodies(a), timeout=15)
        reply = entry_of(a, "hi alice")
        assert reply.quoted is not None and reply.quoted.body == first

        # alice reacts to the reply through the emoji picker
        a.view.jump_to(reply.message.message_id)
        a.message_actions.actions["react"].trigger()
        picker = a.message_actions.picker
        assert picker is not None and picker.isVisible()
        picker.buttons[0].click()
        await until(lambda: any(r.emoji == "👍" for r in entry_of(b, "hi alice").reactions))

        # Up in the empty composer edits alice's last message; Esc would cancel it
        a.focus_composer()
        QTest.keyClick(a.composer.edit, Qt.Key.Key_Up)
        assert a.composer.editing is not None
        QTest.keyClick(a.composer.edit, Qt.Key.Key_Escape)
        assert a.composer.editing is None and a.composer.edit.toPlainText() == ""
        QTest.keyClick(a.composer.edit, Qt.Key.Key_Up)
        a.composer.edit.selectAll()
        QTest.keyClicks(a.composer.edit, "hello again")
        QTest.keyClick(a.composer.edit, Qt.Key.Key_Return)
        await until(lambda: "hello again" in bodies(b), timeout=15)
        assert entry_of(b, "hello again").message.edited_at is not None

        # alice deletes it for everyone (confirmed): a tombstone on both sides
        a.message_actions.confirm_delete = lambda: True
        a.view.jump_to(entry_of(a, "hello again").message.message_id)
        await activate(a)  # shortcuts work in the active window
        a.view.setFocus()
        QTest.keyClick(a.view, Qt.Key.Key_Delete)
        mid = sent.message.message_id
        await until(lambda: b.timeline.entry(b.timeline.row_of(mid)).message.deleted, timeout=15)
        assert a.timeline.entry(a.timeline.row_of(mid)).message.deleted

        # copy and message info (receipts per recipient device) on the selected message
        await activate(a)
        a.view.jump_to(reply.message.message_id)
        a.view.setFocus()
        QTest.keyClick(a.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
        assert QApplication.clipboard().text() == "hi alice"
        a.view.jump_to(entry_of(a, "hi alice").message.message_id)
        own = next(e for e in a.timeline.entries if e.message.outgoing)
        a.view.jump_to(own.message.message_id)
        QTest.keyClick(a.view, Qt.Key.Key_I)
        await until(
            lambda: a.message_actions.info is not None and a.message_actions.info.isVisible()
        )
        info = a.message_actions.info
        assert info is not None and info.isVisible() and info.receipts.topLevelItemCount() >= 1
        assert info.receipts.topLevelItem(0).text(0).startswith("\u2068bob")
        assert info.receipts.topLevelItem(0).text(1) != ""  # delivered at
        shot(info, "message-info")
        info.close()

        # disappearing messages show their timer and vanish when it runs out
        await p.alice.m.set_disappearing(p.a_conv, 1)
        await p.alice.m.send_text(p.a_conv, "vanishing")
        await until(lambda: "vanishing" in bodies(b), timeout=15)
        gone = entry_of(b, "vanishing")
        assert gone.message.expires_at is not None
        assert "\u23f1" in b.view.message_delegate.footer_text(gone)
        await until(lambda: "vanishing" not in bodies(b), timeout=15)
        await p.alice.m.set_disappearing(p.a_conv, None)

        # typing: bob types, alice sees it
        QTest.keyClicks(b.composer.edit, "thinking")
        await until(lambda: "is typing" in a.typing_label.text(), timeout=15)
        assert "bob" in a.typing_label.text()
        b.composer.edit.clear()
        await until(lambda: a.typing_label.text() == "", timeout=15)

        for pane, name in ((a, "chat-alice"), (b, "chat-bob")):
            path = shot(pane, name)
            assert path.stat().st_size > 10_000
            pane.deleteLater()

    arun(flow(), timeout=90)


def drop_files(target: QWidget, paths: list[Path]) -> None:
    """Drag files from a file manager and drop them on ``target``, as Qt delivers it."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    for kind in (QDropEvent.Type.DragEnter, QDropEvent.Type.Drop):
        if kind == QDropEvent.Type.DragEnter:
            event: QDropEvent = QDragEnterEvent(
                QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
            )  # fmt: skip
        else:
            event = QDropEvent(
                QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
            )  # fmt: skip
        QApplication.sendEvent(target, event)
        assert event.isAccepted()


def test_file_drop_search_and_switcher(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "files") as p:
            await files_and_search(p)

    async def files_and_search(p: Pair) -> None:
        a = pane_for(p.a_bridge, "alice")
        b = pane_for(p.b_bridge, "bob")
        await until(lambda: a.conversations.row_of(p.a_conv) >= 0)
        a.open_conversation(p.a_conv)
        b.open_conversation(p.b_conv)
        await until(lambda: not a.timeline.loading and not b.timeline.loading)

        # a file dropped on the composer uploads with progress, then arrives at bob's
        payload = os.urandom(3 * 1024 * 1024)
        path = p.tmp / "plans.bin"
        path.write_bytes(payload)
        uploads: list[int] = []
        p.a_bridge.engine_event.connect(
            lambda e: uploads.append(e.done) if isinstance(e, AttachmentProgress) else None
        )
        drop_files(a.composer.edit.viewport(), [path])
        assert len(a.composer.uploads) == 1
        bar = a.composer.uploads[0].bar
        await until(lambda: bar.maximum() > 0 and bar.value() > 0, timeout=20)
        await until(lambda: not a.composer.uploads, timeout=30)
        assert len(uploads) > 1 and uploads == sorted(uploads)
        await until(lambda: any(e.attachments for e in b.timeline.entries), timeout=20)
        got = next(e for e in b.timeline.entries if e.attachments)
        assert got.attachments[0].file_name == "plans.bin"
        assert got.attachments[0].size == len(payload)
        row = b.timeline.row_of(got.message.message_id)
        seen: list[object] = []
        b.timeline.dataChanged.connect(
            lambda tl, _br: seen.append(b.timeline.data(tl, roles.PROGRESS))
        )
        dest = p.tmp / "downloaded.bin"
        b.message_actions.download(got, dest)
        await until(lambda: dest.exists(), timeout=30)
        assert dest.read_bytes() == payload
        assert any(isinstance(s, tuple) for s in seen)  # the row showed download progress
        assert b.timeline.data(b.timeline.index(row), roles.PROGRESS) is None
        shot(b, "chat-file")

        # an image pasted from the clipboard goes out with a thumbnail
        image = QImage(120, 80, QImage.Format.Format_RGB32)
        image.fill(QColor(30, 120, 200))
        mime = QMimeData()
        mime.setImageData(image)
        QApplication.clipboard().setMimeData(mime)
        a.composer.edit.setFocus()
        a.composer.edit.paste()
        assert len(a.composer.uploads) == 1
        await until(lambda: any(x.attachments and x.attachments[0].thumbnail
                                for x in b.timeline.entries), timeout=30)  # fmt: skip
        picture = next(
            x for x in b.timeline.entries if x.attachments and x.attachments[0].thumbnail
        )
        assert picture.attachments[0].media_type == "image/png"
        assert not list((p.alice.profile / "outgoing").glob("pasted-*"))  # staging cleaned up
        QApplication.clipboard().clear()  # an image left on it crashes Qt's exit offscreen
        await until(lambda: b.view.isVisible())
        shot(b, "chat-image")

        # an upload cancelled half way sends nothing and leaves nothing behind
        big = p.tmp / "big.bin"
        big.write_bytes(os.urandom(24 * 1024 * 1024))
        drop_files(a.composer.edit.viewport(), [big])
        upload = a.composer.uploads[0]
        await until(lambda: upload.bar.value() > 0, timeout=20)
        upload.cancel.click()
        assert a.composer.uploads == []
        type_and_send(a, "after cancel")
        await until(lambda: "after cancel" in bodies(b), timeout=15)
        assert not any(x.attachments and x.attachments[0].file_name == "big.bin"
                       for x in b.timeline.entries)  # fmt: skip
        await until(lambda: not list((p.alice.profile / "outgoing").glob("*.kba")))

        # search: an old message outside the window opens at its place
        ids = await bulk_history(
            p.bob.m, p.b_conv, p.alice.m.identity_id, 600, start_ms=1_600_000_000_000
        )
        b.open_conversation(p.b_conv)
        await until(lambda: not b.timeline.loading)
        target = ids[13]
        assert b.timeline.row_of(target) < 0
        await activate(b)
        b.list.view.setFocus()
        QTest.keyClick(b, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert b.left.currentWidget() is b.search
        QTest.keyClicks(b.search.field, "word13")
        await until(lambda: b.search.model.rowCount() > 0)
        rows = [b.search.model.hit(i) for i in range(b.search.model.rowCount())]
        assert all("word13" in (h.message.body or "") for h in rows if h)
        at = next(i for i, h in enumerate(rows) if h and h.message.message_id == target)
        b.search.results.setFocus()
        b.search.results.setCurrentIndex(b.search.model.index(at, 0))
        QTest.keyClick(b.search.results, Qt.Key.Key_Return)
        await until(lambda: b.timeline.row_of(target) >= 0 and not b.timeline.loading)
        assert b.view.current_entry() is not None
        assert b.view.current_entry().message.message_id == target
        assert b.timeline.rowCount() <= b.timeline.window
        shot(b, "chat-search")

        # Ctrl+K: part of a name, Enter, and the composer has the keyboard
        QTest.keyClick(b.search.field, Qt.Key.Key_Escape)
        assert b.left.currentWidget() is b.list
        QTest.keyClick(b, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
        assert b.switcher.isVisible()
        QTest.keyClicks(b.switcher.field, "LIC")
        assert b.switcher.proxy.rowCount() == 1
        QTest.keyClick(b.switcher.field, Qt.Key.Key_Return)
        await until(lambda: not b.switcher.isVisible())
        assert b.conversation_id == p.b_conv
        assert QApplication.focusWidget() is b.composer.edit
        a.deleteLater()
        b.deleteLater()

    arun(flow(), timeout=120)


def test_every_focusable_widget_has_an_accessible_name(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "a11y") as p:
            pane = pane_for(p.a_bridge, "alice")
            await until(lambda: pane.conversations.row_of(p.a_conv) >= 0)
            pane.open_conversation(p.a_conv)
            await until(lambda: not pane.timeline.loading)
            pane.show_search()
            pane.show_switcher()
            pane.message_actions.picker = None
            unnamed = [
                f"{type(w).__name__} {w.objectName()!r}"
                for w in pane.findChildren(QWidget)
                if w.focusPolicy() != Qt.FocusPolicy.NoFocus and not w.accessibleName()
            ]
            assert unnamed == []
            pane.switcher.close()
            pane.deleteLater()

    arun(flow(), timeout=60)
