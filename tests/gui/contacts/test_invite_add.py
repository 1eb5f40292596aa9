"""Invite and add in the app, against the real engine and relay: by link (copied through
the clipboard), by a QR image one window saved and the other read, and a tampered
link refused with its sentence."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from keybound.gui.contacts.add import AddContactDialog
from keybound.gui.contacts.invite import InviteDialog
from keybound.gui.text import name
from keybound.gui.views.chat import ChatPane
from tests.client.test_contact_details import flipped
from tests.gui.chat_people import ChatRelay, Pair, people
from tests.gui.conftest import Runner, until
from tests.gui.test_shell import _assert_named as assert_named


def dialog_of(pane: ChatPane, kind: type) -> object:
    found = pane.findChildren(kind)
    assert found, kind
    return found[-1]


async def invite_of(pane: ChatPane) -> InviteDialog:
    pane.menu.invite_action.trigger()
    dialog = dialog_of(pane, InviteDialog)
    assert isinstance(dialog, InviteDialog)
    await until(lambda: dialog.copy_button.isEnabled())
    return dialog


async def add_dialog(pane: ChatPane) -> AddContactDialog:
    pane.menu.add_contact_action.trigger()
    dialog = dialog_of(pane, AddContactDialog)
    assert isinstance(dialog, AddContactDialog)
    assert not dialog.add_button.isEnabled()
    return dialog


def test_bob_adds_alice_from_the_png_she_saved_and_she_adds_him_by_link(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "invite", introduced=False) as p:
            await check(p)

    async def check(p: Pair) -> None:
        alice_pane, bob_pane = ChatPane(p.a_bridge), ChatPane(p.b_bridge)
        alice_pane.show()
        bob_pane.show()
        assert alice_pane.menu.invite_action.text() == "Invite someone…"
        assert alice_pane.menu.add_contact_action.text() == "Add contact…"

        invite = await invite_of(alice_pane)
        link = await p.alice.m.invite()
        assert invite.field.text() == link and not invite.code.pixmap().isNull()
        assert parse_qs(urlsplit(invite.mail_url().toString()).query)["body"][0].count(link) == 1
        png = p.tmp / "alice-invite"  # no suffix: the dialog adds .png
        invite.save_to(png)
        saved = png.with_suffix(".png")
        await until(lambda: "Saved as" in invite.status.text())
        assert not QImage(str(saved)).isNull()

        # Bob reads the code from the file; the dialog shows whose it is before adding
        add = await add_dialog(bob_pane)
        add.read_image_file(saved)
        await until(lambda: add.preview is not None)
        assert add.link_field.text() == link
        assert add.values["name"].text() == name("alice")
        assert add.values["relay"].text() == chat_relay.relay.url
        assert add.values["identity"].text().replace(" ", "") == p.alice.m.identity_id[:8].hex()
        assert add.values["keys"].text() == "OpenPGP card"
        assert add.name_field.text() == "alice" and add.add_button.isEnabled()
        assert_named([invite, add])
        add.name_field.setText("Alice L.")
        add.add_button.click()
        await until(lambda: bob_pane.conversation_id is not None, 15)
        assert bob_pane.header.text() == name("Alice L.")
        assert [c.display_name for c in await p.bob.m.contacts()] == ["Alice L."]
        assert not add.isVisible()

        # Alice adds Bob by the link he copied (through the clipboard)
        bob_invite = await invite_of(bob_pane)
        bob_invite.copy_button.click()
        assert QGuiApplication.clipboard().text() == await p.bob.m.invite()
        add = await add_dialog(alice_pane)
        add.clipboard_button.click()
        await until(lambda: add.preview is not None)
        assert add.values["name"].text() == name("bob")
        add.add_button.click()
        await until(lambda: alice_pane.conversation_id is not None, 15)
        assert alice_pane.header.text() == name("bob")
        assert alice_pane.header_actions.isVisible()

        # a picture on the clipboard (a screenshot of the code) works too
        add = await add_dialog(alice_pane)
        QGuiApplication.clipboard().setImage(bob_invite.code.pixmap().toImage())
        add.clipboard_button.click()
        await until(lambda: add.preview is not None)
        assert "already one of your contacts" in add.status.text()
        add.reject()
        for pane in (alice_pane, bob_pane):
            pane.deleteLater()
        await until(lambda: not any(isinstance(w, InviteDialog) for w in topmost()))

    arun(flow(), 90)


def topmost() -> list[object]:
    return list(QApplication.topLevelWidgets())


def test_a_tampered_or_broken_link_gets_one_sentence_and_adds_nothing(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "tampered", introduced=False) as p:
            await check(p)

    async def check(p: Pair) -> None:
        pane = ChatPane(p.b_bridge)
        pane.show()
        link = await p.alice.m.invite()
        add = await add_dialog(pane)
        cases = (
            (flipped(link, "fp"), "does not match the identity it names"),
            (flipped(link, "id"), "names an identity the relay does not know"),
            (link.replace("v=1", "v=x"), "This invite is not valid: parameter v must be a number."),
            ("https://example.org/", "it is not a keybound://invite link"),
        )
        for bad, sentence in cases:
            add.set_link(bad)
            await until(lambda s=sentence: s in add.status.text())  # type: ignore[misc]
            assert add.status.text().count(".") <= 3  # a sentence or two, not a traceback
            assert add.preview is None and not add.add_button.isEnabled()
            assert not add.identity_box.isVisible()
        empty = p.tmp / "empty.png"
        QImage(64, 64, QImage.Format.Format_RGB32).save(str(empty))
        add.read_image_file(empty)
        await until(lambda: "No QR code could be read" in add.status.text())
        add.read_image_file(p.tmp / "missing.png")
        await until(lambda: "Cannot read" in add.status.text())
        assert await p.bob.m.contacts() == []
        add.set_link(link)  # the real one still works afterwards
        await until(lambda: add.preview is not None)
        pane.deleteLater()

    arun(flow(), 60)


def test_the_invite_png_is_written_atomically_and_an_unwritable_folder_is_said(
    chat_relay: ChatRelay, arun: Runner, tmp_path: Path
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "save", introduced=False) as p:
            pane = ChatPane(p.a_bridge)
            invite = await invite_of(pane)
            invite.save_to(tmp_path / "nowhere" / "code.png")
            await until(lambda: "Cannot write" in invite.status.text())
            assert list(tmp_path.iterdir()) == []
            pane.deleteLater()

    arun(flow(), 60)
