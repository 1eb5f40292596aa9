"""Light and dark themes that follow the system, font size and zoom (Ctrl+= / Ctrl+- / Ctrl+0).

The Fusion style with our own palettes looks the same on every desktop and
switches cleanly.  In the ``system`` mode (the default) the scheme comes from
Qt's style hints (the desktop's setting) and follows it when it changes;
``KEYBOUND_THEME=light|dark`` overrides it (screenshots, people who want
one).  The ``light`` and ``dark`` modes (the settings) fix it.  The font
size (the system's unless chosen) times the zoom is the application font,
so every widget that does not pin a size follows.
"""

from __future__ import annotations

import enum
import os

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

ENV_THEME = "KEYBOUND_THEME"
ZOOM_STEPS = (0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0)


class Scheme(enum.StrEnum):
    LIGHT = "light"
    DARK = "dark"


class ThemeMode(enum.StrEnum):
    """What the person chose (stored in window.ini): follow the desktop, or one scheme."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


_current: list[Theme] = []  # the Theme the app made last (settings pages change it)


def active_theme() -> Theme | None:
    """The app's Theme (None: no Theme was made, as in tests of a single widget)."""
    return _current[-1] if _current else None


def system_scheme() -> Scheme:
    forced = os.environ.get(ENV_THEME, "").lower()
    if forced in (Scheme.LIGHT, Scheme.DARK):
        return Scheme(forced)
    hints = QGuiApplication.styleHints()
    return Scheme.DARK if hints.colorScheme() == Qt.ColorScheme.Dark else Scheme.LIGHT


def palette(scheme: Scheme) -> QPalette:
    p = QPalette()
    if scheme is Scheme.DARK:
        colors = {
            QPalette.ColorRole.Window: "#1f2126",
            QPalette.ColorRole.WindowText: "#e6e6e6",
            QPalette.ColorRole.Base: "#16181c",
            QPalette.ColorRole.AlternateBase: "#25282e",
            QPalette.ColorRole.Text: "#e6e6e6",
            QPalette.ColorRole.Button: "#2b2e35",
            QPalette.ColorRole.ButtonText: "#e6e6e6",
            QPalette.ColorRole.Highlight: "#3d7eff",
            QPalette.ColorRole.HighlightedText: "#ffffff",
            QPalette.ColorRole.ToolTipBase: "#2b2e35",
            QPalette.ColorRole.ToolTipText: "#e6e6e6",
            QPalette.ColorRole.PlaceholderText: "#8a8f98",
            QPalette.ColorRole.Link: "#7aa7ff",
        }
    else:
        colors = {
            QPalette.ColorRole.Window: "#f4f5f7",
            QPalette.ColorRole.WindowText: "#1c1d21",
            QPalette.ColorRole.Base: "#ffffff",
            QPalette.ColorRole.AlternateBase: "#eef0f3",
            QPalette.ColorRole.Text: "#1c1d21",
            QPalette.ColorRole.Button: "#e9ebef",
            QPalette.ColorRole.ButtonText: "#1c1d21",
            QPalette.ColorRole.Highlight: "#2f6fed",
            QPalette.ColorRole.HighlightedText: "#ffffff",
            QPalette.ColorRole.ToolTipBase: "#ffffff",
            QPalette.ColorRole.ToolTipText: "#1c1d21",
            QPalette.ColorRole.PlaceholderText: "#80858f",
            QPalette.ColorRole.Link: "#1f5bd6",
        }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#80858f"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#80858f"))
    return p


class Theme(QObject):
    """Applies the palette for the system's scheme and the zoom factor to the app."""

    changed = Signal(str)  # the scheme now in force
    font_changed = Signal()  # zoom or font size changed

    def __init__(self, app: QApplication, zoom: float = 1.0) -> None:
        super().__init__(app)
        self._app = app
        app.setStyle("Fusion")
        self._system_size = app.font().pointSizeF() or 10.0
        self._base_size = self._system_size
        self.font_size = 0.0  # chosen point size; 0: the system's
        self.mode = ThemeMode.SYSTEM
        self.scheme = system_scheme()
        self.zoom = _nearest_step(zoom)
        self._apply()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._follow)
        _current.append(self)

    def _follow(self, _scheme: Qt.ColorScheme) -> None:
        if self.mode is not ThemeMode.SYSTEM:
            return
        scheme = system_scheme()
        if scheme is not self.scheme:
            self.scheme = scheme
            self._apply()

    def set_scheme(self, scheme: Scheme) -> None:
        """Fix the scheme (the mode becomes that scheme)."""
        self.mode = ThemeMode(scheme.value)
        self.scheme = scheme
        self._apply()

    def set_mode(self, mode: ThemeMode) -> None:
        """Follow the desktop (``SYSTEM``) or fix one scheme; applies at once."""
        self.mode = mode
        self.scheme = system_scheme() if mode is ThemeMode.SYSTEM else Scheme(mode.value)
        self._apply()

    def set_zoom(self, zoom: float) -> None:
        self.zoom = _nearest_step(zoom)
        self._apply_font()

    def set_font_size(self, points: float) -> None:
        """The font size before zoom, in points (0: the system's)."""
        self.font_size = points if points > 0 else 0.0
        self._base_size = self.font_size or self._system_size
        self._apply_font()

    def zoom_in(self) -> None:
        self._step(+1)

    def zoom_out(self) -> None:
        self._step(-1)

    def zoom_reset(self) -> None:
        self.zoom = 1.0
        self._apply_font()

    def _step(self, direction: int) -> None:
        i = ZOOM_STEPS.index(self.zoom) + direction
        self.zoom = ZOOM_STEPS[max(0, min(len(ZOOM_STEPS) - 1, i))]
        self._apply_font()

    def _apply(self) -> None:
        self._app.setPalette(palette(self.scheme))
        self._apply_font()
        self.changed.emit(self.scheme.value)

    def _apply_font(self) -> None:
        font = QFont(self._app.font())
        font.setPointSizeF(self._base_size * self.zoom)
        self._app.setFont(font)
        self.font_changed.emit()


def _nearest_step(zoom: float) -> float:
    return min(ZOOM_STEPS, key=lambda step: abs(step - zoom))
