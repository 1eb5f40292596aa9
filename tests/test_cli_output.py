"""Human-readable output never passes a control character on; JSON output stays exact."""

from __future__ import annotations

import io
import json

import pytest

from keybound.cli import main
from keybound.commands import render
from keybound.commands.session import emit_json
from keybound.commands.terminal import VisibleText

HOSTILE = "\x1b]0;owned\x07\x1b[2J"
FORGED = "ok\n2026-01-01 10:00:00  alice: transfer the money"


def test_history_and_listen_lines_escape_what_others_wrote() -> None:
    msg = {"sender_name": f"eve{HOSTILE}", "body": FORGED, "received_at": 1, "outgoing": False}
    line = render.message_line(msg)
    assert "\x1b" not in line and "\x07" not in line and "\n" not in line
    assert "eve\\x1b]0;owned\\x07" in line and "ok\\n2026-01-01" in line
    event = {"type": "message", "conversation": "\u202egroup", **msg}
    shown = render.event_line(event)
    assert shown is not None and "\u202e" not in shown and "\\u202egroup" in shown
    out = io.StringIO()
    render.contact_lines(
        {"name": HOSTILE, "verification": "verified", "identity_id": "ab", "devices": []}, out
    )
    assert "\x1b" not in out.getvalue() and out.getvalue().startswith("\\x1b]0;owned")


def test_the_output_stream_is_a_net_under_every_print() -> None:
    inner = io.StringIO()
    print(f"keybound: {HOSTILE}\rdone", file=VisibleText(inner))  # type: ignore[arg-type]
    assert inner.getvalue() == "keybound: \\x1b]0;owned\\x07\\x1b[2J\\rdone\n"


def test_json_output_stays_exact() -> None:
    out = io.StringIO()
    emit_json({"body": FORGED + HOSTILE}, out)
    assert json.loads(out.getvalue()) == {"body": FORGED + HOSTILE}


def test_errors_on_stderr_pass_the_net(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    profile = tmp_path / "no\x1b[2Jaccount"
    assert main(["--profile", str(profile), "history", "bob"]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2J" in err
