"""The contact page from a direct conversation's header: rename, block/unblock, keys and
devices, and verification by safety number (marked by hand, or by scanning the
other window's code from a picture of it)."""

from __future__ import annotations

import re

from keybound.client.values import Verification
from keybound.gui.contacts.contact_page import ContactPage
from keybound.gui.contacts.safety import SafetyPanel, half_rows
from keybound.gui.text import name
from keybound.gui.views.chat import ChatPane
from tests.gui.chat_people import ChatRelay, Pair, people
from tests.gui.conftest import Runner, until
from tests.gui.test_shell import _assert_named as assert_named


async def page_of(pane: ChatPane, conversation: bytes) -> tuple[ContactPage, SafetyPanel]:
    pane.open_conversation(conversation)
    await until(lambda: pane.header_actions.peer is not None)
    assert pane.header_actions.contact_button.text() == "Contact…"
    pane.header_actions.contact_button.click()
    page = pane.findChildren(ContactPage)[-1]
    await until(lambda: page.safety is not None and page.safety.numbers is not None)
    assert page.safety is not None
    return page, page.safety


async def loaded(pane: ChatPane) -> None:
    await until(lambda: bool(pane.conversations.rows))


def test_contact_page_shows_keys_devices_renames_blocks_and_verifies_by_number(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "page") as p:
            await check(p)

    async def check(p: Pair) -> None:
        pane = ChatPane(p.a_bridge)
        pane.show()
        await loaded(pane)
        page, safety = await page_of(pane, p.a_conv)
        assert page.name_field.text() == "bob"
        assert page.state.text() == "Not verified yet."
        assert re.fullmatch(r"OpenPGP card [0-9a-f]{4} [0-9a-f]{4}, added .+", page.keys.text())
        assert "known since" in page.devices.text() and "\n" not in page.devices.text()

        # both halves side by side, under both names, the same 60 digits as Bob's
        numbers = await p.bob.m.safety_numbers(p.alice.m.identity_id)
        assert safety.number_text() == numbers.number
        titles = {safety.first_title.text(), safety.second_title.text()}
        assert titles == {"You", name("bob")}
        shown = f"{safety.first_half.text()}\n{safety.second_half.text()}".split()
        assert " ".join(shown) == numbers.number
        mine = safety.first_half if safety.first_title.text() == "You" else safety.second_half
        assert mine.text() == half_rows(numbers.theirs)  # Bob's "theirs" is Alice's half
        assert not safety.code.pixmap().isNull()
        assert_named([page])

        # the third way: the emoji comparison with the same contact, from the page
        assert safety.emoji_button is not None
        safety.emoji_button.click()
        dialog = pane.identity_banner.verifications.dialogs.get(p.bob.m.identity_id)
        assert dialog is not None and dialog.isVisible()
        dialog.close()  # cancels it on both sides

        safety.mark_button.click()
        await until(lambda: page.state.text().startswith("Verified"))
        contact = await p.alice.m.contact(p.bob.m.identity_id)
        assert contact.verification is Verification.VERIFIED

        page.name_field.setText("Bobby Tables")
        page.rename_button.click()
        await until(lambda: pane.header.text() == name("Bobby Tables"))
        assert (await p.alice.m.contact(p.bob.m.identity_id)).display_name == "Bobby Tables"
        await until(lambda: pane.title_of(p.a_conv) == "Bobby Tables")

        page.block_button.click()
        await until(lambda: page.block_button.text() == "Unblock")
        assert "Blocked" in page.state.text()
        assert (await p.alice.m.contact(p.bob.m.identity_id)).blocked
        page.block_button.click()
        await until(lambda: page.block_button.text() == "Block")
        assert not (await p.alice.m.contact(p.bob.m.identity_id)).blocked
        pane.deleteLater()

    arun(flow(), 60)


def test_scanning_their_code_verifies_and_a_wrong_code_says_so(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "scan") as p:
            await check(p)

    async def check(p: Pair) -> None:
        alice_pane, bob_pane = ChatPane(p.a_bridge), ChatPane(p.b_bridge)
        alice_pane.show()
        bob_pane.show()
        await loaded(alice_pane)
        await loaded(bob_pane)
        _, alice_safety = await page_of(alice_pane, p.a_conv)
        _, bob_safety = await page_of(bob_pane, p.b_conv)
        bob_shot, alice_shot = p.tmp / "bob-screen.png", p.tmp / "alice-screen.png"
        assert bob_safety.code.grab().save(str(bob_shot))  # a picture of Bob's screen
        assert alice_safety.code.grab().save(str(alice_shot))

        alice_safety.scan_file(alice_shot)  # her own code is not his
        await until(lambda: "does not match" in alice_safety.status.text())
        assert "not marked verified" in alice_safety.status.text()
        contact = await p.alice.m.contact(p.bob.m.identity_id)
        assert contact.verification is Verification.UNVERIFIED

        alice_safety.scan_file(p.tmp / "no-such-picture.png")
        await until(lambda: "Cannot read" in alice_safety.status.text())

        alice_safety.scan_file(bob_shot)
        await until(lambda: alice_safety.status.text() == f"{name('bob')} is verified.")
        contact = await p.alice.m.contact(p.bob.m.identity_id)
        assert contact.verification is Verification.VERIFIED
        bob_safety.scan_file(alice_shot)  # and the other way round
        await until(lambda: "is verified" in bob_safety.status.text())
        alice_pane.deleteLater()
        bob_pane.deleteLater()

    arun(flow(), 60)
