"""The Backups page against the real engine: real age files on disk, a real relay process,
a second profile of the same identity (the same virtual card) to restore into."""

from __future__ import annotations

import stat
import time
from pathlib import Path

from PySide6.QtWidgets import QWidget

from keybound.client import events as ev
from keybound.client.backups import Schedule
from keybound.client.messenger import Messenger
from keybound.gui.bridge import Bridge
from keybound.gui.notify import Notifier
from keybound.gui.settings import SettingsDialog
from keybound.gui.settings.backups import BackupsPage
from keybound.gui.tray import Tray
from keybound.gui.widgets.progress import CANCELLED, DONE, FAILED, ProgressDialog
from tests.client.harness import join
from tests.gui.chat_people import ChatRelay, Pair, bulk_history, people
from tests.gui.conftest import Runner, until
from tests.gui.test_wizard import unnamed_focusable

HELLO, REPLY = "the key is under the mat", "thanks, see you at eight"


async def _chat(p: Pair) -> None:
    await p.alice.m.send_text(p.a_conv, HELLO)
    await p.bob.m.send_text(p.b_conv, REPLY)

    async def both() -> bool:
        return len(await p.alice.m.history(p.a_conv, 10)) >= 2

    await until(both, timeout=20)


async def _bodies(messenger: Messenger) -> set[str]:
    out: set[str] = set()
    for summary in await messenger.conversations():
        for m in await messenger.history(summary.conversation.conversation_id, 500):
            out.add(m.body)
    return out


def _page(bridge: Bridge) -> BackupsPage:
    page = BackupsPage(bridge)
    page.resize(720, 900)
    page.show()
    return page


async def _loaded(page: BackupsPage) -> None:
    await until(lambda: bool(page.last_run.text()))


async def _finish(dialog: ProgressDialog | None, outcome: str) -> ProgressDialog:
    assert dialog is not None and dialog.isVisible()
    await until(lambda: dialog.outcome != "", timeout=30)
    assert dialog.outcome == outcome
    return dialog


def test_passphrase_backup_from_the_page_verified_and_restored_into_another_profile(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "backup-restore") as p:
            await check(p)

    async def check(p: Pair) -> None:
        await _chat(p)
        page = _page(p.a_bridge)
        await _loaded(page)
        assert "recovery code is not a backup key" in page.recovery_note.text()
        assert unnamed_focusable(page) == []
        path = p.tmp / "alice.age"
        page.create_file.setText(str(path))

        # A typed passphrase: the two must match, and the engine's strength check refuses.
        page.chooser.use_typed.setChecked(True)
        page.chooser.first.setText("sunshine")
        page.chooser.again.setText("sunshine")
        assert page.create_backup() is None
        assert "too short" in page.create_section.error
        page.chooser.again.setText("sunshine!")
        assert page.create_backup() is None
        assert "differ" in page.create_section.error
        page.chooser.first.setText("aaaaaaaaaaaaaaaa")
        page.chooser.again.setText("aaaaaaaaaaaaaaaa")
        assert page.create_backup() is None
        assert "too easy to guess" in page.create_section.error
        assert not path.exists()

        # The generated one, in groups, once the person says it is kept.
        page.chooser.use_generated.setChecked(True)
        secret = page.chooser.generated
        shown = [label.text().split(". ", 1)[1] for label in page.chooser.labels]
        assert "-".join(shown) == secret and len(shown) == 6
        assert page.create_backup() is None
        assert "Write the passphrase down" in page.create_section.error
        page.chooser.kept.setChecked(True)
        dialog = page.create_backup()
        seen: list[object] = []
        assert dialog is not None
        dialog.progressed.connect(seen.append)
        await _finish(dialog, DONE)
        assert path.exists() and not Path(f"{path}.part").exists()
        assert path.read_bytes().startswith(b"age-encryption.org/v1\n-> scrypt ")
        assert seen, "the dialog showed the engine's progress"
        assert "Backed up 2 messages" in page.create_section.result.text()
        assert page.chooser.generated != secret  # a fresh one for the next backup

        # The same file exists now: refused, nothing overwritten.
        page.chooser.kept.setChecked(True)
        size = path.stat().st_size
        await _finish(page.create_backup(), FAILED)
        assert "exists already" in page.create_section.error and path.stat().st_size == size

        # Verify with the passphrase.
        page.check_file.setText(str(path))
        page.check_passphrase.setText(secret)
        await _finish(page.verify_backup(), DONE)
        assert "complete and intact" in page.check_section.result.text()
        assert "2 messages" in page.check_section.result.text()

        # A wrong passphrase: its own sentence, and the history is as it was.
        before = await _bodies(p.alice.m)
        page.check_passphrase.setText("not the passphrase at all 42")
        await _finish(page.restore_backup(), FAILED)
        assert "Wrong backup passphrase" in page.check_section.error
        assert await _bodies(p.alice.m) == before

        # Restored into a second profile of the same identity (the same card).
        newer = await join(p.tmp, p.alice, chat_relay.relay.url, chat_relay.worker)
        bridge = Bridge()
        bridge.attach(newer.m)
        try:
            other = _page(bridge)
            await _loaded(other)
            assert HELLO not in await _bodies(newer.m)
            other.check_file.setText(str(path))
            other.check_passphrase.setText(secret)
            restored: list[ev.HistoryRestored] = []
            bridge.engine_event.connect(
                lambda e: restored.append(e) if isinstance(e, ev.HistoryRestored) else None
            )
            await _finish(other.restore_backup(), DONE)
            assert "Restored: 2 messages added" in other.check_section.result.text()
            assert {HELLO, REPLY} <= await _bodies(newer.m)
            assert restored and restored[0].summary.added.messages == 2
            # Again: merged by message ID, nothing twice.
            other.check_passphrase.setText(secret)
            await _finish(other.restore_backup(), DONE)
            assert "0 messages added (2 were here already)" in other.check_section.result.text()
            other.deleteLater()
        finally:
            await bridge.shutdown()
            await newer.close()
        page.deleteLater()

    arun(flow(), timeout=180)


