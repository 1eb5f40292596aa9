"""App start benchmark: launch to lock screen, PIN accepted to main window, idle CPU.

Run: `.venv/bin/python bench/gui_startup.py [--idle-seconds 30] [--rounds 3] [--json PATH]`
(about two minutes).  Writes bench/results/gui_startup.json and prints a table.

Each measurement runs in a fresh child process (offscreen Qt, or the X server
in DISPLAY when set): the real app shell on a real SQLCipher profile with a
relay process on loopback and an in-process virtual card.  The baseline in
the same run is a bare Qt window (QApplication plus one label) measured the
same way: its launch to first paint, and its idle CPU.  Targets (issue 10):
launch to lock screen under 1 s, idle CPU under 1 %.
"""

from __future__ import annotations

import os
import sys

# bench/token.py would shadow the standard library's `token` module: drop this folder.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

import argparse
import asyncio
import json
import platform
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PIN = "424242"
ADMIN_PIN = "87654321"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- children -----------------------------------------------------------------------


def child_bare(started: float, idle: float) -> dict[str, Any]:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication([])
    label = QLabel("Keybound is locked")
    label.resize(960, 640)
    label.show()
    app.processEvents()
    label.grab()  # the first paint, done
    shown = time.time() - started
    cpu0 = cpu_seconds()
    QTimer.singleShot(int(idle * 1000), app.quit)
    app.exec()  # an idle event loop, as the app's
    return {"launch_s": shown, "idle_cpu_pct": 100 * (cpu_seconds() - cpu0) / max(idle, 1e-9)}


def child_app(started: float, idle: float, profile: Path, card_state: Path) -> dict[str, Any]:
    from keybound.client.messenger import Options
    from keybound.demo.cards import InProcessCard
    from keybound.gui.app import Shell
    from keybound.gui.loop import application, install_loop
    from keybound.gui.theme import Theme
    from keybound.store.keyslots import TEST_COST

    app = application()
    loop = install_loop(app)
    theme = Theme(app)
    card = InProcessCard(card_state, "bench")
    options = Options(tokens=card.source, recovery_cost=TEST_COST)
    out: dict[str, Any] = {}

    async def main() -> None:
        shell = await Shell.start(profile, options, theme)
        assert shell is not None
        window = shell.window
        app.processEvents()
        window.grab()
        out["launch_s"] = time.time() - started
        while window.prompter.dialog is None:
            await asyncio.sleep(0.005)
        dialog = window.prompter.dialog
        dialog.field.setText(PIN)
        accepted = time.monotonic()
        dialog.accept()
        while window.chat is None:
            await asyncio.sleep(0.002)
        window.grab()
        out["unlock_s"] = time.monotonic() - accepted
        await asyncio.sleep(1.0)  # the conversation list loads, the link comes online
        cpu0 = cpu_seconds()
        await asyncio.sleep(idle)
        out["idle_cpu_pct"] = 100 * (cpu_seconds() - cpu0) / max(idle, 1e-9)
        await shell.close()

    loop.run_until_complete(main())
    loop.close()
    return out


# --- the parent -----------------------------------------------------------------------


async def make_profile(tmp: Path, relay_url: str) -> tuple[Path, Path]:
    from keybound.client.messenger import Messenger, Options
    from keybound.demo.cards import InProcessCard
    from keybound.store.keyslots import TEST_COST
    from keybound.token.base import EnrollOptions, PinKind
    from keybound.token.prompter import FixedPinPrompter

    state = tmp / "card.json"
    card = InProcessCard(state, "bench")
    options = Options(tokens=card.source, recovery_cost=TEST_COST)
    enroll = EnrollOptions(user_pin=PIN, admin_pin=ADMIN_PIN, current_admin_pin="12345678")
    prompter = FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: ADMIN_PIN})
    m, _ = await Messenger.create_account(
        tmp / "profile", relay_url, prompter, display_name="bench", enroll=enroll,
        options=options,
    )  # fmt: skip
    await m.wait_online(30)
    await m.close()
    return tmp / "profile", state


def run_child(kind: str, idle: float, extra: list[str]) -> dict[str, Any]:
    env = {**os.environ}
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    started = time.time()
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--started", repr(started),
         "--idle-seconds", str(idle), *extra],
        env=env, capture_output=True, text=True, timeout=idle + 120, check=False,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"bench child {kind} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3, help="launches measured per kind")
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/gui_startup.json")
    parser.add_argument("--child", choices=["bare", "app"], help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--profile", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--card", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "bare":
        print(json.dumps(child_bare(args.started, args.idle_seconds)), flush=True)
        return 0
    if args.child == "app":
        result = child_app(args.started, args.idle_seconds, args.profile, args.card)
        print(json.dumps(result), flush=True)
        return 0

    from keybound.demo.relay import EmbeddedRelay

    with tempfile.TemporaryDirectory(prefix="keybound-bench-gui-") as tmp_name:
        tmp = Path(tmp_name)
        relay = EmbeddedRelay(tmp / "relay").start()
        try:
            profile, card = asyncio.run(make_profile(tmp, relay.url))
            app_extra = ["--profile", str(profile), "--card", str(card)]
            bare = [run_child("bare", 0.0, []) for _ in range(args.rounds)]
            apps = [run_child("app", 0.0, app_extra) for _ in range(args.rounds)]
            bare_idle = run_child("bare", args.idle_seconds, [])["idle_cpu_pct"]
            app_idle = run_child("app", args.idle_seconds, app_extra)["idle_cpu_pct"]
        finally:
            relay.kill()

    launch_bare = statistics.median(r["launch_s"] for r in bare)
    launch_app = statistics.median(r["launch_s"] for r in apps)
    unlock_app = statistics.median(r["unlock_s"] for r in apps)
    rows = [
        ("launch to lock screen (s)", launch_app, launch_bare, "< 1 s"),
        ("PIN accepted to main window (s)", unlock_app, None, "-"),
        (f"idle CPU over {args.idle_seconds:g} s (%)", app_idle, bare_idle, "< 1 %"),
    ]
    print(f"{'measure':<34} {'app':>10} {'bare Qt':>10} {'ratio':>8}  target")
    for name, value, base, target in rows:
        ratio = f"{value / base:.2f}" if base else "-"
        base_text = f"{base:.3f}" if base is not None else "-"
        print(f"{name:<34} {value:>10.3f} {base_text:>10} {ratio:>8}  {target}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "launch_to_lock_screen_s": launch_app,
                "baseline_bare_qt_launch_s": launch_bare,
                "pin_accepted_to_main_window_s": unlock_app,
                "idle_cpu_pct": app_idle,
                "baseline_bare_qt_idle_cpu_pct": bare_idle,
                "idle_seconds": args.idle_seconds,
                "rounds": args.rounds,
                "launches": {"app": apps, "bare": bare},
                "platform": os.environ.get("QT_QPA_PLATFORM") or "display",
                "machine": platform.platform(),
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
