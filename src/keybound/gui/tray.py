"""The tray icon: the app's mark with the unread count, and nothing while locked.

While locked the icon shows no count and its tooltip says only "Keybound
(locked)": the tray is on screen when the window is not, so it must not leak
what the lock screen hides.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

ICON_SIZE = 64


def app_icon(badge: str = "") -> QIcon:
    """A round key mark; ``badge`` (the unread count) in a red dot at the corner."""
    pixmap = QPixmap(ICON_SIZE, ICON_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#2f6fed"))
    p.drawEllipse(QRectF(4, 4, 56, 56))
    p.setBrush(QColor("#ffffff"))
    p.drawEllipse(QRectF(16, 20, 18, 18))
    p.drawRect(QRectF(30, 26, 20, 6))
    p.drawRect(QRectF(42, 30, 5, 10))
    if badge:
        p.setBrush(QColor("#d93025"))
        p.drawEllipse(QRectF(32, 0, 32, 32))
        p.setPen(QColor("#ffffff"))
        font = QFont()
        font.setPixelSize(18 if len(badge) < 3 else 13)
        font.setBold(True)
        p.setFont(font)
        p.drawText(QRectF(32, 0, 32, 32), Qt.AlignmentFlag.AlignCenter, badge)
    p.end()
    return QIcon(pixmap)


class Tray(QObject):
    show_requested = Signal()
    lock_requested = Signal()
    quit_requested = Signal()

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.icon = QSystemTrayIcon(self)
        self._unread = 0
        self._locked = True
        menu = QMenu(window)
        self._menu = menu
        show = QAction(self.tr("Show Keybound"), menu)
        show.triggered.connect(self.show_requested)
        lock = QAction(self.tr("Lock"), menu)
        lock.triggered.connect(self.lock_requested)
        quit_ = QAction(self.tr("Quit"), menu)
        quit_.triggered.connect(self.quit_requested)
        for action in (show, lock, quit_):
            menu.addAction(action)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        self._refresh()
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon.show()

    @property
    def badge(self) -> str:
        """The count drawn on the icon ("" while locked or with nothing unread)."""
        if self._locked or self._unread <= 0:
            return ""
        return "99+" if self._unread > 99 else str(self._unread)

    @property
    def tooltip(self) -> str:
        return self.icon.toolTip()

    def set_unread(self, count: int) -> None:
        self._unread = count
        self._refresh()

    def set_locked(self, locked: bool) -> None:
        self._locked = locked
        if locked:
            self._unread = 0
        self._refresh()

    def notify(self, title: str, body: str) -> None:
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, body, app_icon(), 8000)

    def _refresh(self) -> None:
        self.icon.setIcon(app_icon(self.badge))
        if self._locked:
            self.icon.setToolTip(self.tr("Keybound (locked)"))
        elif self.badge:
            self.icon.setToolTip(self.tr("Keybound: %s unread") % self.badge)
        else:
            self.icon.setToolTip(self.tr("Keybound"))

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.show_requested.emit()

    def hide(self) -> None:
        self.icon.hide()
