"""Screenshots of the app's scenes, rendered by a real X server (Xvfb), for people to look at.

Run as ``xvfb-run -a python -m tests.gui.screenshots OUTDIR`` with
``QT_QPA_PLATFORM=xcb`` (``tests/gui/test_screenshots.py`` does; with
``KEYBOUND_LANG=de`` the scenes come out in German): it builds
each :data:`SCENES` entry against the real engine (a relay process, a real
SQLCipher profile on an in-process virtual card), grabs it to
``OUTDIR/<name>.png`` and writes ``OUTDIR/manifest.json`` with each scene's
size and the texts found in its widget tree, which the test checks.

Adding a scene is a few lines: a function ``async def my_scene(stage) ->
QWidget`` that puts the app into the state to show and returns the widget to
grab, and a :class:`Scene` naming it, its size and the texts it must show.
The wizard's and the chat's scenes go in the same list.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QApplication,
    QWidget,
)

from keybound.backup.values import Phase, Progress
from keybound.demo.relay import EmbeddedRelay
from keybound.gui.app import Shell
from keybound.gui.i18n import ENV_LANG, install_translations
from keybound.gui.loop import application, install_loop
from keybound.gui.settings import SettingsDialog
from keybound.gui.settings.backups import BackupsPage
from keybound.gui.theme import Scheme, Theme
from keybound.gui.widgets.progress import ProgressDialog
from keybound.token.worker import TokenWorker
from tests.client.harness import PIN, Someone, befriend, create
from tests.gui.texts import tree_texts

SIZE = (960, 640)
HELLO = "Are we still on for the hike on Saturday?"
GROUP = "Hikers"  # the group the group scenes show
GROUP_TEXT = "Saturday, 9:00 at the trailhead. Bring water."


@dataclass
class Stage:
    """What scenes build on: the app's theme and one person's unlocked-able profile."""

    theme: Theme
    alice: Someone
    conversation: bytes  # alice's conversation with bob
    shell: Shell | None = None
    extra: list[Any] = field(default_factory=list)
    stranger_link: str = ""  # an invite of someone not yet alice's contact (carol)
    bob: Someone | None = None  # alice's contact, still running (scenes may act as him)

    async def window(self) -> Shell:
        if self.shell is None:
            self.shell = await Shell.start(self.alice.profile, self.alice.options, self.theme)
            assert self.shell is not None
            self.shell.window.resize(*SIZE)
        return self.shell

    async def unlocked(self) -> Shell:
        shell = await self.window()
        window = shell.window
        if window.chat is None:
            window.lock_screen.start_unlock()  # no-op while it is already asking
            await until(lambda: window.prompter.dialog is not None)
            dialog = window.prompter.dialog
            assert dialog is not None
            dialog.field.setText(PIN)
            dialog.accept()
            await until(lambda: window.chat is not None)
            await asyncio.sleep(0.5)  # let the conversation list and messages load
        return shell

    async def locked(self) -> Shell:
        shell = await self.window()
        if shell.window.chat is not None:
            shell.window.lock()
            await until(lambda: shell.window.chat is None)
        return shell


@dataclass(frozen=True)
class Scene:
    name: str
    build: Callable[[Stage], Awaitable[QWidget]]
    size: tuple[int, int] | None  # None: whatever the widget's own size is
    texts: tuple[str, ...]  # must be found in the widget tree
    dark: bool = False


async def until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"screenshot scene: condition not met: {check}")
        await asyncio.sleep(0.02)


# --- the scenes ------------------------------------------------------------------------------


async def lock_screen(stage: Stage) -> QWidget:
    shell = await stage.locked()
    await until(lambda: shell.window.prompter.dialog is not None)
    dialog = shell.window.prompter.dialog
    assert dialog is not None
    dialog.reject()  # the lock screen itself, without the dialog over it
    cancelled = shell.window.lock_screen.tr("Cancelled. Press Unlock to try again.")
    await until(lambda: shell.window.lock_screen.message.text() == cancelled)  # in any language
    return shell.window


async def pin_dialog(stage: Stage) -> QWidget:
    shell = await stage.locked()
    shell.window.lock_screen.start_unlock()
    await until(lambda: shell.window.prompter.dialog is not None)
    dialog = shell.window.prompter.dialog
    assert dialog is not None
    await asyncio.sleep(0.2)
    stage.extra.append(dialog)
    return dialog


async def recovery(stage: Stage) -> QWidget:
    shell = await stage.locked()
    if shell.window.prompter.dialog is not None:
        shell.window.prompter.dialog.reject()
    shell.window.lock_screen.show_recovery()
    return shell.window


async def main_window(stage: Stage) -> QWidget:
    shell = await stage.unlocked()
    chat = shell.window.chat
    assert chat is not None
    chat.open_conversation(stage.conversation)
    await asyncio.sleep(0.5)  # the timeline's first page
    return shell.window


async def offline_bar(stage: Stage) -> QWidget:
    shell = await stage.unlocked()
    chat = shell.window.chat
    assert chat is not None
    chat.open_conversation(stage.conversation)
    shell.window.offline_bar.show_text(
        shell.window.tr("Offline: messages will be sent when the relay is back.")
    )
    return shell.window


async def touch_overlay(stage: Stage) -> QWidget:
    shell = await stage.locked()
    if shell.window.prompter.dialog is not None:
        shell.window.prompter.dialog.reject()
    shell.window.prompter.overlay.start()
    await asyncio.sleep(0.3)
    return shell.window


async def _backups(stage: Stage) -> tuple[SettingsDialog, BackupsPage]:
    shell = await stage.unlocked()
    chat = shell.window.chat
    assert chat is not None
    dialog = chat.menu.open_settings("backups")
    assert isinstance(dialog, SettingsDialog)
    page = dialog.show_page("backups")
    assert isinstance(page, BackupsPage)
    await until(lambda: bool(page.last_run.text()))  # the schedule and keys were read
    return dialog, page


async def backups_page(stage: Stage) -> QWidget:
    dialog, _page = await _backups(stage)
    return dialog


async def backups_progress(stage: Stage) -> QWidget:
    _dialog, page = await _backups(stage)
    progress = ProgressDialog(page.bridge, "create", page.tr("Backing up"), page)
    progress.show()
    progress.show_progress(Progress(Phase.WRITING, 1_200, 4_000, 3_400_000, 0))
    return progress


def close_settings(shell: Shell) -> None:
    chat = shell.window.chat
    for dialog in chat.findChildren(SettingsDialog) if chat is not None else []:
        dialog.close()
        dialog.deleteLater()


async def invite_dialog(stage: Stage) -> QWidget:
    from keybound.gui.contacts.invite import InviteDialog

    chat = (await stage.unlocked()).window.chat
    assert chat is not None
    dialog = chat.menu.open_invite()
    assert isinstance(dialog, InviteDialog)
    await until(lambda: dialog.copy_button.isEnabled())
    return dialog


async def add_dialog(stage: Stage) -> QWidget:
    from keybound.gui.contacts.add import AddContactDialog

    chat = (await stage.unlocked()).window.chat
    assert chat is not None
    dialog = chat.menu.open_add_contact(stage.stranger_link)
    assert isinstance(dialog, AddContactDialog)
    if stage.stranger_link:  # a stage without a stranger shows the empty dialog
        await until(lambda: dialog.preview is not None)
    return dialog


async def contact_page(stage: Stage) -> QWidget:
    from keybound.gui.contacts.contact_page import ContactPage

    chat = (await stage.unlocked()).window.chat
    assert chat is not None
    chat.open_conversation(stage.conversation)
    await until(lambda: chat.header_actions.peer is not None)
    page = chat.header_actions.open_contact()
    assert isinstance(page, ContactPage)
    await until(lambda: page.safety is not None and page.safety.numbers is not None)
    return page


async def emoji_verification(stage: Stage) -> QWidget:
    """Alice compares emoji with Bob: the dialog's compare page (Bob's side is the engine)."""
    from tests.gui.contacts.scenes import emoji_verification as build

    return await build(stage)


async def identity_banner(stage: Stage) -> QWidget:
    """Bob's keys changed after Alice verified him: the banner, sending held."""
    from tests.gui.contacts.scenes import identity_banner as build

    return await build(stage)


