"""The main window: a stack of lock screen / first-run wizard / chat / problem screen.

- Locked (Ctrl+L, the key pulled out, idle time): the chat pane is taken off
  the stack and deleted, the title is just "Keybound", the tray shows no count;
  only the lock screen remains.  Unlocked: a new chat pane is made.
- The relay's absence is a quiet bar ("offline, messages will be sent later"),
  shown only after a short grace so a normal connect does not flash it;
  background ``EngineError`` events and failures go to a dismissable bar.
- A history or vault that cannot be opened (full disk, damaged files) gets a
  screen of its own that says so and offers to try again; never a crash.
- Zoom (Ctrl+= / Ctrl+- / Ctrl+0) and the window geometry are remembered in
  ``<profile>/window.ini``, with the theme, font size and language the lock
  screen needs before unlock (``gui.preferences``); nothing from the vault.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from keybound.client import events as ev
from keybound.client.link import LinkState
from keybound.client.messenger import Messenger, Options
from keybound.gui.bridge import Bridge
from keybound.gui.i18n import QT_TRANSLATE_NOOP
from keybound.gui.lockscreen import LockScreen
from keybound.gui.notify import Notifier
from keybound.gui.preferences import WINDOW_FILE, Preferences
from keybound.gui.prompter import QtPrompter
from keybound.gui.theme import Theme
from keybound.gui.tray import Tray, app_icon
from keybound.gui.views.chat import ChatPane
from keybound.gui.widgets.banner import Banner
from keybound.gui.wizard import FirstRunWizard

OFFLINE_GRACE_MS = 1500
OFFLINE_TEXT = QT_TRANSLATE_NOOP(
    "MainWindow", "Offline: messages will be sent when the relay is back."
)


log = logging.getLogger(__name__)


class ProblemScreen(QWidget):
    """The history or vault cannot be opened: what happened, and what to do."""

    retry = Signal()
    quit = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problem_screen")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel(self.tr("Keybound cannot open your history"), self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text)
        hint = QLabel(
            self.tr(
                "Nothing was changed. Free some disk space or restore the files, then try again."
            ),
            self,
        )
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.retry_button = QPushButton(self.tr("Try again"), self)
        self.retry_button.setAccessibleName(self.tr("Try again"))
        self.retry_button.clicked.connect(self.retry)
        layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignHCenter)
        quit_button = QPushButton(self.tr("Quit"), self)
        quit_button.setAccessibleName(self.tr("Quit Keybound"))
        quit_button.clicked.connect(self.quit)
        layout.addWidget(quit_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def show_text(self, text: str) -> None:
        self.text.setText(text)
        self.text.setAccessibleName(text)


class MainWindow(QMainWindow):
    messenger_ready = Signal(object)  # a Messenger the wizard made (the app serves its socket)
    closing = Signal()  # the person closed the window: the app quits
    raised = Signal()  # another start asked for this window
    chat_shown = Signal()  # unlocked: the chat pane is on screen (a waiting link opens)

    def __init__(
        self,
        bridge: Bridge,
        profile: Path,
        options: Options | None = None,
        theme: Theme | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setWindowTitle(self.tr("Keybound"))
        self.setWindowIcon(app_icon())
        self.bridge = bridge
        self.profile = profile
        self.options = options
        self.theme = theme
        self.chat: ChatPane | None = None
        self.wizard: FirstRunWizard | None = None

        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.offline_bar = Banner("offline_bar", "info", parent=central)
        self.offline_bar.setAccessibleName(self.tr("Connection status"))
        column.addWidget(self.offline_bar)
        self.error_bar = Banner("error_bar", "error", closable=True, parent=central)
        self.error_bar.setAccessibleName(self.tr("Error message"))
        column.addWidget(self.error_bar)
        self.stack = QStackedWidget(central)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.prompter = QtPrompter(self)
        self.lock_screen = LockScreen(bridge, self.prompter, self.stack)
        self.lock_screen.problem.connect(self.show_problem)
        self.stack.addWidget(self.lock_screen)
        self.problem_screen = ProblemScreen(self.stack)
        self.problem_screen.retry.connect(self.show_locked)
        self.problem_screen.quit.connect(self.close)
        self.stack.addWidget(self.problem_screen)

        self.tray = Tray(self)
        self.tray.show_requested.connect(self.raise_window)
        self.tray.lock_requested.connect(self.lock)
        self.tray.quit_requested.connect(self.close)
        self.notifier = Notifier(bridge, self.tray, self)

        self._offline_timer = QTimer(self)
        self._offline_timer.setSingleShot(True)
        self._offline_timer.setInterval(OFFLINE_GRACE_MS)
        self._offline_timer.timeout.connect(self._show_offline)

        bridge.engine_event.connect(self._on_event)
        bridge.failure.connect(self.show_error)
        self._shortcuts()
        self._settings = QSettings(str(profile / WINDOW_FILE), QSettings.Format.IniFormat)
        self._restore()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.show_locked()

    # --- keyboard ------------------------------------------------------------------------

    def _shortcuts(self) -> None:
        def add(keys: QKeySequence | QKeySequence.StandardKey | str, slot: object) -> None:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

        add("Ctrl+L", self.lock)
        if self.theme is not None:
            add(QKeySequence.StandardKey.ZoomIn, self._zoom_in)
            add("Ctrl+=", self._zoom_in)
            add(QKeySequence.StandardKey.ZoomOut, self._zoom_out)
            add("Ctrl+0", self._zoom_reset)

    def _zoom_in(self) -> None:
        assert self.theme is not None
        self.theme.zoom_in()
        self._settings.setValue("zoom", self.theme.zoom)

    def _zoom_out(self) -> None:
        assert self.theme is not None
        self.theme.zoom_out()
        self._settings.setValue("zoom", self.theme.zoom)

    def _zoom_reset(self) -> None:
        assert self.theme is not None
        self.theme.zoom_reset()
        self._settings.setValue("zoom", self.theme.zoom)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Any key or click counts as activity for the idle lock."""
        is_input = event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress)
        if is_input and self.bridge.attached:
            self.bridge.messenger.note_activity()
        return False

    # --- the messenger -------------------------------------------------------------------

    def attach(self, messenger: Messenger) -> None:
        """Show ``messenger``: its lock screen while locked, the chat while unlocked."""
        self.bridge.attach(messenger)
        self._drop_wizard()
        if messenger.locked:
            self.show_locked()
        else:
            self.show_unlocked()

    def show_first_run(self) -> None:
        wizard = FirstRunWizard(self.bridge, self.profile, self.options, self.stack)
        wizard.account_ready.connect(self._account_ready)
        wizard.cancelled.connect(self.close)
        self.wizard = wizard
        self.stack.addWidget(self.wizard)
        self.stack.setCurrentWidget(self.wizard)
        log.info("window: first-run wizard")

    def _account_ready(self, messenger: Messenger) -> None:
        self.attach(messenger)
        self.messenger_ready.emit(messenger)

    def _drop_wizard(self) -> None:
        if self.wizard is not None:
            self.stack.removeWidget(self.wizard)
            self.wizard.deleteLater()
            self.wizard = None

    def lock(self) -> None:
        if self.bridge.attached and not self.bridge.messenger.locked:
            self._blank()
            self.bridge.run(self.bridge.messenger.lock())

    # --- what is on screen ---------------------------------------------------------------

    def _on_event(self, event: object) -> None:
        if isinstance(event, ev.Locked):
            self.show_locked()
        elif isinstance(event, ev.Unlocked):
            self.show_unlocked()
        elif isinstance(event, ev.ConnectionChanged):
            self._connection(event.status.state)
        elif isinstance(event, ev.EngineError):
            self.show_error(event.text)
        self.lock_screen.on_engine_event(event)

    def _blank(self) -> None:
        """Take the history off screen now (the engine's lock follows)."""
        chat, self.chat = self.chat, None
        if chat is not None:
            self.stack.removeWidget(chat)
            chat.hide()
            chat.setParent(None)
            chat.deleteLater()
        self.setWindowTitle(self.tr("Keybound"))
        self.tray.set_locked(True)
        self._offline_timer.stop()
        self.offline_bar.hide()
        self.error_bar.hide()

    def show_locked(self) -> None:
        if self.wizard is not None and not self.bridge.attached:
            return  # first run: the wizard stays
        self._blank()
        self.stack.setCurrentWidget(self.lock_screen)
        log.info("window: lock screen")
        if self.bridge.attached:
            self.lock_screen.activate()

    def show_unlocked(self) -> None:
        if self.chat is not None or not self.bridge.attached or self.bridge.messenger.locked:
            return
        self.prompter.overlay.stop()
        chat = ChatPane(self.bridge, self.stack)
        chat.unread_changed.connect(self._unread)
        self.chat = chat
        self.stack.addWidget(chat)
        self.stack.setCurrentWidget(chat)
        self.tray.set_locked(False)
        chat.focus_composer()
        log.info("window: unlocked")
        self.chat_shown.emit()

    def show_problem(self, text: str) -> None:
        self._blank()
        self.problem_screen.show_text(text)
        self.stack.setCurrentWidget(self.problem_screen)

    def show_error(self, text: str) -> None:
        self.error_bar.show_text(text, hide_after_ms=15000)

    def _unread(self, count: int) -> None:
        if self.chat is None:
            return
        self.tray.set_unread(count)
        title = self.tr("Keybound (%d)") % count if count > 0 else self.tr("Keybound")
        self.setWindowTitle(title)

    def _connection(self, state: LinkState) -> None:
        if state is LinkState.ONLINE:
            self._offline_timer.stop()
            self.offline_bar.hide()
        elif (
            state is LinkState.CONNECTING
            and self.chat is not None
            and not self.offline_bar.isVisible()
            and not self._offline_timer.isActive()
        ):
            self._offline_timer.start()

    def _show_offline(self) -> None:
        if self.chat is not None:
            self.offline_bar.show_text(self.tr(OFFLINE_TEXT))

    def raise_window(self) -> None:
        """Bring the window to the front (a second start, the tray)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
        self.raised.emit()

    # --- geometry ------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self._settings.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(960, 640)
        if self.theme is not None:
            Preferences(self.profile).apply(self.theme)  # theme, font size, zoom

    def save_geometry(self) -> None:
        if self.profile.is_dir():
            self._settings.setValue("geometry", self.saveGeometry())
            self._settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_geometry()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.prompter.close()
        self.tray.hide()
        self.closing.emit()
        super().closeEvent(event)
