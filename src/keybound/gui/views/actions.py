"""What a person can do to one message: reply, react, edit, delete, copy, info, files.

The context menu and the keyboard shortcuts of the timeline both come here, so
each action has one implementation and is reachable without a mouse.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from keybound.client import settings as cfg
from keybound.client.chatview import TimelineEntry
from keybound.client.values import AttachmentState, MessageStatus, Receipt
from keybound.gui import text
from keybound.gui.bridge import Bridge
from keybound.gui.i18n import translate
from keybound.gui.preferences import download_folder
from keybound.gui.views.composer import Composer
from keybound.gui.views.emoji import EmojiPicker
from keybound.gui.views.info import MessageInfo
from keybound.gui.views.timeline import TimelineView


def unique_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/name (2)`` ... if that exists already."""
    safe = Path(name).name or "file"
    candidate = folder / safe
    stem, suffix = Path(safe).stem, Path(safe).suffix
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem} ({n}){suffix}"
        n += 1
    return candidate


class MessageActions:
    """The actions of the timeline's current message, as QActions on the view."""

    def __init__(self, bridge: Bridge, view: TimelineView, composer: Composer) -> None:
        self.bridge = bridge
        self.view = view
        self.composer = composer
        self.confirm_delete: Callable[[], bool] = self._ask_delete
        self.info: MessageInfo | None = None
        self.picker: EmojiPicker | None = None
        self.actions: dict[str, QAction] = {}
        specs: list[tuple[str, str, QKeySequence | str, Callable[[TimelineEntry], None]]] = [
            ("reply", translate("MessageActions", "Reply"), "R", self.reply),
            ("react", translate("MessageActions", "React…"), "+", self.react),
            ("edit", translate("MessageActions", "Edit"), "E", self.edit),
            ("delete", translate("MessageActions", "Delete for everyone"),
             QKeySequence(QKeySequence.StandardKey.Delete), self.delete),
            ("copy", translate("MessageActions", "Copy text"),
             QKeySequence(QKeySequence.StandardKey.Copy), self.copy),
            ("info", translate("MessageActions", "Message info"), "I", self.show_info),
            ("retry", translate("MessageActions", "Retry sending"), "Ctrl+R", self.retry),
            ("open", translate("MessageActions", "Open file"), "O", self.open_file),
            ("save", translate("MessageActions", "Save file as…"),
             QKeySequence(QKeySequence.StandardKey.Save), self.save_file),
        ]  # fmt: skip
        for name, label, keys, run in specs:
            action = QAction(label, view)
            action.setObjectName(f"action-{name}")
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(lambda _=False, r=run: self._on_current(r))
            view.addAction(action)
            self.actions[name] = action
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self.menu_at)
        view.attachment_activated.connect(self.open_file)
        view.retry_requested.connect(lambda mid: self._run(self.bridge.messenger.retry(mid)))
        view.reaction_clicked.connect(self.toggle_reaction)

    def _on_current(self, run: Callable[[TimelineEntry], None]) -> None:
        entry = self.view.current_entry()
        if entry is not None and self.allowed(entry).get(run.__name__, True):
            run(entry)

    def _run(self, work: Coroutine[Any, Any, object]) -> None:
        self.bridge.run(work)

    def allowed(self, entry: TimelineEntry) -> dict[str, bool]:
        m = entry.message
        live = not m.deleted and entry.system is None  # a system line takes no actions
        own_text = m.outgoing and live and m.content_type == "text"
        has_file = live and bool(entry.attachments)
        return {
            "reply": live, "react": live, "edit": own_text, "delete": m.outgoing and live,
            "copy": live and bool(m.body), "show_info": True,
            "retry": m.outgoing and m.status is MessageStatus.FAILED,
            "open_file": has_file, "save_file": has_file,
        }  # fmt: skip

    def menu_at(self, pos: QPoint) -> QMenu | None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            index = self.view.currentIndex()
            if not index.isValid():
                return None
            pos = self.view.visualRect(index).center()
        self.view.setCurrentIndex(index)
        entry = self.view.current_entry()
        if entry is None:
            return None
        menu = QMenu(self.view)
        menu.setAccessibleName(translate("MessageActions", "Message actions"))
        allowed = self.allowed(entry)
        keys = {"show_info": "info", "open_file": "open", "save_file": "save"}
        for name in ("reply", "react", "edit", "delete", "copy", "show_info", "retry",
                     "open_file", "save_file"):  # fmt: skip
            if allowed[name]:
                menu.addAction(self.actions[keys.get(name, name)])
        menu.popup(self.view.viewport().mapToGlobal(pos))
        return menu

    # --- the actions -------------------------------------------------------------------

    def reply(self, entry: TimelineEntry) -> None:
        self.composer.start_reply(entry)

    def edit(self, entry: TimelineEntry) -> None:
        self.composer.start_edit(entry)

    def react(self, entry: TimelineEntry) -> None:
        picker = EmojiPicker(self.view)
        self.picker = picker
        mid = entry.message.message_id
        picker.picked.connect(lambda e: self._run(self.bridge.messenger.react(mid, e)))
        row = self.view.timeline.row_of(mid)
        rect = self.view.visualRect(self.view.model().index(row, 0))
        picker.popup(self.view.viewport().mapToGlobal(rect.bottomLeft()))

    def toggle_reaction(self, message_id: bytes, emoji: str) -> None:
        row = self.view.timeline.row_of(message_id)
        entry = self.view.timeline.entry(row)
        if entry is None:
            return
        me = self.bridge.messenger.identity_id
        mine = any(r.sender_identity == me and r.emoji == emoji for r in entry.reactions)
        self._run(self.bridge.messenger.react(message_id, emoji, remove=mine))

    def _ask_delete(self) -> bool:
        answer = QMessageBox.question(
            self.view, translate("MessageActions", "Delete for everyone"),
            translate("MessageActions", "Delete this message for everyone in the conversation?"),
        )  # fmt: skip
        return answer == QMessageBox.StandardButton.Yes

    def delete(self, entry: TimelineEntry) -> None:
        if self.confirm_delete():
            self._run(self.bridge.messenger.delete_for_everyone(entry.message.message_id))

    def copy(self, entry: TimelineEntry) -> None:
        QGuiApplication.clipboard().setText(text.plain(entry.message.body or ""))

    def retry(self, entry: TimelineEntry) -> None:
        self._run(self.bridge.messenger.retry(entry.message.message_id))

    def show_info(self, entry: TimelineEntry) -> None:
        messenger = self.bridge.messenger
        mid = entry.message.message_id

        async def work() -> tuple[list[Receipt], dict[bytes, str]]:
            receipts = await messenger.receipts(mid)
            names = {c.identity_id: c.display_name for c in await messenger.contacts()}
            names[messenger.identity_id] = translate("MessageActions", "your other device")
            return receipts, names

        def done(result: tuple[list[Receipt], dict[bytes, str]]) -> None:
            receipts, names = result
            self.info = MessageInfo(entry, receipts, names, self.view)
            self.info.show()

        self.bridge.run(work(), done=done)

    def open_file(self, entry: TimelineEntry) -> None:
        if not entry.attachments:
            return
        a = entry.attachments[0]
        if a.local_state is AttachmentState.LOCAL and a.local_path and Path(a.local_path).exists():
            QDesktopServices.openUrl(QUrl.fromLocalFile(a.local_path))
            return
        self.download_to_folder(entry, open_after=True)

    def download_to_folder(self, entry: TimelineEntry, *, open_after: bool = False) -> None:
        """Into the download folder of the settings (else the system's), under a free name."""
        if not entry.attachments:
            return
        name = entry.attachments[0].file_name or "file"

        def chosen(setting: object) -> None:
            folder = download_folder(str(setting))
            folder.mkdir(parents=True, exist_ok=True)
            self.download(entry, unique_path(folder, name), open_after=open_after)

        self.bridge.run(self.bridge.messenger.setting(cfg.DOWNLOAD_FOLDER), done=chosen)

    def save_file(self, entry: TimelineEntry) -> None:
        if not entry.attachments:
            return
        name, _ = QFileDialog.getSaveFileName(
            self.view,
            translate("MessageActions", "Save file as"),
            entry.attachments[0].file_name or "file",
        )
        if name:
            self.download(entry, Path(name))

    def download(self, entry: TimelineEntry, dest: Path, *, open_after: bool = False) -> None:
        """Fetch, check and decrypt into ``dest`` (the row shows the progress)."""

        def done(path: Path) -> None:
            self.view.timeline.refresh(entry.message.message_id)
            if open_after:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

        self.bridge.run(self.bridge.messenger.download(entry.message.message_id, dest), done=done)
