"""The messenger commands: invite, contact, send, group, history, search, devices, download.

Each builds one request of ``keybound.client.daemon`` and runs it on the
engine that :func:`session.open_target` finds (its own, or the running
Keybound's), so a command behaves the same either way.
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path
from typing import Any, TextIO

from ..client import system
from ..client.display import visible
from ..errors import MessageQueued, UnknownContact, UserFacingError
from . import render, session

SubParsers = argparse._SubParsersAction

# read-only commands first take in what the relay holds, so the answer is current
_CATCH_UP = {
    "history", "search", "contact.list", "contact.show", "devices", "group.members",
    "requests.list", "requests.accept",
}  # fmt: skip


def add_parsers(sub: SubParsers[argparse.ArgumentParser]) -> None:
    invite = sub.add_parser("invite", help="print your invite link (and save it as a QR image)")
    invite.add_argument("--qr", metavar="FILE.png", type=Path, help="also write a QR code PNG")

    contact = sub.add_parser("contact", help="add, list and verify contacts")
    csub = contact.add_subparsers(dest="contact_command", required=True, metavar="COMMAND")
    add = csub.add_parser("add", help="add a contact from their invite link or its QR code")
    add.add_argument("uri", metavar="URI", nargs="?", help="the keybound://invite link")
    add.add_argument(
        "--qr", metavar="IMAGE", type=Path, help="read the invite from a QR code in this picture"
    )
    add.add_argument("--name", required=True, help="the name you know them by")
    listing = csub.add_parser("list", help="your contacts")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    verify = csub.add_parser("verify", help="compare safety numbers and mark a contact verified")
    verify.add_argument("name", metavar="NAME")
    verify.add_argument(
        "--yes", action="store_true", help="do not ask: the numbers were compared already"
    )
    verify.add_argument(
        "--code", metavar="IMAGE", type=Path,
        help="verify by their safety number's QR code in this picture (a photo of their screen)",
    )  # fmt: skip
    verify.add_argument(
        "--sas", action="store_true",
        help="compare seven emoji in real time instead (run it on both sides; the second "
        "one answers the first one's request)",
    )  # fmt: skip
    accept_change = csub.add_parser(
        "accept-change",
        help="accept a contact's changed security keys without verifying (releases held sends)",
    )
    accept_change.add_argument("name", metavar="NAME")
    for verb, what in (("block", "drop their messages unread from now on"),
                       ("unblock", "receive their messages again")):  # fmt: skip
        csub.add_parser(verb, help=what).add_argument("name", metavar="NAME")
    rename = csub.add_parser("rename", help="change the name you know a contact by")
    rename.add_argument("name", metavar="NAME")
    rename.add_argument("new_name", metavar="NEW_NAME")

    requests = sub.add_parser(
        "requests", help="messages from people who are not your contacts: list, accept, block"
    )
    rsub = requests.add_subparsers(dest="requests_command", metavar="COMMAND")
    rlist = rsub.add_parser("list", help="the message requests (the default)")
    rlist.add_argument("--json", action="store_true", help="one JSON object per line")
    raccept = rsub.add_parser("accept", help="make the sender a contact")
    raccept.add_argument("id", metavar="ID", help="the request's ID (8+ hex digits)")
    raccept.add_argument("--name", required=True, help="the name you know them by")
    for verb, what in (("block", "delete it and drop their messages from now on"),
                       ("delete", "delete it; a new message makes a new request")):  # fmt: skip
        rsub.add_parser(verb, help=what).add_argument("id", metavar="ID")
    requests.add_argument("--json", action="store_true", help="one JSON object per line")

    send = sub.add_parser(
        "send",
        help="send a message or a file to a contact or group",
        description="Returns once the relay has stored the message (exit 0), or exits 4 "
        "when the relay cannot be reached: the message is kept and sent later.",
    )
    send.add_argument("to", metavar="NAME", help="a contact or group name")
    send.add_argument("text", metavar="TEXT", nargs="?", help="the message")
    send.add_argument("--file", type=Path, metavar="PATH", help="send this file")
    send.add_argument("--reply-to", metavar="MESSAGE_ID", help="reply to this message")
    send.add_argument(
        "--timeout",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="how long to wait for the relay (default 15)",
    )

    group = sub.add_parser("group", help="create and manage groups")
    gsub = group.add_subparsers(dest="group_command", required=True, metavar="COMMAND")
    create = gsub.add_parser("create", help="a new group with you as admin")
    create.add_argument("name", metavar="NAME")
    create.add_argument("members", metavar="MEMBER", nargs="+", help="contact names")
    for verb, text in (("add", "add members"), ("remove", "remove members")):
        g = gsub.add_parser(verb, help=text)
        g.add_argument("group", metavar="GROUP")
        g.add_argument("members", metavar="MEMBER", nargs="+")
    rename = gsub.add_parser("rename", help="give a group a new name (any member may)")
    rename.add_argument("group", metavar="GROUP")
    rename.add_argument("name", metavar="NAME")
    leave = gsub.add_parser("leave", help="leave a group")
    leave.add_argument("group", metavar="GROUP")
    members = gsub.add_parser("members", help="list a group's members")
    members.add_argument("group", metavar="GROUP")
    members.add_argument("--json", action="store_true")

    timer = sub.add_parser(
        "timer", help="disappearing messages in a conversation: off, 5m, 1h, 1d, 1w or seconds"
    )
    timer.add_argument("name", metavar="NAME", help="a contact or group name")
    timer.add_argument(
        "length", metavar="LENGTH", help="off, 5m, 1h, 1d, 1w, or a number of seconds"
    )

    history = sub.add_parser("history", help="the messages of a conversation, oldest first")
    history.add_argument("name", metavar="NAME", help="a contact or group name")
    history.add_argument("--limit", type=int, default=50, metavar="N", help="latest N (default 50)")
    history.add_argument("--json", action="store_true", help="one JSON object per line")
    history.add_argument(
        "--mark-read", action="store_true", help="mark them read (senders get read receipts)"
    )

    search = sub.add_parser("search", help="search all messages")
    search.add_argument("text", metavar="TEXT")
    search.add_argument("--limit", type=int, default=50, metavar="N")
    search.add_argument("--json", action="store_true")

    devices = sub.add_parser("devices", help="your devices; `devices remove ID` revokes one")
    devices.add_argument("--json", action="store_true")
    dsub = devices.add_subparsers(dest="devices_command", metavar="COMMAND")
    remove = dsub.add_parser("remove", help="revoke a device (for example a lost laptop)")
    remove.add_argument("device", metavar="ID", help="the device ID (or its first characters)")

    download = sub.add_parser("download", help="fetch, check and decrypt a received file")
    download.add_argument("message_id", metavar="MESSAGE_ID")
    download.add_argument(
        "--out", type=Path, default=Path("."), metavar="PATH", help="file or directory (default .)"
    )
    download.add_argument("--position", type=int, default=0, help=argparse.SUPPRESS)

    status = sub.add_parser("status", help="whether Keybound is running, unlocked and online")
    status.add_argument("--json", action="store_true")
    sub.add_parser("unlock", help="unlock the running Keybound with the present token")
    sub.add_parser("lock", help="lock the running Keybound")


class UsageError(UserFacingError):
    """The command line is incomplete or contradicts itself (exit code 2, like argparse)."""


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_TIMER = 365 * 86400


def timer_seconds(text: str) -> int:
    """``off``, ``5m``, ``1h``, ``1d``, ``1w`` or plain seconds; 0 for off."""
    t = text.strip().lower()
    if t in ("off", "0", "none"):
        return 0
    number, unit = (t[:-1], t[-1]) if t and t[-1] in _UNITS else (t, "s")
    if not number.isdigit() or not 0 < int(number) * _UNITS[unit] <= MAX_TIMER:
        raise UsageError(
            f"{text!r} is no timer length: use off, 5m, 1h, 1d, 1w or seconds (up to a year)."
        )
    return int(number) * _UNITS[unit]


def request(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The daemon request for this command line."""
    cmd = args.command
    if cmd == "invite":
        return "invite", {}
    if cmd == "contact":
        sub = args.contact_command
        if sub == "add":
            if (args.uri is None) == (args.qr is None):
                raise UsageError("Give the invite either as a URI or with --qr IMAGE.")
            uri = args.uri if args.qr is None else invite_from_picture(args.qr)
            return "contact.add", {"uri": uri, "name": args.name}
        if sub == "list":
            return "contact.list", {}
        if sub in ("block", "unblock"):
            return "contact.block", {"name": args.name, "blocked": sub == "block"}
        if sub == "rename":
            return "contact.rename", {"name": args.name, "new_name": args.new_name}
        if sub == "verify" and args.code is not None:
            return "contact.verify_code", {"name": args.name, "code": code_from_picture(args.code)}
        if sub == "accept-change":
            return "identity.accept", {"name": args.name}
        return "contact.show", {"name": args.name}
    if cmd == "requests":
        sub = args.requests_command or "list"
        if sub == "list":
            return "requests.list", {}
        if sub == "accept":
            return "requests.accept", {"id": args.id, "name": args.name}
        return f"requests.{sub}", {"id": args.id}
    if cmd == "send":
        base: dict[str, Any] = {"to": args.to, "timeout": args.timeout}
        if args.file is not None:
            if args.text is not None:
                raise UsageError("Give either a TEXT or --file, not both.")
            return "send.file", {**base, "path": str(args.file.expanduser().resolve())}
        if args.text is None:
            raise UsageError("Nothing to send: give a TEXT or --file PATH.")
        if args.reply_to:
            base["reply_to"] = args.reply_to
        return "send", {**base, "text": args.text}
    if cmd == "group":
        sub = args.group_command
        if sub == "create":
            return "group.create", {"name": args.name, "members": args.members}
        if sub in ("add", "remove"):
            return f"group.{sub}", {"group": args.group, "members": args.members}
        if sub == "rename":
            return "group.rename", {"group": args.group, "name": args.name}
        return f"group.{sub}", {"group": args.group}
    if cmd == "timer":
        return "timer", {"with": args.name, "seconds": timer_seconds(args.length)}
    if cmd == "history":
        return "history", {"with": args.name, "limit": args.limit, "mark_read": args.mark_read}
    if cmd == "search":
        return "search", {"text": args.text, "limit": args.limit}
    if cmd == "devices":
        if args.devices_command == "remove":
            return "devices.remove", {"device": args.device}
        return "devices", {}
    if cmd == "download":
        return "download", {
            "message_id": args.message_id,
            "dest": str(args.out.expanduser().resolve()),
            "position": args.position,
        }
    if cmd in ("status", "unlock", "lock"):
        return cmd, {}
    raise UserFacingError(f"Unknown command {cmd!r}.")