def test_cancel_mid_backup_leaves_no_file_and_the_window_keeps_running(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "backup-cancel") as p:
            await check(p)

    async def check(p: Pair) -> None:
        count = 40_000
        await bulk_history(p.alice.m, p.a_conv, p.bob.m.identity_id, count, 1_600_000_000_000)
        page = _page(p.a_bridge)
        await _loaded(page)
        path = p.tmp / "cancelled.age"
        page.create_file.setText(str(path))
        page.chooser.kept.setChecked(True)
        dialog = page.create_backup()
        assert dialog is not None
        shown: list[object] = []

        def first_progress(progress: object) -> None:
            shown.append(progress)
            if len(shown) == 1:
                dialog.cancel_button.click()  # as a person would, mid-way

        dialog.progressed.connect(first_progress)
        await _finish(dialog, CANCELLED)
        assert shown and dialog.last is not None
        assert 0 < dialog.last.messages_done < dialog.last.messages_total == count
        assert not path.exists() and not Path(f"{path}.part").exists()
        assert list(p.tmp.glob("cancelled*")) == []
        assert "Cancelled" in page.create_section.error
        # Escape (or closing the dialog) cancels too, and the dialog stays until it has.
        page.chooser.kept.setChecked(True)
        escaped = page.create_backup()
        assert escaped is not None
        escaped.reject()
        assert escaped.isVisible() and escaped.status.text() == "Cancelling…"
        await _finish(escaped, CANCELLED)
        assert list(p.tmp.glob("cancelled*")) == []
        # The engine is free again: the next backup goes through.
        page.chooser.kept.setChecked(True)
        await _finish(page.create_backup(), DONE)
        assert path.exists()
        page.deleteLater()

    arun(flow(), timeout=180)


