"""`contact verify --sas` and `contact accept-change` on the parser, and the lines `listen`
prints for a verification request and identity alerts (the flows: tests/e2e/test_verify_sas.py)."""

from __future__ import annotations

from keybound.cli import build_parser
from keybound.commands import chat, render


def test_the_parser_knows_sas_and_accept_change() -> None:
    parse = build_parser().parse_args
    args = parse(["contact", "verify", "bob", "--sas"])
    assert args.sas and not args.yes
    assert chat.request(parse(["contact", "accept-change", "bob"])) == (
        "identity.accept", {"name": "bob"},
    )  # fmt: skip


def test_listen_tells_about_requests_and_alerts() -> None:
    asked = render.event_line(
        {"type": "verification_requested", "name": "bob", "accepted": False, "tx": "00"}
    )
    assert asked is not None and "keybound contact verify 'bob' --sas" in asked
    assert (
        render.event_line({"type": "verification_requested", "name": "b", "accepted": True}) is None
    )
    changed = render.event_line(
        {"type": "identity_alert", "name": "bob",
         "alert": {"kind": "changed", "held": True, "detail": ""}}
    )  # fmt: skip
    assert changed is not None and "accept-change" in changed and "held" in changed
    attack = render.event_line(
        {"type": "identity_alert", "name": "bob",
         "alert": {"kind": "attack", "held": False, "detail": "Two histories."}}
    )  # fmt: skip
    assert attack is not None and attack.startswith("ATTACK WARNING") and "Two histories." in attack
    assert render.event_line({"type": "identity_alert", "name": "bob", "alert": None}) is None