def _picture(path: Path) -> bytes:
    try:
        return path.expanduser().read_bytes()
    except OSError as exc:
        raise UserFacingError(f"Cannot read {path}: {exc.strerror}.") from None


def invite_from_picture(path: Path) -> str:
    from ..client.qr_codes import invite_link_from_image

    return invite_link_from_image(_picture(path))


def code_from_picture(path: Path) -> str:
    """The first QR payload in the picture, as base64 (the engine checks what it is)."""
    from ..client.qr_codes import decode_image

    return base64.b64encode(decode_image(_picture(path))[0]).decode()


def run(args: argparse.Namespace, profile: Path, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        op, params = request(args)
    except UsageError as exc:
        print(f"keybound: {exc}", file=sys.stderr)
        return session.EXIT_USAGE
    return session.run(lambda: _run(args, profile, out, op, params))


async def _run(
    args: argparse.Namespace, profile: Path, out: TextIO, op: str, params: dict[str, Any]
) -> int:
    if op in ("status", "unlock", "lock"):
        return await _control(op, args, profile, out)
    sas = args.command == "contact" and getattr(args, "sas", False)
    async with session.target(profile, args, catch_up=op in _CATCH_UP or sas) as engine:
        if sas:
            from .verify_sas import verify_sas

            return await verify_sas(engine, profile, args.name, out)
        if args.command == "contact" and args.contact_command == "verify" and args.code is None:
            return await _verify(engine, args, out)
        try:
            result = await engine.call(op, params)
        except UnknownContact:
            if not isinstance(engine, session.Direct) or op in _CATCH_UP:
                raise
            # perhaps the group (or contact sync) is still waiting on the relay for us
            await engine.catch_up()
            result = await engine.call(op, params)
        return _show(op, args, result, out)


async def _control(op: str, args: argparse.Namespace, profile: Path, out: TextIO) -> int:
    """status/lock/unlock talk to the running Keybound; without one they say so."""
    from ..client.daemon import DaemonClient, DaemonUnavailable

    try:
        client = await DaemonClient.connect(profile)
    except DaemonUnavailable:
        client = None
    if client is None:
        if op == "status":
            result: Any = {"running": False}
            if args.json:
                session.emit_json(result, out)
            else:
                print("Keybound is not running with this profile.", file=out)
            return session.EXIT_OK
        raise UserFacingError(
            "No Keybound is running with this profile (start one with `keybound listen`)."
        )
    try:
        if op == "unlock":
            await _say_where_the_pin_is_asked(client)
        result = await session.Remote(client).call(op, {})
    finally:
        await client.close()
    if op == "status":
        result = {"running": True, **result}
        if args.json:
            session.emit_json(result, out)
        else:
            state = "locked" if result["locked"] else f"unlocked, relay {result['connection']}"
            paused = result.get("receiving")
            if paused:
                state += f"; receiving paused: {paused['reason']}"
            print(f"Keybound is running (pid {result['pid']}): {state}.", file=out)
        return session.EXIT_OK
    print("locked" if result["locked"] else "unlocked", file=out)
    return session.EXIT_OK


async def _say_where_the_pin_is_asked(client: Any) -> None:
    """`unlock` waits while the running Keybound asks for the PIN on *its* PIN source."""
    status = await session.Remote(client).call("status", {})
    if status.get("locked"):
        print(
            f"The running Keybound (pid {status.get('pid')}) asks for the PIN where it runs: "
            "on the terminal of its `keybound listen` (or from its --pin-fd). Waiting...",
            file=sys.stderr,
            flush=True,
        )


async def _verify(engine: session.Target, args: argparse.Namespace, out: TextIO) -> int:
    contact = await engine.call("contact.show", {"name": args.name})
    number = contact["safety_number"]
    print(f"Safety number with {visible(str(contact['name']))}:", file=out)
    print(render.safety_number(number), file=out)
    print(
        "Compare it with the number on their screen (in person or on a call you trust).",
        file=out,
    )
    out.flush()
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserFacingError("No terminal to ask on: compare the numbers, then use --yes.")
        answer = input("Do the numbers match? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print(f"{visible(str(contact['name']))} was not marked verified.", file=out)
            return session.EXIT_USER
    await engine.call(
        "contact.verify", {"name": args.name, "verified": True, "safety_number": number}
    )
    print(f"{visible(str(contact['name']))} is now verified.", file=out)
    return session.EXIT_OK


def _show(op: str, args: argparse.Namespace, result: Any, out: TextIO) -> int:
    as_json = getattr(args, "json", False)
    if op == "invite":
        print(result["uri"], file=out)
        if args.qr is not None:
            from .qr import write_png

            write_png(base64.b64decode(result["qr_payload"]), args.qr)
            print(f"QR code written to {args.qr}", file=sys.stderr)
    elif op == "contact.add":
        name = visible(str(result["name"]))
        print(f"Added {name} ({result['identity_id'][:16]}).", file=out)
        print(
            f"Compare safety numbers with `keybound contact verify {name}`.",
            file=sys.stderr,
        )
    elif op in ("contact.list", "history", "search", "devices", "group.members"):
        for item in result:
            if as_json:
                session.emit_json(item, out)
            elif op == "contact.list":
                render.contact_lines(item, out)
            elif op == "devices":
                print(render.device_line(item), file=out)
            elif op == "group.members":
                print(f"{visible(str(item['name']))}  ({item['role']})", file=out)
            elif op == "search":
                snippet = "".join(
                    f"[{visible(text)}]" if match else visible(text)
                    for text, match in item["snippet"]
                )
                where, who = visible(str(item["conversation"])), visible(str(item["sender_name"]))
                print(f"[{where}] {who}: {snippet}", file=out)
            else:
                print(render.message_line(item), file=out)
    elif op == "identity.accept":
        name = visible(str(result["name"]))
        print(f"Accepted {name}'s new security keys; sending to {name} is no longer held.",
              file=out)  # fmt: skip
        print(f"{name} is not verified now: `keybound contact verify {name} --sas`.", file=out)
    elif op == "requests.list":
        _show_requests(result, as_json, out)
    elif op == "requests.accept":
        print(f"{visible(str(result['name']))} is now a contact.", file=out)
    elif op == "contact.verify_code":
        print(f"The code matches: {visible(str(result['name']))} is now verified.", file=out)
    elif op == "contact.block":
        state = "blocked" if result["blocked"] else "unblocked"
        print(f"{visible(str(result['name']))} is {state}.", file=out)
    elif op == "contact.rename":
        print(f"Renamed to {visible(str(result['name']))}.", file=out)
    elif op in ("requests.block", "requests.delete"):
        verb = "blocked" if op == "requests.block" else "deleted"
        print(f"Message request {result['identity_id'][:16]} {verb}.", file=out)
    elif op in ("send", "send.file"):
        print(result["message_id"], file=out)
        out.flush()
        if result["status"] == "sending":
            raise MessageQueued()
    elif op == "group.create":
        print(result["conversation_id"], file=out)
    elif op == "group.rename":
        print(f"The group is now called {visible(str(result['name']))}.", file=out)
    elif op == "timer":
        seconds = int(result["seconds"])
        state = f"after {system.timer_text(seconds)}" if seconds else "off"
        print(f"Disappearing messages: {state}.", file=out)
    elif op == "devices.remove":
        print(f"Device {result['device_id']} was removed from your account.", file=out)
    elif op == "download":
        print(result["path"], file=out)
        print(f"sha256 {result['sha256']}  {result['size']} bytes", file=sys.stderr)
    return session.EXIT_OK


def _show_requests(result: Any, as_json: bool, out: TextIO) -> None:
    if as_json:
        for item in result["requests"]:
            session.emit_json(item, out)
        return
    for item in result["requests"]:
        preview = visible(str(item["preview"] or ""))[:60]
        print(
            f"{item['identity_id'][:16]}  {item['messages']} message(s), last "
            f"{render.when(item['last_at'])}: {preview}",
            file=out,
        )
    if not result["requests"]:
        print("No message requests.", file=out)
    if result["junk_dropped"]:
        print(
            f"({result['junk_dropped']} unreadable messages from strangers were dropped.)",
            file=out,
        )
    if result["requests"]:
        print(
            "Accept with `keybound requests accept ID --name NAME`, or block / delete ID.",
            file=sys.stderr,
        )
