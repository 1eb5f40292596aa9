"""`keybound contact add --qr / verify --code / block / unblock / rename` over the daemon
socket of a real Messenger (the CLI's own half: the request each command line makes)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from keybound.cli import build_parser
from keybound.client.daemon import DaemonClient, DaemonServer
from keybound.client.qr_codes import render_png
from keybound.commands import chat
from keybound.errors import DaemonRequestFailed, InvalidInvite, NoQrCode
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import create, run


def test_contact_command_lines_map_to_their_requests(tmp_path: Path) -> None:
    parse = build_parser().parse_args
    assert chat.request(parse(["contact", "block", "bob"])) == (
        "contact.block", {"name": "bob", "blocked": True},
    )  # fmt: skip
    assert chat.request(parse(["contact", "unblock", "bob"]))[1]["blocked"] is False
    assert chat.request(parse(["contact", "rename", "bob", "Robert"])) == (
        "contact.rename", {"name": "bob", "new_name": "Robert"},
    )  # fmt: skip
    assert chat.request(parse(["contact", "verify", "bob"]))[0] == "contact.show"
    picture = tmp_path / "code.png"
    picture.write_bytes(render_png(b"\x01\x02 any payload"))
    op, args = chat.request(parse(["contact", "verify", "bob", "--code", str(picture)]))
    assert op == "contact.verify_code"
    assert base64.b64decode(args["code"]) == b"\x01\x02 any payload"
    for wrong in (
        ["contact", "add", "--name", "x"],
        ["contact", "add", "u", "--qr", "f", "--name", "x"],
    ):
        with pytest.raises(chat.UsageError, match="either as a URI or with --qr"):
            chat.request(parse(wrong))
    with pytest.raises(InvalidInvite):  # a QR code, but no invite in it
        chat.request(parse(["contact", "add", "--qr", str(picture), "--name", "x"]))
    blank = tmp_path / "blank.png"
    blank.write_bytes(render_png(b"x")[:60])  # a broken picture
    with pytest.raises(NoQrCode):
        chat.request(parse(["contact", "add", "--qr", str(blank), "--name", "x"]))
    with pytest.raises(Exception, match="Cannot read"):
        chat.request(parse(["contact", "add", "--qr", str(tmp_path / "none.png"), "--name", "x"]))


def test_add_by_qr_verify_by_code_block_and_rename_through_the_socket(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    parse = build_parser().parse_args

    async def scenario() -> None:
        alice = await create(tmp_path, "alice", shared_relay.url, worker)
        bob = await create(tmp_path, "bob", shared_relay.url, worker)
        server = await DaemonServer(alice.m, alice.profile).start()
        client = await DaemonClient.connect(alice.profile)
        try:
            invite_png = tmp_path / "bob-invite.png"
            invite_png.write_bytes(render_png(await bob.m.invite_qr_payload()))
            op, args = chat.request(
                parse(["contact", "add", "--qr", str(invite_png), "--name", "bob"])
            )
            assert args["uri"] == await bob.m.invite()
            added = await client.call(op, args)
            assert added["name"] == "bob"
            await bob.m.add_contact(await alice.m.invite(), "alice")

            tokens = await client.call("contact.tokens", {"name": "bob"})
            assert [t["kind"] for t in tokens] == ["openpgp"]

            own = tmp_path / "alice-code.png"  # her own code is not his
            own.write_bytes(render_png((await alice.m.safety_numbers(bob.m.identity_id)).code))
            with pytest.raises(DaemonRequestFailed, match="does not match"):
                await client.call(
                    *chat.request(parse(["contact", "verify", "bob", "--code", str(own)]))
                )
            theirs = tmp_path / "bob-code.png"
            theirs.write_bytes(render_png((await bob.m.safety_numbers(alice.m.identity_id)).code))
            verified = await client.call(
                *chat.request(parse(["contact", "verify", "bob", "--code", str(theirs)]))
            )
            assert verified["verification"] == "verified"

            blocked = await client.call(*chat.request(parse(["contact", "block", "bob"])))
            assert blocked["blocked"] is True and (await alice.m.contact("bob")).blocked
            await client.call(*chat.request(parse(["contact", "unblock", "bob"])))
            assert not (await alice.m.contact("bob")).blocked
            renamed = await client.call(
                *chat.request(parse(["contact", "rename", "bob", "Robert"]))
            )
            assert renamed["name"] == "Robert"
            with pytest.raises(DaemonRequestFailed, match="not empty"):
                await client.call("contact.rename", {"name": "Robert", "new_name": "  "})
            with pytest.raises(DaemonRequestFailed, match="not a Keybound safety number code"):
                await client.call("contact.verify_code", {"name": "Robert", "code": "!!"})
        finally:
            await client.close()
            await server.close()
            await alice.close()
            await bob.close()

    run(scenario())


def test_what_the_new_contact_commands_print() -> None:
    import io

    parse = build_parser().parse_args
    contact = {"name": "bob\x1b[2J", "blocked": True, "verification": "verified"}
    cases = (
        (["contact", "block", "bob"], "contact.block", r"bob\x1b[2J is blocked."),
        (["contact", "unblock", "bob"], "contact.block", "is unblocked."),
        (["contact", "rename", "bob", "x"], "contact.rename", r"Renamed to bob\x1b[2J."),
        (
            ["contact", "verify", "bob"],
            "contact.verify_code",
            r"The code matches: bob\x1b[2J is now",
        ),
    )
    for argv, op, said in cases:
        out = io.StringIO()
        shown = dict(contact, blocked=argv[1] == "block")
        assert chat._show(op, parse(argv), shown, out) == 0
        assert said in out.getvalue() and "\x1b" not in out.getvalue()
