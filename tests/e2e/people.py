"""People as separate `keybound` processes, for end-to-end tests.

Each :class:`Person` has its own profile directory and its own virtual
OpenPGP card in its own vpcd reader of the real pcscd (the card itself runs
in the test process, reached by the `keybound` processes through pcscd
exactly like a card in a reader).  Every command is a fresh
``python -m keybound.cli`` process; PINs go through ``--pin-fd`` (a pipe).
:class:`Listener` is a long-running ``keybound listen --json`` whose lines
are collected by a thread, so tests can wait for what they assert.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import CardFactory, InsertedCard

SRC = Path(__file__).resolve().parents[2] / "src"
PIN = "424242"
ADMIN_PIN = "87654321"
ENROLL_PINS = ["", PIN, ADMIN_PIN]  # blank card: factory admin PIN, new PIN, new admin PIN
KEYBOUND = [sys.executable, "-m", "keybound.cli"]

Json = Any


def env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "KEYBOUND_DEBUG": "1",
    }


@dataclass
class Result:
    args: Sequence[str]
    code: int
    out: str
    err: str

    def ok(self) -> Result:
        assert self.code == 0, f"keybound {' '.join(self.args)} -> {self.code}\n{self.err}"
        return self

    def lines(self) -> list[Json]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


@dataclass
class Person:
    name: str
    root: Path
    card: InsertedCard
    identity: str = ""
    device: str = ""
    recovery_code: str = ""
    listeners: list[Listener] = field(default_factory=list)

    @property
    def profile(self) -> Path:
        return self.root / "profile"

    @property
    def reader(self) -> str:
        return self.card.reader

    def run(
        self,
        *args: str,
        pins: Sequence[str] | None = (PIN,) * 6,
        timeout: float = 90,
        expect: int | None = 0,
        stdin: str | None = None,
    ) -> Result:
        """``keybound --profile P [--pin-fd N] ARGS``; asserts the exit code unless None."""
        cmd = [*KEYBOUND, "--profile", str(self.profile)]
        pass_fds: tuple[int, ...] = ()
        reader = None
        if pins is not None:
            reader, writer = os.pipe()
            os.write(writer, "".join(p + "\n" for p in pins).encode())
            os.close(writer)
            pass_fds = (reader,)
            cmd += ["--pin-fd", str(reader)]
        try:
            proc = subprocess.run(
                [*cmd, *args],
                capture_output=True,
                text=True,
                pass_fds=pass_fds,
                timeout=timeout,
                check=False,
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                env=env(),
            )
        finally:
            if reader is not None:
                os.close(reader)
        result = Result(args, proc.returncode, proc.stdout, proc.stderr)
        if expect is not None:
            assert result.code == expect, (
                f"{self.name}: keybound {' '.join(args)} -> {result.code} (wanted {expect})\n"
                f"stdout: {result.out[-2000:]}\nstderr: {result.err[-4000:]}"
            )
        return result

    def init(self, relay_url: str, *extra: str, join: bool = False) -> Result:
        pins = [PIN] * 6 if join else [*ENROLL_PINS, *[PIN] * 6]
        args = ["init", "--relay", relay_url, "--reader", self.reader, "--kind", "openpgp"]
        args += ["--join", "--device-name", self.name] if join else ["--name", self.name]
        result = self.run(*args, *extra, pins=pins)
        for line in result.out.splitlines():
            if line.startswith("identity:"):
                self.identity = line.split()[-1]
            elif line.startswith("device:"):
                self.device = line.split()[-1]
            elif line.startswith("    ") and "-" in line:
                self.recovery_code = line.strip()
        assert self.identity and self.device and self.recovery_code, result.out
        return result

    def invite(self) -> str:
        uri = self.run("invite").out.strip()
        assert uri.startswith("keybound://invite?"), uri
        return uri

    def history(self, with_: str, limit: int = 500, *extra: str) -> list[Json]:
        return self.run("history", with_, "--json", "--limit", str(limit), *extra).lines()

    def texts(self, with_: str, limit: int = 500) -> list[str]:
        """What people wrote (system lines such as "alice added carol" left out)."""
        return [m["body"] for m in self.history(with_, limit) if m["content_type"] != "system"]

    def listen(self) -> Listener:
        listener = Listener(self).start()
        self.listeners.append(listener)
        return listener

    def stop_listeners(self) -> None:
        for listener in self.listeners:
            listener.kill()
        self.listeners.clear()


def befriend(a: Person, b: Person) -> None:
    b.run("contact", "add", a.invite(), "--name", a.name)
    a.run("contact", "add", b.invite(), "--name", b.name)


def make_person(name: str, tmp: Path, virtual_card: CardFactory, slot: int) -> Person:
    root = tmp / name
    root.mkdir()
    card = virtual_card("openpgp", slot=slot, state_file=root / "card.json")
    return Person(name, root, card)


class Listener:
    """``keybound listen --json`` in the background; its JSON lines, as they come."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.events: list[Json] = []
        self.stderr: list[str] = []
        self.proc: subprocess.Popen[str] | None = None
        self._changed = threading.Condition()
        self._pin_writer: int | None = None

    def start(self, timeout: float = 60) -> Listener:
        reader, writer = os.pipe()
        os.write(writer, f"{PIN}\n".encode())
        self._pin_writer = writer  # kept open: `keybound unlock` needs another PIN later
        cmd = [*KEYBOUND, "--profile", str(self.person.profile), "--pin-fd", str(reader)]
        self.proc = subprocess.Popen(
            [*cmd, "listen", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            pass_fds=(reader,),
            env=env(),
        )
        os.close(reader)
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()
        self.wait(lambda e: e["type"] == "ready", timeout, "the listener to be ready")
        return self

    def _read_out(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip():
                with self._changed:
                    self.events.append(json.loads(line))
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _read_err(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line.rstrip("\n"))

    def give_pin(self) -> None:
        assert self._pin_writer is not None
        os.write(self._pin_writer, f"{PIN}\n".encode())

    def wait(self, match: Callable[[Json], bool], timeout: float = 30, what: str = "") -> Json:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for event in self.events:
                    if match(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc is not None and self.proc.poll() is not None):
                    raise AssertionError(
                        f"{self.person.name}'s listener: no {what or 'matching event'} in "
                        f"{timeout} s; events: {self.events[-20:]}\nstderr: {self.stderr[-30:]}"
                    )
                self._changed.wait(min(left, 0.5))

    def messages(self) -> list[Json]:
        with self._changed:
            return [e for e in self.events if e["type"] == "message"]

    def terminate(self, timeout: float = 30) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self._close_pins()
        return code

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._close_pins()

    def _close_pins(self) -> None:
        if self._pin_writer is not None:
            os.close(self._pin_writer)
            self._pin_writer = None


def has_message(body: str) -> Callable[[Json], bool]:
    return lambda e: e["type"] == "message" and e.get("body") == body


def has_receipt(message_id: str, kind: str) -> Callable[[Json], bool]:
    return lambda e: (
        e["type"] == "receipt" and e["message_id"] == message_id and (e["receipt"] == kind)
    )


def eventually(check: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    """Call ``check`` (usually a CLI command) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or 'a condition'}: {value!r}")
        time.sleep(0.3)
