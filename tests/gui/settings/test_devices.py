"""The "Devices and keys" page against the real engine and relay: a spare key added and
unlocking after the first is removed, a PIN changed, the recovery code replaced (old one
refused), a second computer joining with the same card appearing and being removed."""

from __future__ import annotations

import pytest

from keybound.errors import TokenNotFound, WrongRecoveryCode
from keybound.gui.settings import SettingsDialog
from keybound.gui.settings.devices import DevicesPage
from keybound.gui.settings.key_dialogs import PinChangeDialog, RecoveryDialog
from keybound.gui.views.chat import ChatPane
from tests.client.harness import PIN, enrolled_card, join, token_key
from tests.gui.chat_people import ChatRelay, Pair, people
from tests.gui.conftest import Runner, until

pytestmark = pytest.mark.integration


def _answer_yes(page: DevicesPage) -> list[str]:
    asked: list[str] = []

    def confirm(title: str, text: str) -> bool:
        asked.append(text)
        return True

    page.confirm = confirm
    return asked


def _column(page: DevicesPage, tree: str, column: int) -> list[str]:
    widget = getattr(page, tree)
    return [widget.topLevelItem(i).text(column) for i in range(widget.topLevelItemCount())]


def test_the_settings_dialog_has_the_page(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "keys-page") as p:
            pane = ChatPane(p.a_bridge)
            dialog = SettingsDialog(p.a_bridge, pane)
            page = dialog.show_page("devices")
            assert isinstance(page, DevicesPage)
            await until(lambda: page.devices.topLevelItemCount() == 1)
            assert _column(page, "devices", 0)[0].endswith("(this computer)")
            assert not page.join_help.isVisible()
            dialog.show()
            page.add_computer_button.click()
            assert page.join_help.isVisible() and "Add this computer" in page.join_help.text()
            pane.deleteLater()

    arun(flow())


def test_a_spare_key_is_added_and_unlocks_after_the_first_is_removed(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "spare") as p:
            await check(p)

    async def check(p: Pair) -> None:
        page = DevicesPage(p.a_bridge)
        page.show()
        await until(lambda: page.keys.topLevelItemCount() == 1)
        first = token_key(chat_relay.worker, p.alice.tokens)
        assert _column(page, "keys", 2) == ["yes"] and _column(page, "keys", 3) == ["unlocks it"]
        page.select_token(first)
        assert not page.remove_key_button.isEnabled()  # never the last key

        page.change_pin_button.click()  # the PIN, through the token layer
        dialog = page.dialog
        assert isinstance(dialog, PinChangeDialog)
        dialog.old.setText("000000")
        dialog.new.setText("252525")
        dialog.again.setText("252526")
        dialog.ok_button.click()
        assert "not the same" in dialog.message.text()
        dialog.again.setText("252525")
        dialog.ok_button.click()
        await until(lambda: "attempts left" in dialog.message.text())
        dialog.old.setText(PIN)
        dialog.new.setText(PIN)  # back to the PIN the rest of the test types
        dialog.again.setText(PIN)
        dialog.ok_button.click()
        await until(lambda: page.status.text() == "The PIN was changed.")

        spare = enrolled_card(p.tmp, chat_relay.worker)
        page.spare_tokens = spare
        asked = _answer_yes(page)
        page.add_key_button.click()
        await until(lambda: page.keys.topLevelItemCount() == 2, timeout=30)
        assert "current key's PIN first" in asked[-1]
        assert "spare key was added" in page.status.text()
        added = token_key(chat_relay.worker, spare)
        assert _column(page, "keys", 2) == ["yes", "no"]  # only the first is plugged in

        page.select_token(first)
        page.remove_key_button.click()
        assert "no longer unlocks Keybound on this computer" in asked[-1]
        await until(lambda: page.keys.topLevelItemCount() == 1, timeout=30)
        assert _column(page, "keys", 0)[0].endswith(added.hex()[:8])
        page.deleteLater()

        alice = p.alice
        await alice.m.lock()
        with pytest.raises(TokenNotFound):  # the first card opens this computer no more
            await alice.m.unlock()
        first_card, alice.tokens.card = alice.tokens.card, spare.card  # the spare goes in
        await alice.m.unlock()
        assert not alice.m.locked
        alice.tokens.card = first_card

    arun(flow(), timeout=120)


