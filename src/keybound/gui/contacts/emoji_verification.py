"""Emoji verification with a contact, one state per page (after Nheko's
``DeviceVerificationFlow``): waiting for the other side, their request, the seven
emoji with names to compare, waiting for their confirmation, and the end
(verified, they don't match, cancelled, timed out).

``EmojiVerificationDialog(bridge, identity_id, parent)`` asks the contact (or, if
they asked first, answers their pending request) once shown;
:class:`VerificationRequests` opens one by itself, on the request page, when a
contact's request arrives.  The engine does the work (``Messenger.start_verification``
and friends, ``client.verification``); this only paints and forwards.  Closing the
dialog before the end cancels the verification on both sides.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from keybound.client import events as ev
from keybound.client.values import ContactInfo
from keybound.client.verification import MISMATCH, TIMED_OUT, VERIFIED, PendingRequest
from keybound.gui import text
from keybound.gui.bridge import Bridge, describe
from keybound.gui.i18n import QT_TRANSLATE_NOOP

REQUEST, WAITING, COMPARE, CONFIRMED, DONE = range(5)

# The emoji names of the Matrix SAS table, for lupdate (the engine's names are English).
EMOJI_NAMES = (
    QT_TRANSLATE_NOOP("EmojiNames", "Dog"),
    QT_TRANSLATE_NOOP("EmojiNames", "Cat"),
    QT_TRANSLATE_NOOP("EmojiNames", "Lion"),
    QT_TRANSLATE_NOOP("EmojiNames", "Horse"),
    QT_TRANSLATE_NOOP("EmojiNames", "Unicorn"),
    QT_TRANSLATE_NOOP("EmojiNames", "Pig"),
    QT_TRANSLATE_NOOP("EmojiNames", "Elephant"),
    QT_TRANSLATE_NOOP("EmojiNames", "Rabbit"),
    QT_TRANSLATE_NOOP("EmojiNames", "Panda"),
    QT_TRANSLATE_NOOP("EmojiNames", "Rooster"),
    QT_TRANSLATE_NOOP("EmojiNames", "Penguin"),
    QT_TRANSLATE_NOOP("EmojiNames", "Turtle"),
    QT_TRANSLATE_NOOP("EmojiNames", "Fish"),
    QT_TRANSLATE_NOOP("EmojiNames", "Octopus"),
    QT_TRANSLATE_NOOP("EmojiNames", "Butterfly"),
    QT_TRANSLATE_NOOP("EmojiNames", "Flower"),
    QT_TRANSLATE_NOOP("EmojiNames", "Tree"),
    QT_TRANSLATE_NOOP("EmojiNames", "Cactus"),
    QT_TRANSLATE_NOOP("EmojiNames", "Mushroom"),
    QT_TRANSLATE_NOOP("EmojiNames", "Globe"),
    QT_TRANSLATE_NOOP("EmojiNames", "Moon"),
    QT_TRANSLATE_NOOP("EmojiNames", "Cloud"),
    QT_TRANSLATE_NOOP("EmojiNames", "Fire"),
    QT_TRANSLATE_NOOP("EmojiNames", "Banana"),
    QT_TRANSLATE_NOOP("EmojiNames", "Apple"),
    QT_TRANSLATE_NOOP("EmojiNames", "Strawberry"),
    QT_TRANSLATE_NOOP("EmojiNames", "Corn"),
    QT_TRANSLATE_NOOP("EmojiNames", "Pizza"),
    QT_TRANSLATE_NOOP("EmojiNames", "Cake"),
    QT_TRANSLATE_NOOP("EmojiNames", "Heart"),
    QT_TRANSLATE_NOOP("EmojiNames", "Smiley"),
    QT_TRANSLATE_NOOP("EmojiNames", "Robot"),
    QT_TRANSLATE_NOOP("EmojiNames", "Hat"),
    QT_TRANSLATE_NOOP("EmojiNames", "Glasses"),
    QT_TRANSLATE_NOOP("EmojiNames", "Spanner"),
    QT_TRANSLATE_NOOP("EmojiNames", "Santa"),
    QT_TRANSLATE_NOOP("EmojiNames", "Thumbs Up"),
    QT_TRANSLATE_NOOP("EmojiNames", "Umbrella"),
    QT_TRANSLATE_NOOP("EmojiNames", "Hourglass"),
    QT_TRANSLATE_NOOP("EmojiNames", "Clock"),
    QT_TRANSLATE_NOOP("EmojiNames", "Gift"),
    QT_TRANSLATE_NOOP("EmojiNames", "Light Bulb"),
    QT_TRANSLATE_NOOP("EmojiNames", "Book"),
    QT_TRANSLATE_NOOP("EmojiNames", "Pencil"),
    QT_TRANSLATE_NOOP("EmojiNames", "Paperclip"),
    QT_TRANSLATE_NOOP("EmojiNames", "Scissors"),
    QT_TRANSLATE_NOOP("EmojiNames", "Lock"),
    QT_TRANSLATE_NOOP("EmojiNames", "Key"),
    QT_TRANSLATE_NOOP("EmojiNames", "Hammer"),
    QT_TRANSLATE_NOOP("EmojiNames", "Telephone"),
    QT_TRANSLATE_NOOP("EmojiNames", "Flag"),
    QT_TRANSLATE_NOOP("EmojiNames", "Train"),
    QT_TRANSLATE_NOOP("EmojiNames", "Bicycle"),
    QT_TRANSLATE_NOOP("EmojiNames", "Aeroplane"),
    QT_TRANSLATE_NOOP("EmojiNames", "Rocket"),
    QT_TRANSLATE_NOOP("EmojiNames", "Trophy"),
    QT_TRANSLATE_NOOP("EmojiNames", "Ball"),
    QT_TRANSLATE_NOOP("EmojiNames", "Guitar"),
    QT_TRANSLATE_NOOP("EmojiNames", "Trumpet"),
    QT_TRANSLATE_NOOP("EmojiNames", "Bell"),
    QT_TRANSLATE_NOOP("EmojiNames", "Anchor"),
    QT_TRANSLATE_NOOP("EmojiNames", "Headphones"),
    QT_TRANSLATE_NOOP("EmojiNames", "Folder"),
    QT_TRANSLATE_NOOP("EmojiNames", "Pin"),
)


def emoji_name(name: str) -> str:
    """The emoji's name in the person's language (the English names are the Matrix table's)."""
    return QCoreApplication.translate("EmojiNames", name)


def _label(parent: QWidget, words: str = "", *, big: bool = False) -> QLabel:
    label = QLabel(words, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    if big:
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        label.setFont(font)
    return label


class EmojiVerificationDialog(QDialog):
    """Verify one contact by comparing seven emoji in real time."""

    ended = Signal(str)  # the outcome: verified, mismatch, cancelled, timed_out

    def __init__(self, bridge: Bridge, identity_id: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emojiVerification")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.bridge = bridge
        self.identity_id = identity_id
        self.name = identity_id.hex()[:16]
        self.tx: bytes | None = None
        self.outcome: str | None = None
        self.emoji: tuple[tuple[str, str], ...] = ()
        self._answering = False
        self._started = False
        self._exchanging = False  # accepted: keys are being exchanged
        self._closed = False
        self.setWindowTitle(self.tr("Verify with emoji"))
        self.setMinimumWidth(520)

        self.pages = QStackedWidget(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

        # request: they asked us
        page = QWidget(self.pages)
        column = QVBoxLayout(page)
        self.request_text = _label(page, big=True)
        column.addWidget(self.request_text)
        column.addWidget(_label(page, self.tr(
            "Compare emoji only while you can see or hear them: side by side, or on a call "
            "where you recognise their voice."
        )))  # fmt: skip
        row = QHBoxLayout()
        self.decline_button = QPushButton(self.tr("Decline"), page)
        self.accept_button = QPushButton(self.tr("Start comparing"), page)
        self.accept_button.setDefault(True)
        row.addStretch(1)
        row.addWidget(self.decline_button)
        row.addWidget(self.accept_button)
        column.addLayout(row)
        self.pages.addWidget(page)

        # waiting for them to accept
        page = QWidget(self.pages)
        column = QVBoxLayout(page)
        self.waiting_text = _label(page, big=True)
        column.addWidget(self.waiting_text)
        column.addWidget(_label(page, self.tr(
            "They open your conversation and choose Verify, or run "
            "`keybound contact verify <your name> --sas`."
        )))  # fmt: skip
        self.cancel_button = QPushButton(self.tr("Cancel"), page)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        column.addLayout(row)
        self.pages.addWidget(page)

        # compare the emoji
        page = QWidget(self.pages)
        column = QVBoxLayout(page)
        self.compare_text = _label(page, big=True)
        column.addWidget(self.compare_text)
        self.grid = QGridLayout()
        self.emoji_labels: list[tuple[QLabel, QLabel]] = []
        for i in range(7):
            glyph = _label(page)
            font = glyph.font()
            font.setPointSizeF(font.pointSizeF() * 2.6)
            glyph.setFont(font)
            name = _label(page)
            self.grid.addWidget(glyph, 0, i)
            self.grid.addWidget(name, 1, i)
            self.emoji_labels.append((glyph, name))
        column.addLayout(self.grid)
        row = QHBoxLayout()
        self.mismatch_button = QPushButton(self.tr("They don't match"), page)
        self.match_button = QPushButton(self.tr("They match"), page)
        self.compare_cancel = QPushButton(self.tr("Cancel"), page)
        row.addWidget(self.compare_cancel)
        row.addStretch(1)
        row.addWidget(self.mismatch_button)
        row.addWidget(self.match_button)
        column.addLayout(row)
        self.pages.addWidget(page)

        # we confirmed, they have not yet
        page = QWidget(self.pages)
        column = QVBoxLayout(page)
        self.confirmed_text = _label(page, big=True)
        column.addWidget(self.confirmed_text)
        self.pages.addWidget(page)

        # the end
        page = QWidget(self.pages)
        column = QVBoxLayout(page)
        self.done_title = _label(page, big=True)
        self.done_text = _label(page)
        self.done_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.done_text.setAccessibleName(self.tr("What happened"))
        self.close_button = QPushButton(self.tr("Close"), page)
        column.addWidget(self.done_title)
        column.addWidget(self.done_text)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.close_button)
        column.addLayout(row)
        self.pages.addWidget(page)

        for button, tag in (
            (self.accept_button, "accept"), (self.decline_button, "decline"),
            (self.cancel_button, "cancel"), (self.compare_cancel, "cancel"),
            (self.match_button, "match"), (self.mismatch_button, "mismatch"),
            (self.close_button, "close"),
        ):  # fmt: skip
            button.setAccessibleName(button.text())
            button.setObjectName(f"verification-{tag}")
        self.accept_button.clicked.connect(self._accept)
        self.decline_button.clicked.connect(self.reject)
        self.cancel_button.clicked.connect(self.reject)
        self.compare_cancel.clicked.connect(self.reject)
        self.match_button.clicked.connect(self._match)
        self.mismatch_button.clicked.connect(self._mismatch)
        self.close_button.clicked.connect(self.accept)
        bridge.engine_event.connect(self._on_event)
        self._set_texts()
        self.pages.setCurrentIndex(WAITING)
        bridge.run(bridge.messenger.contact(identity_id), done=self._named, failed=lambda _e: None)
        QTimer.singleShot(0, self._begin)

    # --- the interface ------------------------------------------------------------------

    def show_request(self, tx: bytes) -> None:
        """Show the contact's request ``tx`` to accept or decline (instead of asking them)."""
        self._answering, self.tx = True, tx
        self.pages.setCurrentIndex(REQUEST)

    @property
    def page(self) -> int:
        return self.pages.currentIndex()

    # --- steps -----------------------------------------------------------------------------

    def _begin(self) -> None:
        if self._answering or self._started or self._closed or not self.bridge.attached:
            return  # answering a request, or closed before it began
        self._started = True
        self.bridge.run(
            self.bridge.messenger.verification_requests(), done=self._pending, failed=self._failed
        )

    def _pending(self, requests: list[PendingRequest]) -> None:
        theirs = [r for r in requests if r.identity_id == self.identity_id]
        if theirs:  # they asked already: answer them instead of asking back
            self.tx = theirs[-1].tx
            self._accept()
            return
        self.bridge.run(
            self.bridge.messenger.start_verification(self.identity_id),
            done=self._started_tx, failed=self._failed,
        )  # fmt: skip

    def _started_tx(self, tx: bytes) -> None:
        if self._closed and self.bridge.attached:  # closed while asking: call it off
            self.bridge.run(self.bridge.messenger.cancel_verification(tx), failed=lambda _e: None)
        elif self.outcome is None and self.tx is None:
            self.tx = tx

    def _accept(self) -> None:
        if self.tx is None:
            return
        self.pages.setCurrentIndex(WAITING)
        self._exchanging = True
        self._set_texts()
        self.bridge.run(self.bridge.messenger.accept_verification(self.tx), failed=self._failed)

    def _match(self) -> None:
        if self.tx is None:
            return
        self.pages.setCurrentIndex(CONFIRMED)
        self.bridge.run(self.bridge.messenger.confirm_verification(self.tx), failed=self._failed)

    def _mismatch(self) -> None:
        if self.tx is None:
            return
        self.bridge.run(self.bridge.messenger.mismatch_verification(self.tx), failed=self._failed)

    def _failed(self, error: BaseException) -> None:
        self._finish("cancelled", describe(error))

    # --- the engine's side -----------------------------------------------------------------

    def _on_event(self, event: object) -> None:
        if getattr(event, "identity_id", None) != self.identity_id or self.outcome is not None:
            return
        if isinstance(event, ev.VerificationRequested) and event.accepted:
            self.tx = event.tx  # we both started: theirs stands, the engine answered it
            return
        if getattr(event, "tx", None) != self.tx:
            return
        if isinstance(event, ev.VerificationCodes):
            self.show_codes(event.emoji)
        elif isinstance(event, ev.VerificationDone):
            self._finish(event.outcome, event.reason)

    def show_codes(self, emoji: tuple[tuple[str, str], ...]) -> None:
        self.emoji = emoji
        for (glyph, name), (e, n) in zip(self.emoji_labels, emoji, strict=False):
            glyph.setText(e)
            name.setText(emoji_name(n))
            glyph.setAccessibleName(emoji_name(n))
        self.pages.setCurrentIndex(COMPARE)
        self.match_button.setFocus()

    def _finish(self, outcome: str, reason: str) -> None:
        self.outcome = outcome
        if outcome == VERIFIED:
            title = self.tr("%1 is verified").replace("%1", self.name)
            body = self.tr(
                "The emoji matched: nobody sits between you. If their security keys change, "
                "Keybound will tell you."
            )
        elif outcome == MISMATCH:
            title = self.tr("The emoji did not match")
            body = self.tr(
                "Someone may be between you and %1. Do not trust this conversation: meet "
                "them, or call them on a number you know, and compare safety numbers. %1 is "
                "marked as suspect until then."
            ).replace("%1", self.name)
        elif outcome == TIMED_OUT:
            title = self.tr("The verification timed out")
            body = self.tr("Nothing was changed. Start again when you are both ready.")
        else:
            title = self.tr("The verification was cancelled")
            body = reason or self.tr("Nothing was changed.")
        self.done_title.setText(title)
        self.done_text.setText(body)
        self.pages.setCurrentIndex(DONE)
        self.close_button.setFocus()
        self.ended.emit(outcome)

    def _named(self, info: ContactInfo) -> None:
        self.name = text.name(info.display_name) or self.name
        self._set_texts()

    def _set_texts(self) -> None:
        name = self.name
        self.setWindowTitle(self.tr("Verify %1 with emoji").replace("%1", name))
        self.request_text.setText(self.tr("%1 wants to verify with you").replace("%1", name))
        if self._exchanging:
            self.waiting_text.setText(self.tr("Exchanging keys with %1…").replace("%1", name))
        else:
            self.waiting_text.setText(
                self.tr("Waiting for %1 to accept on their device…").replace("%1", name)
            )
        self.compare_text.setText(self.tr(
            "Do these emoji appear on %1's screen, in the same order?"
        ).replace("%1", name))  # fmt: skip
        self.confirmed_text.setText(
            self.tr("Waiting for %1 to confirm on their side…").replace("%1", name)
        )

    # --- leaving early cancels ------------------------------------------------------------

    def reject(self) -> None:
        self._cancel()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._cancel()
        super().closeEvent(event)

    def _cancel(self) -> None:
        self._closed = True
        if self.outcome is None and self.tx is not None and self.bridge.attached:
            self.outcome = "cancelled"
            self.bridge.run(
                self.bridge.messenger.cancel_verification(self.tx), failed=lambda _e: None
            )


class VerificationRequests(QObject):
    """Opens the dialog by itself when a contact asks to verify (one per contact)."""

    opened = Signal(object)  # the EmojiVerificationDialog

    def __init__(self, bridge: Bridge, parent: QWidget) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._parent = parent
        self.dialogs: dict[bytes, EmojiVerificationDialog] = {}
        bridge.engine_event.connect(self._on_event)

    def open_for(self, identity_id: bytes) -> EmojiVerificationDialog:
        """The open dialog with this contact, or a new one asking them."""
        dialog = self.dialogs.get(identity_id)
        if dialog is None or dialog.outcome is not None:
            dialog = self._new(identity_id)
        dialog.show()
        dialog.raise_()
        return dialog

    def _new(self, identity_id: bytes) -> EmojiVerificationDialog:
        dialog = EmojiVerificationDialog(self._bridge, identity_id, self._parent)
        self.dialogs[identity_id] = dialog
        dialog.destroyed.connect(lambda _o=None, i=identity_id, d=dialog: self._gone(i, d))
        self.opened.emit(dialog)
        return dialog

    def _gone(self, identity_id: bytes, dialog: EmojiVerificationDialog) -> None:
        if self.dialogs.get(identity_id) is dialog:
            del self.dialogs[identity_id]

    def _on_event(self, event: object) -> None:
        if not isinstance(event, ev.VerificationRequested) or event.accepted:
            return
        existing = self.dialogs.get(event.identity_id)
        if existing is not None and existing.outcome is None:
            return  # one is open already (it answers theirs by itself when it must)
        dialog = self._new(event.identity_id)
        dialog.show_request(event.tx)
        dialog.show()
