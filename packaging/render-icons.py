"""Render the app icon's SVG to PNG at the freedesktop hicolor sizes.

    .venv/bin/python packaging/render-icons.py    (writes resources/icons/hicolor/)

The PNGs are committed, so building a package needs no renderer; a test
checks that they are in step with the SVG.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICONS = Path(__file__).resolve().parents[1] / "src" / "keybound" / "resources" / "icons"


def render(svg: Path, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    return image


def main(out: Path = ICONS / "hicolor") -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    for size in SIZES:
        target = out / f"{size}x{size}" / "apps" / "keybound.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not render(ICONS / "keybound.svg", size).save(str(target)):
            raise SystemExit(f"render-icons: could not write {target}")
    print(f"render-icons: {len(SIZES)} sizes in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
