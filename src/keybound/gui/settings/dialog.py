"""The settings dialog: page titles on the left, the chosen page on the right.

It is a child of the chat pane, so locking (which deletes the pane) closes it
and nothing it showed outlives the unlocked session.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from keybound.gui.bridge import Bridge
from keybound.gui.settings.pages import settings_pages


class SettingsDialog(QDialog):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Settings"))
        self.bridge = bridge
        self.titles = QListWidget(self)
        self.titles.setObjectName("settingsPages")
        self.titles.setAccessibleName(self.tr("Settings pages"))
        self.titles.setFixedWidth(180)
        self.stack = QStackedWidget(self)
        self.keys: list[str] = []
        for spec in settings_pages():
            self.keys.append(spec.key)
            self.titles.addItem(QCoreApplication.translate("SettingsDialog", spec.title))
            page = spec.build(bridge, self.stack)
            page.setObjectName(f"settings_{spec.key}")
            self.stack.addWidget(page)
        self.titles.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.titles.setCurrentRow(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addWidget(self.titles)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)
        self.resize(760, 520)

    def show_page(self, key: str) -> QWidget:
        """Switch to the page named ``key`` and return it."""
        row = self.keys.index(key)
        self.titles.setCurrentRow(row)
        page = self.stack.widget(row)
        assert page is not None
        return page
