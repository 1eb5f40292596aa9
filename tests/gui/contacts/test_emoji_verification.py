"""Emoji verification between two ChatPanes (real engines, a real relay): a match, "they
don't match", a cancel; and a contact's token set changing under an open conversation:
the banner, the held send, accepting the change or verifying again."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from keybound.client.values import ALERT_SUSPECT
from keybound.client.verification import CANCELLED, MISMATCH, VERIFIED
from keybound.gui.contacts.emoji_verification import (
    COMPARE,
    DONE,
    REQUEST,
    EmojiVerificationDialog,
)
from keybound.gui.views.chat import ChatPane
from keybound.store.models import Verification
from tests.client.chain_change import add_spare_token
from tests.gui.chat_people import ChatRelay, Pair, people
from tests.gui.conftest import Runner, until
from tests.gui.views.test_chat import pane_for, shot, type_and_send


def plain(shown: str) -> str:
    """A label's text without the bidi isolates around names."""
    return shown.replace("\u2068", "").replace("\u2069", "")


async def _open(p: Pair) -> tuple[ChatPane, ChatPane]:
    a, b = pane_for(p.a_bridge, "alice"), pane_for(p.b_bridge, "bob")
    await until(lambda: a.conversations.row_of(p.a_conv) >= 0)
    await until(lambda: b.conversations.row_of(p.b_conv) >= 0)
    a.open_conversation(p.a_conv)
    b.open_conversation(p.b_conv)
    await until(lambda: not a.timeline.loading and not b.timeline.loading)
    return a, b


def _dialog(pane: ChatPane, identity_id: bytes) -> EmojiVerificationDialog | None:
    return pane.identity_banner.verifications.dialogs.get(identity_id)


async def _both_comparing(
    p: Pair, a: ChatPane, b: ChatPane
) -> tuple[EmojiVerificationDialog, EmojiVerificationDialog]:
    """Alice clicks Verify…; Bob's dialog appears by itself and he starts comparing."""
    assert a.identity_banner.verify_button.isVisible()
    QTest.mouseClick(a.identity_banner.verify_button, Qt.MouseButton.LeftButton)
    mine = _dialog(a, p.bob.m.identity_id)
    assert mine is not None and mine.isVisible()
    await until(lambda: _dialog(b, p.alice.m.identity_id) is not None, timeout=20)
    theirs = _dialog(b, p.alice.m.identity_id)
    assert theirs is not None
    await until(lambda: theirs.page == REQUEST and "alice" in theirs.request_text.text())
    QTest.mouseClick(theirs.accept_button, Qt.MouseButton.LeftButton)
    await until(lambda: mine.page == COMPARE and theirs.page == COMPARE, timeout=20)
    assert mine.emoji == theirs.emoji and len(mine.emoji) == 7
    shown = [(g.text(), n.text()) for g, n in mine.emoji_labels]
    assert shown == [(e, n) for e, n in mine.emoji]  # each emoji with its name
    return mine, theirs


async def _verification(person: object, peer: object) -> Verification:
    return (await person.m.contact(peer.m.identity_id)).verification  # type: ignore[attr-defined]


def test_emoji_match_in_two_windows_verifies_both(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "sas-match") as p:
            a, b = await _open(p)
            mine, theirs = await _both_comparing(p, a, b)
            shot(mine, "emoji-verification-compare")
            QTest.mouseClick(mine.match_button, Qt.MouseButton.LeftButton)
            QTest.mouseClick(theirs.match_button, Qt.MouseButton.LeftButton)
            await until(lambda: mine.page == DONE and theirs.page == DONE, timeout=20)
            assert mine.outcome == theirs.outcome == VERIFIED
            assert "bob is verified" in plain(mine.done_title.text())
            assert await _verification(p.alice, p.bob) is Verification.VERIFIED
            assert await _verification(p.bob, p.alice) is Verification.VERIFIED
            assert not a.identity_banner.isVisible()
            mine.close()
            theirs.close()

    arun(flow(), timeout=90)


