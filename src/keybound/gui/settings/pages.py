"""The settings pages, in the order the dialog lists them.

Each page is a widget built from the :class:`~keybound.gui.bridge.Bridge` when
the dialog opens (so nothing of an unlocked session is built before it is
needed, and a page reads its values fresh each time).  Adding a page is one
:class:`PageSpec` here; its module is imported only when the dialog opens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP
from PySide6.QtWidgets import QWidget

from keybound.gui.bridge import Bridge

PageFactory = Callable[[Bridge, QWidget], QWidget]


@dataclass(frozen=True)
class PageSpec:
    key: str  # stable name, for SettingsDialog.show_page and tests
    title: str  # marked with QT_TRANSLATE_NOOP("SettingsDialog", ...); the dialog translates it
    build: PageFactory


def _about(bridge: Bridge, parent: QWidget) -> QWidget:
    from keybound.gui.settings.about import AboutPage

    return AboutPage(bridge, parent)


def _general(bridge: Bridge, parent: QWidget) -> QWidget:
    from keybound.gui.settings.general import GeneralPage

    return GeneralPage(bridge, parent)


def _privacy(bridge: Bridge, parent: QWidget) -> QWidget:
    from keybound.gui.settings.general import PrivacyPage

    return PrivacyPage(bridge, parent)


def _relay(bridge: Bridge, parent: QWidget) -> QWidget:
    from keybound.gui.settings.relay import RelayPage

    return RelayPage(bridge, parent)


def _backups(bridge: Bridge, parent: QWidget) -> QWidget:
    from keybound.gui.settings.backups import BackupsPage

    return BackupsPage(bridge, parent)


def _devices(bridge: Bridge, parent: QWidget) -> QWidget:
    from keybound.gui.settings.devices import DevicesPage

    return DevicesPage(bridge, parent)


def settings_pages() -> list[PageSpec]:
    return [
        PageSpec("general", str(QT_TRANSLATE_NOOP("SettingsDialog", "General")), _general),
        PageSpec(
            "privacy", str(QT_TRANSLATE_NOOP("SettingsDialog", "Privacy & notifications")), _privacy
        ),
        PageSpec("devices", str(QT_TRANSLATE_NOOP("SettingsDialog", "Devices and keys")), _devices),
        PageSpec("backups", str(QT_TRANSLATE_NOOP("SettingsDialog", "Backups")), _backups),
        PageSpec("relay", str(QT_TRANSLATE_NOOP("SettingsDialog", "Relay")), _relay),
        PageSpec("about", str(QT_TRANSLATE_NOOP("SettingsDialog", "About")), _about),
    ]
