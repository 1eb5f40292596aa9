"""The messenger command line without services: parsing, exit codes, the daemon socket's
framing, permissions and stale-socket handling (the e2e tests run the rest for real)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
from pathlib import Path
from typing import Any, cast

import pytest

from keybound.cli import build_parser, main
from keybound.client.daemon import DaemonClient, DaemonServer, DaemonUnavailable, error_kind
from keybound.client.messenger import Messenger
from keybound.commands import chat
from keybound.commands.session import exit_code
from keybound.errors import (
    DaemonRequestFailed,
    EngineLocked,
    MessageQueued,
    RelayUnavailable,
    TokenNotFound,
    UnknownContact,
    WrongPin,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (EngineLocked(), 3),
        (WrongPin(2), 3),
        (TokenNotFound("none"), 3),
        (RelayUnavailable(), 4),
        (MessageQueued(), 4),
        (UnknownContact("nobody"), 1),
        (ValueError("bug"), 70),
        (DaemonRequestFailed("locked", "EngineLocked", "locked"), 3),
        (DaemonRequestFailed("relay", "RelayUnavailable", "down"), 4),
        (DaemonRequestFailed("internal", "KeyError", "bug"), 70),
    ],
)
def test_exit_codes_scripts_rely_on(error: BaseException, code: int) -> None:
    assert exit_code(error) == code


def test_a_pin_never_comes_from_an_abbreviated_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["--pin", "123456", "send", "bob", "hi"])
    assert exit_.value.code == 2
    with pytest.raises(SystemExit):
        build_parser().parse_args(["send", "bob", "hi", "--time", "3"])  # not --timeout
    assert "unrecognized arguments" in capsys.readouterr().err


def test_requests_map_one_to_one_to_the_command_line(tmp_path: Path) -> None:
    parse = build_parser().parse_args
    assert chat.request(parse(["send", "bob", "hi"])) == (
        "send", {"to": "bob", "timeout": 15.0, "text": "hi"},
    )  # fmt: skip
    op, args = chat.request(parse(["send", "bob", "--file", str(tmp_path / "f")]))
    assert op == "send.file" and args["path"] == str(tmp_path / "f")
    assert chat.request(parse(["group", "create", "g", "a", "b"])) == (
        "group.create", {"name": "g", "members": ["a", "b"]},
    )  # fmt: skip
    assert chat.request(parse(["history", "bob", "--limit", "5"]))[1]["limit"] == 5
    assert chat.request(parse(["devices", "remove", "abcd"])) == (
        "devices.remove",
        {"device": "abcd"},
    )
    op, args = chat.request(parse(["download", "00ff", "--out", "rel"]))
    assert Path(args["dest"]).is_absolute()
    with pytest.raises(Exception, match="either a TEXT or --file"):
        chat.request(parse(["send", "bob", "hi", "--file", "x"]))


def test_group_rename_and_the_timer_on_the_command_line() -> None:
    parse = build_parser().parse_args
    assert chat.request(parse(["group", "rename", "hikers", "Hill walkers"])) == (
        "group.rename", {"group": "hikers", "name": "Hill walkers"},
    )  # fmt: skip
    assert chat.request(parse(["timer", "bob", "1d"])) == (
        "timer",
        {"with": "bob", "seconds": 86400},
    )
    lengths = {"off": 0, "5m": 300, "1h": 3600, "1w": 604800, "90": 90, "30s": 30, "OFF": 0}
    for text, seconds in lengths.items():
        assert chat.timer_seconds(text) == seconds
    for bad in ("", "soon", "-5m", "5x", "2y", "400d", "1.5h"):
        with pytest.raises(chat.UsageError, match="no timer length"):
            chat.timer_seconds(bad)


def test_without_an_account_a_command_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--profile", str(tmp_path), "history", "bob"])
    assert code == 1
    assert "no Keybound account" in capsys.readouterr().err
    assert main(["--profile", str(tmp_path), "status"]) == 0
    assert "not running" in capsys.readouterr().out
    assert main(["--profile", str(tmp_path), "unlock"]) == 1


def test_the_socket_is_private_and_stale_files_are_replaced(tmp_path: Path) -> None:
    profile = tmp_path / ("p" * 90)  # longer than sun_path allows: served via /proc/self/fd
    profile.mkdir(mode=0o700)
    stale = socket.socket(socket.AF_UNIX)
    os.chdir(profile)
    stale.bind("daemon.sock")  # a socket file whose process is gone
    stale.close()

    async def scenario() -> list[Any]:
        with pytest.raises(DaemonUnavailable):
            await DaemonClient.connect(profile)  # the file is there, nobody answers
        placeholder = cast(Messenger, object())  # never reached by these requests
        async with DaemonServer(placeholder, profile) as server:
            mode = stat.S_IMODE(server.path.stat().st_mode)
            assert mode == 0o600
            reader, writer = await asyncio.open_unix_connection(f"/proc/self/fd/{fd}/daemon.sock")
            replies = []
            for line in (b"not json\n", b'{"id": 7, "op": "nope", "args": {}}\n', b"[1]\n"):
                writer.write(line)
                await writer.drain()
                replies.append(json.loads(await reader.readline()))
            writer.close()
            client = await DaemonClient.connect(profile)
            with pytest.raises(DaemonRequestFailed, match="Unknown request") as failed:
                await client.call("nope")
            assert error_kind(failed.value) == "user"
            await client.close()
        assert not server.path.exists()
        return replies

    fd = os.open(profile, os.O_RDONLY)
    try:
        replies = asyncio.run(scenario())
    finally:
        os.close(fd)
        os.chdir(tmp_path)
    assert replies[0] == {
        "id": None,
        "ok": False,
        "error": {
            "kind": "user",
            "type": "UserFacingError",
            "message": "A request must be one line of JSON.",
        },
    }
    assert replies[1]["id"] == 7 and replies[1]["error"]["message"] == "Unknown request 'nope'."
    assert replies[2]["ok"] is False


def test_the_invite_qr_image_is_a_png_and_never_half_written(tmp_path: Path) -> None:
    from keybound.commands.qr import write_png
    from keybound.errors import UserFacingError

    target = tmp_path / "invite.png"
    write_png(b"\x01payload", target)
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(UserFacingError, match="Cannot write"):
        write_png(b"\x01payload", tmp_path / "missing-dir" / "invite.png")
    assert [p.name for p in tmp_path.iterdir()] == ["invite.png"]