def test_they_dont_match_marks_suspect_and_the_banner_says_so(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "sas-mismatch") as p:
            a, b = await _open(p)
            mine, theirs = await _both_comparing(p, a, b)
            QTest.mouseClick(theirs.mismatch_button, Qt.MouseButton.LeftButton)
            await until(lambda: mine.page == DONE and theirs.page == DONE, timeout=20)
            assert mine.outcome == theirs.outcome == MISMATCH
            assert "did not match" in mine.done_title.text()
            assert "compare safety numbers" in theirs.done_text.text()
            for pane in (a, b):
                await until(lambda pane=pane: pane.identity_banner.isVisible())
                banner = pane.identity_banner
                assert banner.alert is not None and banner.alert.kind == ALERT_SUSPECT
                assert "is suspect" in banner.text and banner.verify_again.isVisible()
            shot(b, "identity-banner-suspect")
            # "Verify again" opens the dialog again
            mine.close()
            QTest.mouseClick(a.identity_banner.verify_again, Qt.MouseButton.LeftButton)
            again = _dialog(a, p.bob.m.identity_id)
            assert again is not None and again is not mine and again.isVisible()
            again.reject()  # cancelled before Bob answered
            theirs.close()

    arun(flow(), timeout=90)


def test_cancel_in_one_window_ends_the_other(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "sas-cancel") as p:
            a, b = await _open(p)
            mine, theirs = await _both_comparing(p, a, b)
            QTest.mouseClick(mine.compare_cancel, Qt.MouseButton.LeftButton)
            await until(lambda: theirs.page == DONE, timeout=20)
            assert theirs.outcome == CANCELLED and "cancelled" in theirs.done_title.text()
            assert await _verification(p.bob, p.alice) is Verification.UNVERIFIED
            assert not b.identity_banner.isVisible()
            theirs.close()

    arun(flow(), timeout=90)


def test_changed_keys_show_the_banner_and_hold_sending_until_accepted_or_verified(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "sas-changed") as p:
            a, b = await _open(p)
            await p.bob.m.verify_contact(p.alice.m.identity_id)
            failures: list[str] = []
            p.b_bridge.failure.connect(failures.append)

            await add_spare_token(p.alice)
            banner = b.identity_banner
            await until(lambda: banner.isVisible(), timeout=20)
            assert "security keys changed" in banner.text and "held" in banner.text
            # the conversation list marks it too
            await until(lambda: b.conversations.rows[b.conversations.row_of(p.b_conv)]
                        .identity_changed)  # fmt: skip
            assert banner.accept_change.text() == "Accept the change"
            shot(b, "identity-banner-changed")
            type_and_send(b, "while held")
            await until(lambda: bool(failures))
            assert "held" in failures[-1]
            assert "while held" not in [e.message.body for e in b.timeline.entries]

            QTest.mouseClick(banner.accept_change, Qt.MouseButton.LeftButton)
            await until(lambda: not banner.isVisible())
            assert await _verification(p.bob, p.alice) is Verification.UNVERIFIED
            type_and_send(b, "after accepting")
            await until(lambda: "after accepting" in [e.message.body for e in a.timeline.entries],
                        timeout=20)  # fmt: skip

            # verified again, changed again: "Verify again" and a match release it
            await p.bob.m.verify_contact(p.alice.m.identity_id)
            await add_spare_token(p.alice)
            await until(lambda: banner.isVisible() and "held" in banner.text, timeout=20)
            QTest.mouseClick(banner.verify_again, Qt.MouseButton.LeftButton)
            mine = _dialog(b, p.alice.m.identity_id)
            assert mine is not None
            await until(lambda: _dialog(a, p.bob.m.identity_id) is not None, timeout=20)
            theirs = _dialog(a, p.bob.m.identity_id)
            assert theirs is not None
            QTest.mouseClick(theirs.accept_button, Qt.MouseButton.LeftButton)
            await until(lambda: mine.page == COMPARE and theirs.page == COMPARE, timeout=20)
            QTest.mouseClick(mine.match_button, Qt.MouseButton.LeftButton)
            QTest.mouseClick(theirs.match_button, Qt.MouseButton.LeftButton)
            await until(lambda: mine.outcome == VERIFIED and theirs.outcome == VERIFIED, 20)
            await until(lambda: not banner.isVisible())
            type_and_send(b, "verified again")
            await until(lambda: "verified again" in [e.message.body for e in a.timeline.entries],
                        timeout=20)  # fmt: skip
            mine.close()
            theirs.close()

    arun(flow(), timeout=120)
