"""Screenshot scenes of emoji verification and the identity banner (tests/gui/screenshots.py)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from keybound.gui.contacts.emoji_verification import COMPARE
from tests.client.chain_change import add_spare_token

if TYPE_CHECKING:
    from tests.gui.screenshots import Stage


async def _wait(check: object, timeout: float = 20.0) -> None:
    from tests.gui.screenshots import until

    await until(check, timeout)  # type: ignore[arg-type]


async def emoji_verification(stage: Stage) -> QWidget:
    shell = await stage.unlocked()
    chat, bob = shell.window.chat, stage.bob
    assert chat is not None and bob is not None
    chat.open_conversation(stage.conversation)
    await asyncio.sleep(0.3)
    chat.identity_banner.open_verification()
    dialog = chat.identity_banner.verifications.dialogs[bob.m.identity_id]
    for _ in range(400):  # Bob's engine answers, as his window would
        pending = await bob.m.verification_requests()
        if pending:
            await bob.m.accept_verification(pending[-1].tx)
            break
        await asyncio.sleep(0.05)
    await _wait(lambda: dialog.page == COMPARE)
    stage.extra.append(dialog)
    return dialog


async def identity_banner(stage: Stage) -> QWidget:
    shell = await stage.unlocked()
    chat, bob = shell.window.chat, stage.bob
    assert chat is not None and bob is not None
    for dialog in list(chat.identity_banner.verifications.dialogs.values()):
        dialog.reject()
    chat.open_conversation(stage.conversation)
    await chat.bridge.messenger.verify_contact(bob.m.identity_id)
    await add_spare_token(bob)
    await _wait(lambda: chat.identity_banner.isVisible())
    return shell.window
