"""`keybound contact verify NAME --sas` on both sides: one side through its running
`keybound listen` (the daemon socket), the other a process of its own; the same seven
emoji on both terminals, then a match, a "they don't match", and Ctrl+C."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import CardFactory
from tests.helpers.relay_process import RelayProcess

from .people import KEYBOUND, PIN, Listener, Person, befriend, env, make_person

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


class Verifier:
    """`keybound contact verify NAME --sas` in the background, answered through its stdin."""

    def __init__(self, person: Person, name: str) -> None:
        reader, writer = os.pipe()
        os.write(writer, f"{PIN}\n".encode() * 4)
        os.close(writer)
        cmd = [*KEYBOUND, "--profile", str(person.profile), "--pin-fd", str(reader)]
        self.proc = subprocess.Popen(
            [*cmd, "contact", "verify", name, "--sas"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            pass_fds=(reader,), env=env(),
        )  # fmt: skip
        os.close(reader)
        self.lines: list[str] = []
        self.err: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, line in enumerate(self.lines):
                if text in line:
                    return i
            if self.proc.poll() is not None and not any(text in ln for ln in self.lines):
                time.sleep(0.2)
                if not any(text in ln for ln in self.lines):
                    break
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} in {self.lines} / {self.err[-20:]}")

    def emoji(self) -> tuple[str, str]:
        """The emoji line and the names line, once shown."""
        i = self.wait_for("Compare these emoji")
        deadline = time.monotonic() + 10
        while len(self.lines) < i + 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.lines[i + 2].strip(), self.lines[i + 3].strip()

    def answer(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        code = self.proc.wait(timeout)
        time.sleep(0.2)  # the reader threads drain the pipes
        return code, "\n".join(self.lines)


def _verification(person: Person, name: str) -> str:
    contacts = person.run("contact", "list", "--json").lines()
    return str(next(c for c in contacts if c["name"] == name)["verification"])


def test_emoji_verification_on_the_command_line(
    relay_factory, virtual_card: CardFactory, tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:  # fmt: skip
    relay: RelayProcess = relay_factory()
    alice = make_person("alice", tmp_path, virtual_card, slot=2)
    bob = make_person("bob", tmp_path, virtual_card, slot=4)
    listener: Listener | None = None
    try:
        alice.init(relay.url)
        bob.init(relay.url)
        befriend(alice, bob)
        listener = alice.listen()  # alice's side goes through her listener's socket

        # 1. a match: bob asks, alice's listener tells her, alice answers
        asking = Verifier(bob, "alice")
        asking.wait_for("Asked alice to verify")
        listener.wait(lambda e: e["type"] == "verification_requested", 60, "the request")
        answering = Verifier(alice, "bob")
        answering.wait_for("Answering bob's verification request")
        shown_b, shown_a = asking.emoji(), answering.emoji()
        assert shown_a == shown_b and len(shown_a[0].split()) == 7
        assert len(shown_a[1].split(", ")) == 7  # the names beside the emoji
        asking.answer("y")
        answering.answer("yes")
        code_b, out_b = asking.finish()
        code_a, out_a = answering.finish()
        assert (code_a, code_b) == (0, 0), (out_a, out_b, asking.err, answering.err)
        assert "alice is now verified." in out_b and "bob is now verified." in out_a
        assert _verification(bob, "alice") == "verified"
        assert _verification(alice, "bob") == "verified"

        # 2. "they don't match" on one side: suspect on both
        asking = Verifier(alice, "bob")
        asking.wait_for("Asked bob to verify")
        answering = Verifier(bob, "alice")
        answering.emoji()
        asking.emoji()
        answering.answer("n")
        code_b, out_b = answering.finish()
        code_a, out_a = asking.finish()
        assert (code_a, code_b) == (1, 1)
        assert "alice is suspect" in out_b and "bob is suspect" in out_a
        assert "did not match" in out_a
        assert _verification(bob, "alice") == "unverified"
        assert _verification(alice, "bob") == "unverified"
        listener.wait(lambda e: e["type"] == "identity_alert" and e["alert"], 30, "the alert")

        # 3. Ctrl+C on one side cancels the other
        asking = Verifier(bob, "alice")
        asking.wait_for("Asked alice to verify")
        answering = Verifier(alice, "bob")
        answering.emoji()
        asking.emoji()
        asking.proc.send_signal(signal.SIGINT)
        code_b, out_b = asking.finish()
        code_a, out_a = answering.finish()
        assert code_b == 130 and "cancelled" in out_b
        assert code_a == 1 and "was cancelled" in out_a
    finally:
        alice.stop_listeners()