async def new_group(stage: Stage) -> QWidget:
    from keybound.gui.groups.new_group import NewGroupDialog

    shell = await stage.unlocked()
    chat = shell.window.chat
    assert chat is not None
    dialog = chat.menu.open_new_group()
    assert isinstance(dialog, NewGroupDialog)
    await until(lambda: dialog.picker.list.count() > 0)
    dialog.name.setText(GROUP)
    bob = next(c for c in await chat.bridge.messenger.contacts() if c.display_name == "bob")
    dialog.picker.choose(bob.identity_id)
    stage.extra.append(dialog)
    return dialog


async def _group(stage: Stage) -> bytes:
    """The group "Hikers" with bob, a timer and a word in it (made once, for the scenes)."""
    from keybound.gui.groups.new_group import NewGroupDialog, show_conversation

    shell = await stage.unlocked()
    chat = shell.window.chat
    assert chat is not None
    for widget in stage.extra:
        if isinstance(widget, NewGroupDialog):
            widget.close()  # the new-group scene's dialog
    m = chat.bridge.messenger
    found = [s for s in await m.conversations() if s.conversation.name == GROUP]
    if found:
        return found[0].conversation.conversation_id
    bob = next(c for c in await m.contacts() if c.display_name == "bob")
    gid = await m.create_group(GROUP, [bob.identity_id])
    await m.set_disappearing(gid, 86400)
    await m.send_text(gid, GROUP_TEXT)
    show_conversation(chat, gid)
    await until(lambda: chat.conversation_id == gid and len(chat.timeline.entries) == 3)
    return gid