def test_the_recovery_code_is_replaced_when_typed_back_and_the_old_one_is_refused(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "recovery") as p:
            await check(p)

    async def check(p: Pair) -> None:
        page = DevicesPage(p.a_bridge)
        page.show()
        page.recovery_button.click()
        dialog = page.dialog
        assert isinstance(dialog, RecoveryDialog)
        await until(lambda: dialog.next_button.isEnabled())
        code = dialog.code.text()
        assert code.count("-") == 6 and code != p.alice.recovery_code
        dialog.next_button.click()
        assert dialog.code.text() == ""  # shown once
        dialog.typed.setText(p.alice.recovery_code)  # the old one is not the new one
        dialog.replace_button.click()
        await until(lambda: "old code still works" in dialog.message.text())
        dialog.typed.setText(code)
        dialog.replace_button.click()
        await until(lambda: "recovery code was replaced" in page.status.text(), timeout=30)
        page.deleteLater()

        await p.alice.m.lock()
        with pytest.raises(WrongRecoveryCode):
            await p.alice.m.unlock_with_recovery(p.alice.recovery_code)
        await p.alice.m.unlock_with_recovery(code)
        assert not p.alice.m.locked

    arun(flow(), timeout=90)


def test_a_second_computer_joining_with_the_same_card_appears_and_is_removed(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "join") as p:
            await check(p)

    async def check(p: Pair) -> None:
        page = DevicesPage(p.a_bridge)
        page.show()
        await until(lambda: page.devices.topLevelItemCount() == 1)
        laptop = await join(p.tmp, p.alice, chat_relay.relay.url, chat_relay.worker)
        try:
            await until(lambda: page.devices.topLevelItemCount() == 2, timeout=30)  # by itself
            names = _column(page, "devices", 0)
            laptop_name = f"Computer {laptop.m.device_id.hex()[:8]}"  # names stay local
            assert laptop_name in names and any("(this computer)" in n for n in names)
            page.select_device(p.alice.m.device_id)
            assert not page.remove_device_button.isEnabled()  # not the one in use
            page.select_device(laptop.m.device_id)
            asked = _answer_yes(page)
            page.remove_device_button.click()
            assert "can no longer sign in" in asked[-1] and laptop_name in asked[-1]
            await until(lambda: page.devices.topLevelItemCount() == 1, timeout=30)
            removed = [d for d in await p.alice.m.devices() if d.removed]
            assert [d.device_id for d in removed] == [laptop.m.device_id]
        finally:
            page.deleteLater()
            await laptop.close()

    arun(flow(), timeout=120)


def test_the_pin_dialog_says_which_of_the_two_keys_it_asks_for(qapp: object) -> None:
    from keybound.client import token_admin
    from keybound.gui.widgets.pin_dialog import PinDialog
    from keybound.token.base import PinKind, TokenKind, TokenRef, Transport
    from keybound.token.prompter import PinRequest

    ref = TokenRef(TokenKind.OPENPGP, Transport.PCSC, "r", "0001", "OpenPGP card (0001)")
    current = PinDialog(PinRequest(ref, PinKind.USER, 3, token_admin.PURPOSE_CURRENT))
    spare = PinDialog(PinRequest(ref, PinKind.USER, 3, token_admin.PURPOSE_SPARE))
    assert "OpenPGP card (0001)" in current.heading.text()
    assert "approve adding a spare key (this is your current key)" in current.heading.text()
    assert "add it as your spare key (this is the new key)" in spare.heading.text()
    current.deleteLater()
    spare.deleteLater()
