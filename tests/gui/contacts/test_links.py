"""``keybound://`` links from the desktop: to a running window through its socket (by a
second start and by the real command line), or to a window that starts with one;
shown in the Add dialog only once unlocked."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from keybound.cli import build_parser
from keybound.client.daemon import DaemonClient
from keybound.commands.gui import link_argv
from keybound.errors import DaemonRequestFailed
from keybound.gui.app import Shell
from keybound.gui.contacts.add import AddContactDialog
from keybound.gui.mainwindow import MainWindow
from tests.client.harness import create
from tests.gui.chat_people import ChatRelay, Pair, people
from tests.gui.conftest import Runner, until
from tests.gui.test_shell import unlock

LINK = "keybound://invite?v=1&relay=wss%3A%2F%2Fr.example&id=AA&fp=BB"


def test_a_bare_link_on_the_command_line_means_the_app() -> None:
    assert link_argv([LINK]) == ["gui", LINK]
    assert link_argv(["--profile", "/p", "-v", LINK]) == ["--profile", "/p", "-v", "gui", LINK]
    assert link_argv(["--profile", "keybound://x"]) == ["--profile", "keybound://x"]
    assert link_argv(["gui", LINK]) == ["gui", LINK]
    assert link_argv(["send", "bob", LINK]) == ["send", "bob", LINK]  # a message text
    assert link_argv(["--", LINK]) == ["--", LINK]
    args = build_parser().parse_args(link_argv(["--profile", "/p", LINK]))
    assert (args.command, args.link) == ("gui", LINK)
    assert build_parser().parse_args(["gui"]).link == ""


def dialogs(window: MainWindow) -> list[AddContactDialog]:
    return [] if window.chat is None else window.chat.findChildren(AddContactDialog)


def test_links_reach_the_running_window_and_wait_for_unlock(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "links", introduced=False) as p:
            await check(p)

    async def check(p: Pair) -> None:
        carol = await create(p.tmp, "carol", chat_relay.relay.url, chat_relay.worker)
        await carol.close()  # the window takes her profile
        bob_link, alice_link = await p.bob.m.invite(), await p.alice.m.invite()

        shell = await Shell.start(carol.profile, carol.options)
        assert shell is not None
        window = shell.window
        raised: list[bool] = []
        window.raised.connect(lambda: raised.append(True))
        try:
            second = await Shell.start(carol.profile, carol.options, link=bob_link)
            assert second is None
            await until(lambda: raised == [True])
            assert shell.links.pending == bob_link and dialogs(window) == []  # locked

            await unlock(window)
            await until(lambda: len(dialogs(window)) == 1)
            add = dialogs(window)[0]
            assert add.link_field.text() == bob_link
            await until(lambda: add.preview is not None)
            assert add.preview is not None and add.preview.identity_id == p.bob.m.identity_id

            # the real command line, as the desktop runs it (Exec=keybound gui %u)
            cli = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "keybound.cli", "--profile", str(carol.profile), alice_link,
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await asyncio.wait_for(cli.communicate(), 60)
            assert cli.returncode == 0, err.decode()
            assert "the link was opened in its window" in out.decode()
            await until(lambda: len(dialogs(window)) == 2)
            newest = dialogs(window)[-1]
            assert newest.link_field.text() == alice_link

            client = await DaemonClient.connect(carol.profile)
            try:
                with pytest.raises(DaemonRequestFailed, match="not a keybound:// link"):
                    await client.call("window.open_link", {"link": "x" * 5000})
            finally:
                await client.close()
            assert len(dialogs(window)) == 2
        finally:
            await shell.close()

        # no app running: it starts with the link and shows it after unlocking
        shell = await Shell.start(carol.profile, carol.options, link=alice_link)
        assert shell is not None
        try:
            assert dialogs(shell.window) == []
            await unlock(shell.window)
            await until(lambda: len(dialogs(shell.window)) == 1)
            assert dialogs(shell.window)[0].link_field.text() == alice_link
        finally:
            await shell.close()

    arun(flow(), 120)