def test_export_schedule_keys_and_the_failed_automatic_backup_notification(
    chat_relay: ChatRelay, arun: Runner
) -> None:
    async def flow() -> None:
        async with people(chat_relay, "backup-export") as p:
            await check(p)

    async def check(p: Pair) -> None:
        await _chat(p)
        page = _page(p.a_bridge)
        await _loaded(page)
        assert "NOT encrypted" in page.export_warning.text() and page.export_warning.isVisible()

        # A readable copy: a new 0700 folder with an HTML page holding the messages.
        folder = p.tmp / "export"
        page.export_folder.setText(str(folder))
        assert page.export_format.currentData() == "html"
        await _finish(page.export_history(), DONE)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        pages = list(folder.rglob("*.html"))
        assert pages and any(HELLO in f.read_text() for f in pages)
        assert "not encrypted" in page.export_section.result.text()
        await _finish(page.export_history(), FAILED)  # the folder exists now
        assert "exists already" in page.export_section.error

        # The schedule: refused without a folder; saved (enrolling the plugged-in card as
        # the first backup key); stored in the vault, so it is there after a reopen.
        assert page.last_run.text() == "No automatic backup has run yet."
        assert page.key_list.count() == 0 and page.no_keys.isVisible()
        page.every.setValue(3)
        page.schedule_folder.setText("")
        page.save_schedule()
        await until(lambda: bool(page.schedule_section.error))
        assert "need a folder" in page.schedule_section.error
        auto = p.tmp / "auto"
        page.schedule_folder.setText(str(auto))
        page.keep.setValue(4)
        page.save_schedule()
        await until(lambda: "every 3 days" in page.schedule_section.result.text(), timeout=20)
        await until(lambda: page.key_list.count() == 1)
        assert "smartcard" in page.key_list.item(0).text()
        assert page.key_list.item(0).toolTip().startswith("age1")
        page.deleteLater()

        await p.alice.close()
        await p.alice.open()
        p.a_bridge.attach(p.alice.m)
        page = _page(p.a_bridge)
        await until(lambda: page.every.value() == 3)
        assert page.keep.value() == 4 and page.schedule_folder.text() == str(auto)
        assert page.key_list.count() == 1

        # A backup to the backup keys: no passphrase; the card opens it again.
        to_card = p.tmp / "to-card.age"
        page.to_keys.setChecked(True)
        assert not page.chooser.isVisible()
        page.create_file.setText(str(to_card))
        await _finish(page.create_backup(), DONE)
        assert to_card.read_bytes().split(b"\n")[1].startswith(b"-> X25519 ")
        page.check_file.setText(str(to_card))
        page.check_passphrase.setText("typed by mistake, ignored for a key backup")
        await _finish(page.verify_backup(), DONE)
        assert "2 messages" in page.check_section.result.text()

        # Adding the same card again keeps one entry; removing it empties the list.
        page.add_key()
        await until(lambda: "Added" in page.keys_section.result.text(), timeout=20)
        assert page.key_list.count() == 1
        page.key_list.setCurrentRow(0)
        page.remove_key()
        await until(lambda: page.key_list.count() == 0)
        assert (await p.alice.m.backup_keys()) == []

        # When the last automatic backup ran, as the engine reports it (local time).
        page._show_state((Schedule(1, str(auto), 4, 1_700_000_000_000), []))
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(1_700_000_000))
        assert page.last_run.text() == f"Last automatic backup: {when}."

        # A failed automatic backup reaches the desktop as a notification and the page.
        window = QWidget()
        notifier = Notifier(p.a_bridge, Tray(window), window)
        notes: list[tuple[str, str]] = []
        notifier.shown.connect(lambda title, body: notes.append((title, body)))
        text = "Automatic backup failed: No space left on device."
        p.a_bridge.engine_event.emit(ev.BackupFailed(text, True))
        p.a_bridge.engine_event.emit(ev.BackupFailed("a manual one", False))
        assert notes == [("Automatic backup failed", text)]
        assert page.schedule_section.error == text
        page.deleteLater()
        window.deleteLater()

    arun(flow(), timeout=180)


def test_the_settings_dialog_lists_the_backups_page(chat_relay: ChatRelay, arun: Runner) -> None:
    async def flow() -> None:
        async with people(chat_relay, "backup-dialog") as p:
            dialog = SettingsDialog(p.a_bridge)
            page = dialog.show_page("backups")
            assert isinstance(page, BackupsPage)
            assert dialog.titles.currentItem().text() == "Backups"
            await _loaded(page)
            dialog.deleteLater()

    arun(flow(), timeout=60)
