"""Settings: one dialog with a list of pages (general, backups, devices and keys, about)."""

from keybound.gui.settings.dialog import SettingsDialog

__all__ = ["SettingsDialog"]
