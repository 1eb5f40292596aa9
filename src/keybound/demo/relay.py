"""A relay process on loopback for the demo (and the app's tests): real process, real socket.

``keybound-relay`` runs as a child process on 127.0.0.1 with plain ``ws://``
(``--insecure-loopback``: allowed only on loopback), its SQLite data in a
directory of ours.  It keeps its port across :meth:`kill` and :meth:`start`,
so a client sees the same relay go away and come back.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from keybound.errors import UserFacingError


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the demo dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedRelay:
    def __init__(self, data: Path, port: int | None = None) -> None:
        self.data = data
        self.port = port or free_port()
        self.proc: subprocess.Popen[str] | None = None
        self.log_path = data / "relay.log"

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "keybound.relay.main", "--data", str(self.data),
            "--listen", f"127.0.0.1:{self.port}", "--name", "demo.relay", "--insecure-loopback",
            "--connect-rate", "1000/1000",
        ]  # fmt: skip

    def start(self, timeout: float = 30.0) -> EmbeddedRelay:
        """Start it and wait until it listens (``UserFacingError`` if it does not)."""
        self.data.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            proc = subprocess.Popen(
                self.command(), stdout=subprocess.PIPE, stderr=log, text=True,
                env=os.environ.copy(), preexec_fn=_die_with_parent,
            )  # fmt: skip
        self.proc = proc
        ready = threading.Event()

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("listening "):
                    ready.set()
            ready.set()

        threading.Thread(target=read, name="relay-stdout", daemon=True).start()
        if not ready.wait(timeout) or proc.poll() is not None:
            self.kill()
            raise UserFacingError(f"The demo relay did not start; its log is {self.log_path}.")
        return self

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM and wait (kill after ``timeout``)."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
