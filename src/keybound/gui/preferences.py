"""What the app must know before unlock, kept in ``<profile>/window.ini`` (QSettings).

The vault's settings table holds every setting that can wait for the unlock;
the lock screen, though, is drawn before it, in the chosen theme, font size
and zoom, and the translations are installed before any window exists.  So
these few choices (none of them secret: no names, nothing of the history)
live next to the window geometry:

- ``theme``: ``system`` (follow the desktop), ``light`` or ``dark``;
- ``zoom``: one of ``theme.ZOOM_STEPS`` (Ctrl+= / Ctrl+- change it too);
- ``font_size``: points before zoom, 0 for the system's;
- ``language``: ``en`` or ``de``; absent for the system's language.  It takes
  effect at the next start (:func:`app_locale`, read by the app's start;
  ``KEYBOUND_LANG`` still overrides it).

Also here: where downloads go when the person has not chosen a folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QLocale, QSettings, QStandardPaths

from keybound.gui.i18n import ENV_LANG
from keybound.gui.theme import Theme, ThemeMode

WINDOW_FILE = "window.ini"
THEME = "theme"
ZOOM = "zoom"
FONT_SIZE = "font_size"
LANGUAGE = "language"
LANGUAGES = ("en", "de")  # the translations Keybound ships, besides the system's choice


class Preferences:
    """The pre-unlock choices of one profile (every write is synced to disk at once)."""

    def __init__(self, profile: Path) -> None:
        self._q = QSettings(str(profile / WINDOW_FILE), QSettings.Format.IniFormat)

    @property
    def theme_mode(self) -> ThemeMode:
        try:
            return ThemeMode(str(self._q.value(THEME, ThemeMode.SYSTEM.value)))
        except ValueError:
            return ThemeMode.SYSTEM

    def set_theme_mode(self, mode: ThemeMode) -> None:
        self._set(THEME, mode.value)

    @property
    def zoom(self) -> float:
        return _number(self._q.value(ZOOM, 1.0), 1.0)

    def set_zoom(self, zoom: float) -> None:
        self._set(ZOOM, zoom)

    @property
    def font_size(self) -> float:
        size = _number(self._q.value(FONT_SIZE, 0.0), 0.0)
        return size if 4.0 <= size <= 72.0 else 0.0

    def set_font_size(self, points: float) -> None:
        self._set(FONT_SIZE, points)

    @property
    def language(self) -> str | None:
        value = str(self._q.value(LANGUAGE, "") or "")
        return value if value in LANGUAGES else None

    def set_language(self, language: str | None) -> None:
        """``None``: the system's language."""
        if language is None:
            self._q.remove(LANGUAGE)
            self._q.sync()
        elif language in LANGUAGES:
            self._set(LANGUAGE, language)
        else:
            raise ValueError(f"no translation {language!r}")

    def apply(self, theme: Theme) -> None:
        """Put the saved theme, font size and zoom into force (before the lock screen shows).

        A theme or font size never chosen leaves the Theme as the app made it."""
        if self._q.contains(THEME) and theme.mode is not self.theme_mode:
            theme.set_mode(self.theme_mode)
        if self._q.contains(FONT_SIZE) and theme.font_size != self.font_size:
            theme.set_font_size(self.font_size)
        if theme.zoom != self.zoom:
            theme.set_zoom(self.zoom)

    def _set(self, key: str, value: object) -> None:
        self._q.setValue(key, value)
        self._q.sync()


def saved_language(profile: Path) -> str | None:
    """The language chosen for ``profile`` (``en``, ``de``), or None for the system's."""
    return Preferences(profile).language if (profile / WINDOW_FILE).exists() else None


def app_locale(profile: Path, environ: Mapping[str, str] | None = None) -> QLocale | None:
    """The language to install for ``profile``: the one chosen in its settings, unless
    ``KEYBOUND_LANG`` is set; None: ``i18n.requested_locale`` decides (that or the system's)."""
    env = os.environ if environ is None else environ
    chosen = saved_language(profile)
    return None if chosen is None or env.get(ENV_LANG, "").strip() else QLocale(chosen)


def download_folder(chosen: str) -> Path:
    """Where a download goes: the folder chosen in the settings, else the system's
    download folder (else the home folder)."""
    if chosen:
        return Path(chosen)
    system = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
    return Path(system) if system else Path.home()


def _number(value: object, default: float) -> float:
    try:
        return float(str(value))
    except ValueError:
        return default
