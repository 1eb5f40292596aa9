"""The app's resources: found through importlib.resources, valid for the desktop's own
validators, and the committed PNG icons in step with their SVG."""

from __future__ import annotations

import importlib.resources
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import unavailable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = importlib.resources.files("keybound.resources")
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed (scripts/setup installs it)")
    assert path is not None
    return path


def test_the_desktop_file_is_valid_and_handles_keybound_links() -> None:
    entry = RESOURCES / "desktop" / "keybound.desktop"
    with importlib.resources.as_file(entry) as path:
        checked = subprocess.run(
            [_tool("desktop-file-validate"), str(path)], capture_output=True, text=True
        )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = entry.read_text()
    assert "MimeType=x-scheme-handler/keybound;" in text
    assert "Exec=keybound gui %u" in text


def test_the_metainfo_is_valid() -> None:
    meta = RESOURCES / "desktop" / "org.keybound.Keybound.metainfo.xml"
    with importlib.resources.as_file(meta) as path:
        checked = subprocess.run(
            [_tool("appstreamcli"), "validate", "--no-net", str(path)],
            capture_output=True,
            text=True,
        )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("size", SIZES)
def test_each_hicolor_png_is_the_svg_rendered_at_its_size(size: int) -> None:
    from PySide6.QtGui import QGuiApplication, QImage

    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        render = __import__("render-icons").render
    finally:
        sys.path.pop(0)
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    png = RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "keybound.png"
    committed = QImage()
    assert committed.loadFromData(png.read_bytes())
    assert (committed.width(), committed.height()) == (size, size)
    with importlib.resources.as_file(RESOURCES / "icons" / "keybound.svg") as svg:
        fresh = render(svg, size).convertToFormat(committed.format())
    assert fresh == committed, "run packaging/render-icons.py after changing the SVG"


def test_the_tray_icon_reads_on_light_and_dark_panels() -> None:
    from PySide6.QtGui import QGuiApplication

    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        render = __import__("render-icons").render
    finally:
        sys.path.pop(0)
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    with importlib.resources.as_file(RESOURCES / "icons" / "keybound-tray.svg") as svg:
        image = render(svg, 64)
    pixels = [image.pixelColor(x, y) for x in range(64) for y in range(64)]
    opaque = [p.lightness() for p in pixels if p.alpha() == 255]
    # both very light and quite dark pixels: a rim for dark panels, a body for light ones
    assert max(opaque) > 240
    assert min(opaque) < 110
