"""The screenshot scenes render for real under Xvfb: not blank, the right size, the right texts.

The PNGs stay in ``build/screenshots/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from PySide6.QtGui import QImage

from tests.conftest import unavailable
from tests.gui.screenshots import SCENES

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "screenshots"


def distinct_colors(image: QImage, step: int = 8) -> int:
    seen = set()
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            seen.add(image.pixel(x, y))
    return len(seen)


def test_every_scene_is_a_real_rendering() -> None:
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        unavailable("xvfb-run is not installed (scripts/setup installs xvfb)")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    env.pop("KEYBOUND_THEME", None)
    env.pop("KEYBOUND_LANG", None)  # the scenes' texts are the English ones
    done = subprocess.run(
        [xvfb, "-a", "-s", "-screen 0 1280x800x24", str(ROOT / ".venv/bin/python"),
         "-m", "tests.gui.screenshots", str(OUT)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    manifest = {m["name"]: m for m in json.loads((OUT / "manifest.json").read_text())}
    assert set(manifest) == {s.name for s in SCENES}
    for scene in SCENES:
        shot = manifest[scene.name]
        assert shot["platform"] == "xcb"  # a real X server drew it, not the offscreen plugin
        image = QImage(str(OUT / shot["file"]))
        assert not image.isNull(), scene.name
        if scene.size is not None:
            ratio = shot["device_pixel_ratio"]
            assert (image.width(), image.height()) == (
                round(scene.size[0] * ratio),
                round(scene.size[1] * ratio),
            ), scene.name
        assert distinct_colors(image) >= 8, f"{scene.name} looks blank"
        found = " ".join(shot["texts"])
        for text in scene.texts:
            assert text in found, f"{scene.name}: {text!r} not on screen"
    dark = QImage(str(OUT / manifest["lock-screen-dark"]["file"]))
    light = QImage(str(OUT / manifest["lock-screen"]["file"]))
    assert dark.pixelColor(5, 5).lightness() < 80 < light.pixelColor(5, 5).lightness()