async def group_conversation(stage: Stage) -> QWidget:
    await _group(stage)
    shell = await stage.unlocked()
    await asyncio.sleep(0.3)
    return shell.window


async def group_page(stage: Stage) -> QWidget:
    from keybound.gui.groups.group_page import GroupPage

    gid = await _group(stage)
    shell = await stage.unlocked()
    chat = shell.window.chat
    assert chat is not None
    if chat.conversation_id != gid:
        chat.open_conversation(gid)
    page = chat.tools.open_group_page()
    assert isinstance(page, GroupPage)
    await until(lambda: len(page.member_texts()) == 2)
    stage.extra.append(page)
    return page


async def devices_page(stage: Stage) -> QWidget:
    from keybound.gui.settings.devices import DevicesPage

    shell = await stage.unlocked()
    chat = shell.window.chat
    assert chat is not None
    dialog = chat.menu.open_settings("devices")
    page = dialog.findChild(DevicesPage)
    assert page is not None
    await until(lambda: page.keys.topLevelItemCount() > 0)
    page.explain_join()
    stage.extra.append(dialog)
    return dialog


async def settings_page(stage: Stage, key: str) -> QWidget:
    """The settings dialog on page ``key``, its values read from the vault."""
    from keybound.gui.settings import SettingsDialog

    shell = await stage.unlocked()
    chat = shell.window.chat
    assert chat is not None
    dialog = chat.menu.open_settings(key)  # a child of the chat pane; tidy closes it
    assert isinstance(dialog, SettingsDialog)
    await asyncio.sleep(0.5)  # the page reads its values from the engine
    return dialog


async def settings_general(stage: Stage) -> QWidget:
    return await settings_page(stage, "general")


async def settings_privacy(stage: Stage) -> QWidget:
    return await settings_page(stage, "privacy")


async def settings_relay(stage: Stage) -> QWidget:
    return await settings_page(stage, "relay")


SETTINGS_SIZE = (760, 560)

SCENES: list[Scene] = [
    Scene("lock-screen", lock_screen, SIZE, ("Keybound is locked", "Unlock", "Lost your key?")),
    Scene("pin-dialog", pin_dialog, None, ("Unlock", "PIN")),
    Scene("recovery", recovery, SIZE, ("Unlock with recovery code", "Back")),
    Scene("touch-overlay", touch_overlay, SIZE, ("Touch your security key", "Cancel")),
    Scene("main-window", main_window, SIZE, ("bob", HELLO)),
    Scene("offline-bar", offline_bar, SIZE, ("Offline", HELLO)),
    Scene(
        "backups-page",
        backups_page,
        None,
        ("Backups", "Make a backup", "recovery code is not a backup key", "Back up now"),
    ),
    Scene("backups-progress", backups_progress, None, ("Backing up", "1200 of 4000", "Cancel")),
    Scene("main-window-dark", main_window, SIZE, ("bob", HELLO), dark=True),
    Scene("lock-screen-dark", lock_screen, SIZE, ("Keybound is locked",), dark=True),
    Scene("new-group", new_group, None, ("Create group", "Members", GROUP, "bob")),
    Scene(
        "group-conversation",
        group_conversation,
        SIZE,
        (GROUP, "You created the group", "You set disappearing messages to 1 day"),
    ),
    Scene("group-page", group_page, None, (GROUP, "Members", "admin", "Leave group…")),
    Scene("invite", invite_dialog, None, ("Invite someone", "Copy", "Save as PNG…")),
    Scene("add-contact", add_dialog, None, ("Name in the link", "carol", "Relay", "Add")),
    Scene(
        "contact-page",
        contact_page,
        (720, 620),
        ("bob", "Security keys", "OpenPGP card", "Mark as verified", "You"),
    ),
    Scene("emoji-verification", emoji_verification, None, ("They match", "They don't match")),
    Scene("identity-banner", identity_banner, SIZE, ("security keys changed", "Verify again")),
    Scene(
        "settings-devices",
        devices_page,
        (760, 620),
        (
            "Computers",
            "Security keys",
            "Add a spare key",
            "Replace recovery code",
            "Add this computer",
        ),
    ),
    Scene(
        "settings-general",
        settings_general,
        SETTINGS_SIZE,
        (
            "Theme",
            "Font size",
            "Zoom",
            "Language",
            "next time Keybound starts",
            "Save files in",
        ),
    ),
    Scene(
        "settings-privacy",
        settings_privacy,
        SETTINGS_SIZE,
        (
            "Notifications show",
            "Show others when you are typing",
            "Lock when idle",
            "Lock when the security key is removed",
            "Send read receipts",
            "Default timer",
        ),
    ),
    Scene(
        "settings-relay",
        settings_relay,
        SETTINGS_SIZE,
        ("Address", "Certificate (SHA-256)", "Connection", "Connected"),
    ),
]


