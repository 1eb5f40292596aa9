"""The backup command line without services: options, and where passphrases may come from."""

from __future__ import annotations

import io
import os

import pytest

from keybound.backup.values import Phase, Progress
from keybound.cli import build_parser
from keybound.commands.backup import Bar, Passphrases
from keybound.errors import BackupError, WeakPassphrase


def test_a_passphrase_never_comes_from_argv(capsys: pytest.CaptureFixture[str]) -> None:
    parse = build_parser().parse_args
    args = parse(["backup", "create", "--passphrase-fd", "3", "--out", "f.age"])
    assert args.passphrase_fd == 3 and not args.tokens
    for argv in (
        ["backup", "create", "--passphrase", "secret"],
        ["backup", "create", "--passphrase-fd", "3", "--tokens"],  # one or the other
        ["backup", "restore", "f.age", "--pass", "3"],  # no abbreviations
    ):
        with pytest.raises(SystemExit) as exit_:
            parse(argv)
        assert exit_.value.code == 2
    assert parse(["export", "--out", "d"]).fmt == "html"
    assert parse(["export", "--json", "--out", "d"]).fmt == "json"
    assert parse(["init", "--relay", "wss://r", "--join", "--restore", "b.age"]).restore == "b.age"


def _fd(text: str) -> int:
    read, write = os.pipe()
    os.write(write, text.encode())
    os.close(write)
    return read


def test_passphrases_from_a_file_descriptor_are_confirmed_and_checked() -> None:
    strong = "seven unrelated words make a strong passphrase"
    fd = _fd(f"{strong}\n{strong}\n")
    assert Passphrases(fd, io.StringIO()).new() == strong
    os.close(fd)
    fd = _fd(f"{strong}\nsomething else entirely here\n")
    with pytest.raises(WeakPassphrase, match="did not match"):
        Passphrases(fd, io.StringIO()).new()
    os.close(fd)
    fd = _fd("password1234\npassword1234\n")
    with pytest.raises(WeakPassphrase, match="too easy"):
        Passphrases(fd, io.StringIO()).new()
    os.close(fd)
    fd = _fd("")
    with pytest.raises(BackupError, match="no more lines"):
        Passphrases(fd, io.StringIO()).existing()
    os.close(fd)


def test_the_progress_bar_is_silent_off_a_terminal() -> None:
    out = io.StringIO()
    bar = Bar(out, "Backing up")
    bar(Progress(Phase.WRITING, 10, 100, 0, 0))
    bar.done()
    assert out.getvalue() == ""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = Bar(tty, "Backing up")
    bar(Progress(Phase.WRITING, 50, 100, 0, 0))
    bar.done()
    assert "50%" in tty.getvalue() and tty.getvalue().endswith("\n")
