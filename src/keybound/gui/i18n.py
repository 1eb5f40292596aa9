"""The app's language: our catalogue and Qt's, for the system locale or ``KEYBOUND_LANG``.

The catalogues are ``resources/translations/keybound_<lang>.qm``, compiled from
the ``.ts`` sources at build time (``packaging/build-translations``) and read
through :mod:`importlib.resources`, so the same code finds them in a checkout,
a wheel, the PyInstaller bundle and the Debian package.  Qt's own
``qtbase_<lang>.qm`` (standard buttons, file dialogs, context menus of text
fields) comes from Qt's translations folder.  A language without a catalogue
is not an error: the app stays English, which is what its source strings are.

Translators must be installed before the first widget is built: a widget
translates its texts when it builds them, not when it paints.
"""

from __future__ import annotations

import importlib.resources
import logging
import os
from collections.abc import Mapping

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

ENV_LANG = "KEYBOUND_LANG"  # e.g. "de": overrides the system locale
CATALOGUE = "keybound"  # keybound_<lang>.qm in keybound.resources/translations
RESOURCES = "keybound.resources"


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:  # the name lupdate looks for
    """Mark ``source`` for ``pyside6-lupdate`` under ``context``; translate it where it is used.

    For texts kept in module-level tables, which exist before any translator is
    installed: the table holds the English text, and the widget that shows it
    calls ``self.tr(text)`` (or ``QCoreApplication.translate(context, text)``)
    with the same context.  Typed, unlike PySide6's own, which returns ``object``.
    """
    del context
    return source


def requested_locale(environ: Mapping[str, str] | None = None) -> QLocale:
    """``KEYBOUND_LANG`` when set (``de``, ``de_AT``, ``de-DE``), else the system's locale."""
    env = os.environ if environ is None else environ
    tag = env.get(ENV_LANG, "").strip()
    return QLocale(tag.replace("-", "_")) if tag else QLocale.system()


def catalogue_name(locale: QLocale) -> str | None:
    """The file name of our catalogue for ``locale`` (``keybound_de.qm``), or None: English."""
    folder = importlib.resources.files(RESOURCES) / "translations"
    for tag in _tags(locale):
        name = f"{CATALOGUE}_{tag}.qm"
        if (folder / name).is_file():
            return name
    return None


def _tags(locale: QLocale) -> list[str]:
    """``de_AT``, ``de``: the most specific name first, as Qt looks them up."""
    out: list[str] = []
    for ui in locale.uiLanguages():
        parts = ui.replace("-", "_").split("_")
        for n in range(len(parts), 0, -1):
            tag = "_".join(parts[:n])
            if tag and tag not in out:
                out.append(tag)
    return out


def install_translations(app: QCoreApplication, locale: QLocale | None = None) -> list[QTranslator]:
    """Install the catalogues for ``locale`` (default: :func:`requested_locale`) into ``app``.

    Returns the installed translators (none for English or an unknown language),
    so a caller can take them out again with ``app.removeTranslator``.
    """
    wanted = requested_locale() if locale is None else locale
    installed: list[QTranslator] = []
    name = catalogue_name(wanted)
    if name is None:
        log.info("language %s: no catalogue, the app stays English", wanted.name())
        return installed
    ours = QTranslator(app)
    resource = importlib.resources.files(RESOURCES) / "translations" / name
    with importlib.resources.as_file(resource) as path:
        loaded = ours.load(str(path))
    if not loaded:
        log.warning("language %s: %s could not be read, the app stays English", wanted.name(), name)
        return installed
    app.installTranslator(ours)
    installed.append(ours)
    qt = QTranslator(app)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt.load(wanted, "qtbase", "_", qt_dir):
        app.installTranslator(qt)
        installed.append(qt)
    else:
        log.info("language %s: Qt's own qtbase catalogue is not in %s", wanted.name(), qt_dir)
    log.info("language %s: %s", wanted.name(), ", ".join(t.filePath() for t in installed))
    return installed


def remove_translations(app: QCoreApplication, translators: list[QTranslator]) -> None:
    """Undo :func:`install_translations` (widgets built afterwards are English again)."""
    for translator in translators:
        app.removeTranslator(translator)


def translate(context: str, source: str) -> str:
    """``QCoreApplication.translate``, for code outside a QObject (lupdate finds the calls)."""
    return QCoreApplication.translate(context, source)
