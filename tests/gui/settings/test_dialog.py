"""The main menu opens the settings dialog; its pages are built against the real engine."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from keybound import __version__
from keybound.gui.settings import SettingsDialog
from keybound.gui.settings.about import AboutPage, grouped_hex
from keybound.gui.views.chat import ChatPane
from tests.gui.chat_people import ChatRelay, Pair, people
from tests.gui.conftest import Runner, until


def test_grouped_hex_reads_in_fours() -> None:
    assert grouped_hex(bytes.fromhex("0123456789")) == "0123 4567 89"


def test_menu_opens_settings_and_lock_closes_it(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "settings") as p:
            await check(p)

    async def check(p: Pair) -> None:
        pane = ChatPane(p.a_bridge)
        pane.show()
        assert pane.menu.settings_action.text() == "Settings…"
        pane.menu.settings_action.trigger()
        dialog = pane.findChild(SettingsDialog)
        assert dialog is not None and dialog.isVisible()
        about = dialog.show_page("about")
        assert isinstance(about, AboutPage)
        values = {k: v.text() for k, v in about.values.items()}
        assert values["Version"] == f"Keybound {__version__}"
        assert values["Identity"].replace(" ", "") == p.alice.m.identity_id.hex()
        assert values["Profile folder"] == str(p.alice.m.profile.root)
        pane.deleteLater()  # what locking does: the dialog goes with the pane
        await until(
            lambda: not any(isinstance(w, SettingsDialog) for w in QApplication.topLevelWidgets())
        )

    arun(flow())