# --- running ------------------------------------------------------------------------------


async def cast(tmp: Path, relay_url: str, worker: TokenWorker) -> tuple[Someone, Someone, bytes]:
    """Alice (closed: the window opens her profile) and Bob (open), introduced; Bob said
    :data:`HELLO`.  Alice's conversation with Bob comes third."""
    alice = await create(tmp, "alice", relay_url, worker)
    bob = await create(tmp, "bob", relay_url, worker)
    a_conv, b_conv = await befriend(alice, bob)
    await bob.m.send_text(b_conv, HELLO)
    await asyncio.sleep(1.0)
    await alice.close()
    return alice, bob, a_conv


def tidy(stage: Stage, scene: Scene) -> None:
    """Undo what ``scene`` left on top of the window, before the next scene builds."""
    if scene.name == "touch-overlay" and stage.shell is not None:
        stage.shell.window.prompter.overlay.stop()
    if scene.name == "offline-bar" and stage.shell is not None:
        stage.shell.window.offline_bar.hide()
    if scene.name.startswith(("backups-", "settings-")) and stage.shell is not None:
        close_settings(stage.shell)


def widget_texts(root: QWidget) -> list[str]:
    return tree_texts(root)


async def shoot(out_dir: Path, tmp: Path, names: set[str] | None) -> list[dict[str, Any]]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    relay = EmbeddedRelay(tmp / "relay").start()
    worker = TokenWorker()
    theme = Theme(app)
    manifest: list[dict[str, Any]] = []
    try:
        alice, bob, a_conv = await cast(tmp, relay.url, worker)
        carol = await create(tmp, "carol", relay.url, worker)
        stranger_link = await carol.m.invite()
        await carol.close()  # the relay keeps her identity for the Add dialog to check
        stage = Stage(theme, alice, a_conv, stranger_link=stranger_link, bob=bob)
        try:
            for scene in SCENES:
                if names and scene.name not in names:
                    continue
                theme.set_scheme(Scheme.DARK if scene.dark else Scheme.LIGHT)
                widget = await scene.build(stage)
                if scene.size is not None and widget.isWindow():
                    widget.resize(*scene.size)
                await asyncio.sleep(0.3)  # paint
                path = out_dir / f"{scene.name}.png"
                pixmap = widget.grab()
                pixmap.save(str(path))
                manifest.append(
                    {
                        "name": scene.name,
                        "file": path.name,
                        "expected_size": list(scene.size) if scene.size else None,
                        "width": pixmap.width(),
                        "height": pixmap.height(),
                        "device_pixel_ratio": pixmap.devicePixelRatio(),
                        "expected_texts": list(scene.texts),
                        "texts": widget_texts(widget),
                        "platform": QApplication.platformName(),
                    }
                )
                tidy(stage, scene)
        finally:
            if stage.shell is not None:
                await stage.shell.close()
            await bob.close()
    finally:
        worker.stop()
        relay.kill()
    return manifest


def main(argv: list[str]) -> int:
    import tempfile

    out_dir = Path(argv[0]) if argv else Path("build/screenshots")
    names = set(argv[1:]) or None
    out_dir.mkdir(parents=True, exist_ok=True)
    app = application()
    if os.environ.get(ENV_LANG):  # KEYBOUND_LANG=de: the scenes in German, for translators
        install_translations(app)
    loop = install_loop(app)
    with tempfile.TemporaryDirectory(prefix="keybound-shots-") as tmp:
        manifest = loop.run_until_complete(shoot(out_dir, Path(tmp), names))
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    print(f"screenshots: {len(manifest)} scenes written to {out_dir}")
    loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
