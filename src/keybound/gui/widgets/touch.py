"""The "touch your key" overlay: a pulsing key drawn over the window, with Cancel.

It covers its parent (dimmed), so nothing behind it can be clicked while the
key waits for a touch, and it animates so the person sees the app is waiting
on them, not hung.  Cancel emits :attr:`TouchOverlay.cancelled`; whoever runs
the token call cancels it (the token worker then stops waiting).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

FRAME_MS = 40  # 25 frames a second while shown, none while hidden


class _Pulse(QWidget):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFixedSize(120, 120)
        self.phase = 0.0

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        center = QPointF(self.width() / 2, self.height() / 2)
        wave = (math.sin(self.phase) + 1) / 2
        ring = QColor("#2f6fed")
        ring.setAlphaF(0.25 + 0.5 * (1 - wave))
        p.setPen(QPen(ring, 4))
        radius = 30 + 22 * wave
        p.drawEllipse(center, radius, radius)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#2f6fed"))
        p.drawEllipse(center, 22, 22)
        p.setBrush(QColor("#ffffff"))  # a key's contact pad
        p.drawRoundedRect(QRectF(center.x() - 8, center.y() - 8, 16, 16), 4, 4)
        p.end()


class TouchOverlay(QWidget):
    """Shown over ``parent`` while a security key waits for a touch."""

    cancelled = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("touch_overlay")
        self.setAccessibleName(self.tr("Touch your security key"))
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#touch_overlay { background: rgba(0, 0, 0, 200); }")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.pulse = _Pulse(self)
        layout.addWidget(self.pulse, 0, Qt.AlignmentFlag.AlignHCenter)
        self.label = QLabel(self.tr("Touch your security key"), self)
        self.label.setStyleSheet("color: white; font-size: 16pt;")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.label)
        hint = QLabel(self.tr("It blinks or lights up while it waits for you."), self)
        hint.setStyleSheet("color: #dddddd;")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(hint)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.setAccessibleName(self.tr("Cancel waiting for the touch"))
        self.cancel_button.clicked.connect(self.cancelled)
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._tick)
        parent.installEventFilter(self)
        self.hide()

    @property
    def animating(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()
        self.cancel_button.setFocus()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.hide()

    def _tick(self) -> None:
        self.pulse.phase += 2 * math.pi * FRAME_MS / 1200  # one pulse every 1.2 s
        self.pulse.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            parent = self.parentWidget()
            if parent is not None:
                self.setGeometry(parent.rect())
        return False
