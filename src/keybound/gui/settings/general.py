"""The general settings: "General" (appearance, language, downloads) and "Privacy &
notifications" (what notifications show, locking, receipts, the default timer).

Every change applies at once and is kept at once: the vault's settings through
``Messenger.set_setting`` (which applies them to the running session), and
the few the lock screen needs before unlock (theme, font size, zoom,
language) in the profile's ``window.ini`` (:mod:`keybound.gui.preferences`).
A value the engine refuses goes back to what is stored, with the sentence why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from keybound.client import settings as cfg
from keybound.gui.bridge import Bridge, describe
from keybound.gui.i18n import QT_TRANSLATE_NOOP
from keybound.gui.preferences import Preferences, download_folder
from keybound.gui.theme import ZOOM_STEPS, ThemeMode, active_theme

Value = bool | int | str
FONT_SIZES = (9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 16.0, 18.0)
IDLE_CHOICES = (0, 60, 300, 900, 1800, 3600, 14400)  # seconds; 0: never
TIMER_CHOICES = (0, 300, 3600, 28800, 86400, 604800, 2419200)  # seconds; 0: messages stay


def _tr(text: str, n: int = -1) -> str:
    return QCoreApplication.translate("GeneralSettings", text, None, n)


# (seconds, one, many): marked for translation here, translated when shown
_UNITS = (
    (
        604800,
        QT_TRANSLATE_NOOP("GeneralSettings", "1 week"),
        QT_TRANSLATE_NOOP("GeneralSettings", "%n weeks"),
    ),
    (
        86400,
        QT_TRANSLATE_NOOP("GeneralSettings", "1 day"),
        QT_TRANSLATE_NOOP("GeneralSettings", "%n days"),
    ),
    (
        3600,
        QT_TRANSLATE_NOOP("GeneralSettings", "1 hour"),
        QT_TRANSLATE_NOOP("GeneralSettings", "%n hours"),
    ),
    (
        60,
        QT_TRANSLATE_NOOP("GeneralSettings", "1 minute"),
        QT_TRANSLATE_NOOP("GeneralSettings", "%n minutes"),
    ),
    (
        1,
        QT_TRANSLATE_NOOP("GeneralSettings", "1 second"),
        QT_TRANSLATE_NOOP("GeneralSettings", "%n seconds"),
    ),
)


def duration(seconds: int) -> str:
    """``seconds`` as people say it: "5 minutes", "1 hour", "4 weeks"."""
    for unit, one, many in _UNITS:
        if seconds >= unit and seconds % unit == 0:
            n = seconds // unit
            return _tr(one) if n == 1 else _tr(many, n)
    return _tr("%n seconds", seconds)


class VaultSettings(QObject):
    """The vault settings a page shows: read once, each change written at once."""

    loaded = Signal(dict)  # key -> value, once read
    saved = Signal(str)  # the key just written
    refused = Signal(str, str)  # key, the sentence why (the control shows the stored value again)

    def __init__(self, bridge: Bridge, keys: Sequence[str], parent: QObject) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.keys = tuple(keys)
        self.values: dict[str, Value] = {}

    def load(self) -> None:
        async def read() -> dict[str, Value]:
            m = self.bridge.messenger
            return {key: await m.setting(key) for key in self.keys}

        self.bridge.run(read(), done=self._loaded)

    def _loaded(self, values: dict[str, Value]) -> None:
        self.values = values
        self.loaded.emit(values)

    def write(self, key: str, value: Value) -> None:
        def done(_result: None) -> None:
            self.values[key] = value
            self.saved.emit(key)

        self.bridge.run(
            self.bridge.messenger.set_setting(key, value),
            done=done,
            failed=lambda error: self.refused.emit(key, describe(error)),
        )


def choices(parent: QWidget, name: str, items: Sequence[tuple[str, object]]) -> QComboBox:
    combo = QComboBox(parent)
    combo.setObjectName(name)
    for label, value in items:
        combo.addItem(label, value)
    return combo


def select(combo: QComboBox, value: object, label: Callable[[], str] | None = None) -> None:
    """Show ``value`` without signalling a change (added as an item if it is not one)."""
    combo.blockSignals(True)
    try:
        index = combo.findData(value)
        if index < 0 and label is not None:
            combo.addItem(label(), value)
            index = combo.count() - 1
        combo.setCurrentIndex(max(index, 0))
    finally:
        combo.blockSignals(False)


def _hint(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setEnabled(False)  # drawn in the quieter, disabled colour
    return label


class _Page(QWidget):
    """A page with a line for refusals at the bottom."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.column = QVBoxLayout(self)
        self.error = QLabel(self)
        self.error.setObjectName("settingsError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()

    def finish(self) -> None:
        self.column.addWidget(self.error)
        self.column.addStretch(1)

    def show_refusal(self, _key: str, text: str) -> None:
        self.error.setText(text)
        self.error.setAccessibleName(text)
        self.error.show()


class GeneralPage(_Page):
    """Theme, font size and zoom; language; where downloads go."""

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.preferences = Preferences(bridge.messenger.profile.root)
        self.theme = active_theme()
        self.vault = VaultSettings(bridge, (cfg.DOWNLOAD_FOLDER,), self)

        look = QGroupBox(self.tr("Appearance"), self)
        form = QFormLayout(look)
        self.theme_choice = choices(look, "themeChoice", [
            (self.tr("Same as the system"), ThemeMode.SYSTEM.value),
            (self.tr("Light"), ThemeMode.LIGHT.value),
            (self.tr("Dark"), ThemeMode.DARK.value),
        ])  # fmt: skip
        self.theme_choice.setAccessibleName(self.tr("Theme"))
        form.addRow(self.tr("Theme"), self.theme_choice)
        sizes: list[tuple[str, object]] = [(self.tr("System default"), 0.0)]
        sizes += [(self.tr("%1 pt").replace("%1", f"{s:g}"), s) for s in FONT_SIZES]
        self.font_choice = choices(look, "fontSizeChoice", sizes)
        self.font_choice.setAccessibleName(self.tr("Font size"))
        form.addRow(self.tr("Font size"), self.font_choice)
        zooms = [(f"{round(z * 100)} %", z) for z in ZOOM_STEPS]
        self.zoom_choice = choices(look, "zoomChoice", zooms)
        self.zoom_choice.setAccessibleName(self.tr("Zoom"))
        form.addRow(self.tr("Zoom"), self.zoom_choice)
        form.addRow(_hint(self.tr("Ctrl+= and Ctrl+- zoom in and out anywhere."), look))
        self.column.addWidget(look)

        words = QGroupBox(self.tr("Language"), self)
        form = QFormLayout(words)
        self.language_choice = choices(words, "languageChoice", [
            (self.tr("Same as the system"), ""),
            ("English", "en"),
            ("Deutsch", "de"),
        ])  # fmt: skip
        self.language_choice.setAccessibleName(self.tr("Language"))
        form.addRow(self.tr("Language"), self.language_choice)
        self.language_note = _hint(
            self.tr("A new language takes effect the next time Keybound starts."), words
        )
        form.addRow(self.language_note)
        self.column.addWidget(words)

        files = QGroupBox(self.tr("Downloads"), self)
        form = QFormLayout(files)
        self.folder = QLabel(files)
        self.folder.setObjectName("downloadFolder")
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder.setWordWrap(True)
        self.folder.setAccessibleName(self.tr("Download folder"))
        form.addRow(self.tr("Save files in"), self.folder)
        buttons = QHBoxLayout()
        self.choose_button = QPushButton(self.tr("Choose folder…"), files)
        self.choose_button.setAccessibleName(self.tr("Choose the download folder"))
        self.system_button = QPushButton(self.tr("Use the system's folder"), files)
        self.system_button.setAccessibleName(self.tr("Use the system's download folder"))
        buttons.addWidget(self.choose_button)
        buttons.addWidget(self.system_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        self.column.addWidget(files)
        self.finish()

        self._show_look()
        select(self.language_choice, self.preferences.language or "")
        for control in (self.choose_button, self.system_button):
            control.setEnabled(False)  # until the vault's value is read
        self.theme_choice.currentIndexChanged.connect(self._theme_chosen)
        self.font_choice.currentIndexChanged.connect(self._font_chosen)
        self.zoom_choice.currentIndexChanged.connect(self._zoom_chosen)
        self.language_choice.currentIndexChanged.connect(self._language_chosen)
        self.choose_button.clicked.connect(self._ask_folder)
        self.system_button.clicked.connect(lambda: self.set_download_folder(""))
        if self.theme is not None:
            self.theme.font_changed.connect(self._show_look)  # Ctrl+= while the page is open
        self.vault.loaded.connect(self._loaded)
        self.vault.saved.connect(lambda _key: self._show_folder())
        self.vault.refused.connect(self.show_refusal)
        self.vault.refused.connect(lambda _k, _t: self._show_folder())
        self.vault.load()

    # --- appearance (window.ini, applied to the app's Theme) ---------------------------

    def _show_look(self) -> None:
        select(self.theme_choice, self.preferences.theme_mode.value)
        size = self.theme.font_size if self.theme is not None else self.preferences.font_size
        select(self.font_choice, size, lambda: self.tr("%1 pt").replace("%1", f"{size:g}"))
        zoom = self.theme.zoom if self.theme is not None else self.preferences.zoom
        select(self.zoom_choice, zoom)

    def _theme_chosen(self) -> None:
        mode = ThemeMode(self.theme_choice.currentData())
        self.preferences.set_theme_mode(mode)
        if self.theme is not None:
            self.theme.set_mode(mode)

    def _font_chosen(self) -> None:
        size = float(self.font_choice.currentData())
        self.preferences.set_font_size(size)
        if self.theme is not None:
            self.theme.set_font_size(size)

    def _zoom_chosen(self) -> None:
        zoom = float(self.zoom_choice.currentData())
        self.preferences.set_zoom(zoom)
        if self.theme is not None:
            self.theme.set_zoom(zoom)

    def _language_chosen(self) -> None:
        self.preferences.set_language(self.language_choice.currentData() or None)

    # --- downloads (the vault) ---------------------------------------------------------

    def _loaded(self, _values: dict[str, Value]) -> None:
        for control in (self.choose_button, self.system_button):
            control.setEnabled(True)
        self._show_folder()

    def _show_folder(self) -> None:
        chosen = str(self.vault.values.get(cfg.DOWNLOAD_FOLDER, ""))
        where = str(download_folder(chosen))
        self.folder.setText(where if chosen else self.tr("%1 (the system's)").replace("%1", where))
        self.system_button.setEnabled(bool(chosen))

    def _ask_folder(self) -> None:
        start = str(download_folder(str(self.vault.values.get(cfg.DOWNLOAD_FOLDER, ""))))
        chosen = QFileDialog.getExistingDirectory(self, self.tr("Save downloads in"), start)
        if chosen:
            self.set_download_folder(chosen)

    def set_download_folder(self, folder: str) -> None:
        """Downloads go to ``folder`` from now on ("": the system's download folder)."""
        self.error.hide()
        self.vault.write(cfg.DOWNLOAD_FOLDER, str(Path(folder).absolute()) if folder else "")


class PrivacyPage(_Page):
    """What notifications show, when Keybound locks, receipts and typing, the default timer."""

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        keys = (
            cfg.NOTIFICATIONS, cfg.IDLE_LOCK_SECONDS, cfg.LOCK_ON_TOKEN_REMOVAL,
            cfg.READ_RECEIPTS, cfg.TYPING_INDICATORS, cfg.DEFAULT_TIMER,
        )  # fmt: skip
        self.vault = VaultSettings(bridge, keys, self)

        notes = QGroupBox(self.tr("Notifications"), self)
        form = QFormLayout(notes)
        self.notify_choice = choices(notes, "notifyChoice", [
            (self.tr("Off"), cfg.NotifyMode.OFF.value),
            (self.tr("Sender only"), cfg.NotifyMode.SENDER.value),
            (self.tr("Sender and text"), cfg.NotifyMode.TEXT.value),
        ])  # fmt: skip
        self.notify_choice.setAccessibleName(self.tr("New message notifications show"))
        form.addRow(self.tr("Notifications show"), self.notify_choice)
        form.addRow(_hint(self.tr("A notification is on screen for anyone nearby to read."), notes))
        self.column.addWidget(notes)

        locking = QGroupBox(self.tr("Locking"), self)
        form = QFormLayout(locking)
        self.idle_choice = choices(locking, "idleChoice", [
            (self.tr("Never") if s == 0 else self.tr("After %1").replace("%1", duration(s)), s)
            for s in IDLE_CHOICES
        ])  # fmt: skip
        self.idle_choice.setAccessibleName(self.tr("Lock when idle"))
        form.addRow(self.tr("Lock when idle"), self.idle_choice)
        self.removal_check = QCheckBox(self.tr("Lock when the security key is removed"), locking)
        self.removal_check.setObjectName("lockOnRemoval")
        self.removal_check.setAccessibleName(self.removal_check.text())
        form.addRow(self.removal_check)
        self.column.addWidget(locking)

        others = QGroupBox(self.tr("What others see"), self)
        form = QFormLayout(others)
        self.receipts_check = QCheckBox(self.tr("Send read receipts"), others)
        self.receipts_check.setObjectName("readReceipts")
        self.receipts_check.setAccessibleName(self.receipts_check.text())
        form.addRow(self.receipts_check)
        self.typing_check = QCheckBox(self.tr("Show others when you are typing"), others)
        self.typing_check.setObjectName("typingIndicators")
        self.typing_check.setAccessibleName(self.typing_check.text())
        form.addRow(self.typing_check)
        self.column.addWidget(others)

        timers = QGroupBox(self.tr("Disappearing messages"), self)
        form = QFormLayout(timers)
        self.timer_choice = choices(timers, "defaultTimerChoice", [
            (self.tr("Off") if s == 0 else duration(s), s) for s in TIMER_CHOICES
        ])  # fmt: skip
        self.timer_choice.setAccessibleName(self.tr("Default timer for new conversations"))
        form.addRow(self.tr("Default timer"), self.timer_choice)
        form.addRow(
            _hint(
                self.tr(
                    "Conversations you start from now on get this timer (the others in them "
                    "are told); conversations that exist already keep theirs."
                ),
                timers,
            )
        )
        self.column.addWidget(timers)
        self.finish()

        self.controls: dict[str, QWidget] = {
            cfg.NOTIFICATIONS: self.notify_choice,
            cfg.IDLE_LOCK_SECONDS: self.idle_choice,
            cfg.LOCK_ON_TOKEN_REMOVAL: self.removal_check,
            cfg.READ_RECEIPTS: self.receipts_check,
            cfg.TYPING_INDICATORS: self.typing_check,
            cfg.DEFAULT_TIMER: self.timer_choice,
        }
        for control in self.controls.values():
            control.setEnabled(False)  # until the vault's values are read
        self.vault.loaded.connect(self._loaded)
        self.vault.refused.connect(self.show_refusal)
        self.vault.refused.connect(lambda key, _text: self._show(key))
        self.vault.load()

    def _loaded(self, _values: dict[str, Value]) -> None:
        for key, control in self.controls.items():
            self._show(key)
            control.setEnabled(True)
            if isinstance(control, QCheckBox):
                control.toggled.connect(lambda on, k=key: self._write(k, bool(on)))
            elif isinstance(control, QComboBox):
                control.currentIndexChanged.connect(
                    lambda _i, k=key, c=control: self._write(k, c.currentData())
                )

    def _show(self, key: str) -> None:
        value = self.vault.values.get(key, cfg.DEFAULTS.get(key, ""))
        control = self.controls[key]
        if isinstance(control, QCheckBox):
            control.blockSignals(True)
            control.setChecked(bool(value))
            control.blockSignals(False)
        elif isinstance(control, QComboBox):
            custom = int(value) if isinstance(value, int) else 0
            select(control, value, lambda: duration(custom))

    def _write(self, key: str, value: Value) -> None:
        self.error.hide()
        self.vault.write(key, value)
