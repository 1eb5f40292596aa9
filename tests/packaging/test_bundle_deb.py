"""The desktop build: the PyInstaller bundle and the Debian package made from it,
installed on this machine, run from /usr/bin, and removed again.

One test on purpose: building the bundle is the heaviest thing in the suite.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]
MAX_BUNDLE_MB = 150  # the target, against Signal Desktop's ~400 MB

pytestmark = pytest.mark.integration


def _sh(*cmd: str, timeout: float = 600, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)  # type: ignore[call-overload,no-any-return]


def _installed_version() -> str | None:
    shown = _sh("dpkg-query", "-W", "-f=${Status} ${Version}", "keybound")
    return shown.stdout.split()[-1] if "install ok installed" in shown.stdout else None


def test_bundle_and_debian_package_install_run_and_uninstall(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        unavailable("installing the .deb needs root and apt (CI has both)")
    if _installed_version() is not None:
        unavailable("a keybound package is already installed on this machine")
    env = {**os.environ, "PYTHON": sys.executable}
    built = _sh(str(ROOT / "packaging" / "build-deb"), str(tmp_path), env=env)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    bundle_mb = int(_sh("du", "-sm", str(tmp_path / "keybound")).stdout.split()[0])
    print(f"bundle: {bundle_mb} MB; {built.stdout.strip().splitlines()[-1]}")
    assert bundle_mb < MAX_BUNDLE_MB
    (deb,) = tmp_path.glob("keybound_*_amd64.deb")

    fields = _sh("dpkg-deb", "-f", str(deb), "Depends").stdout
    assert "pcscd" in fields
    assert "libpcsclite1" in fields
    assert "vsmartcard" not in fields
    listing = _sh("dpkg-deb", "-c", str(deb)).stdout
    for path in (
        "./usr/bin/keybound",
        "./usr/share/applications/keybound.desktop",
        "./usr/share/metainfo/org.keybound.Keybound.metainfo.xml",
        "./usr/share/icons/hicolor/scalable/apps/keybound.svg",
        "./usr/share/icons/hicolor/48x48/apps/keybound.png",
    ):
        assert path in listing

    installed = _sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", str(deb))
    assert installed.returncode == 0, installed.stderr[-2000:]
    try:
        assert _installed_version() is not None
        version = _sh("/usr/bin/keybound", "--version", cwd="/")
        assert version.returncode == 0, version.stderr
        assert version.stdout.strip() == f"keybound {_installed_version()}"
        desktop = "/usr/share/applications/keybound.desktop"
        assert _sh("desktop-file-validate", desktop).returncode == 0
        _run_installed_app(tmp_path / "profile")
    finally:
        removed = _sh("apt-get", "remove", "-y", "-qq", "keybound")
    assert removed.returncode == 0, removed.stderr
    assert not Path("/usr/bin/keybound").exists()
    assert not Path("/usr/lib/keybound").exists()


def _run_installed_app(profile: Path) -> None:
    """The installed app starts offscreen on a new profile in German, shows the first-run
    wizard, and quits cleanly (exit status 0) on SIGTERM."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(profile.parent),
        "QT_QPA_PLATFORM": "offscreen",
        "KEYBOUND_HOME": str(profile),
        "KEYBOUND_LANG": "de",
    }
    app = subprocess.Popen(
        ["/usr/bin/keybound", "-v", "gui"],
        cwd="/",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        assert app.stderr is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = app.stderr.readline()
            if not line:
                break  # the app ended
            seen.append(line)
            if "window: first-run wizard" in line:
                break
        assert any("window: first-run wizard" in line for line in seen), "".join(seen)[-2000:]
        app.send_signal(signal.SIGTERM)
        _out, err = app.communicate(timeout=20)
    finally:
        if app.poll() is None:
            app.kill()
    # the signal handlers are in place before the first window shows
    assert app.returncode == 0, err[-2000:]
    assert "Traceback" not in "".join(seen) + err
    # the catalogues came with the package: ours and Qt's own, both from /usr/lib/keybound
    (language,) = [line for line in seen if "keybound.gui.i18n" in line]
    assert "/usr/lib/keybound/" in language and "keybound_de.qm" in language, language
    assert "qtbase_de.qm" in language, language
