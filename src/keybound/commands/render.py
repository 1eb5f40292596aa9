"""Text output of the messenger commands (``--json`` prints the daemon's JSON as is)."""

from __future__ import annotations

import time
from typing import Any, TextIO

from ..client.display import visible as v

Json = Any


def when(ms: int | None) -> str:
    if not ms:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))


def message_line(msg: Json) -> str:
    who = "me" if msg.get("outgoing") else v(str(msg.get("sender_name", "?")))
    at = when(msg.get("received_at") or msg.get("sent_at"))
    if msg.get("content_type") == "system":  # a group or timer change
        line = (msg.get("system") or {}).get("text") or "(a change to the conversation)"
        return f"{at}  -- {v(str(line))} --"
    if msg.get("deleted"):
        body = "(deleted)"
    elif msg.get("content_type") == "attachment":
        files = ", ".join(
            f"{v(str(a.get('file_name') or 'file'))} ({a.get('size', 0)} bytes)"
            for a in msg.get("attachments", [])
        )
        body = f"[file] {files}  (keybound download {msg['message_id']})"
    elif msg.get("content_type") == "undecryptable":
        body = "(a message that could not be decrypted)"
    elif msg.get("body") is None:
        body = f"({v(str(msg.get('content_type')))})"
    else:
        body = v(str(msg["body"]))
    status = f"  [{msg['status']}]" if msg.get("outgoing") else ""
    edited = " (edited)" if msg.get("edited_at") else ""
    return f"{at}  {who}: {body}{edited}{status}"


def event_line(event: Json) -> str | None:
    """One line for ``keybound listen`` (None: not worth showing without --json)."""
    kind = event.get("type")
    if kind == "message":
        return f"[{v(str(event.get('conversation', '?')))}] {message_line(event)}"
    if kind == "receipt":
        return (
            f"[{v(str(event.get('conversation', '?')))}] {v(str(event.get('from_name', '?')))} "
            f"{'read' if event.get('receipt') == 'read' else 'received'} "
            f"message {event['message_id'][:16]}"
        )
    if kind == "status" and event.get("status") == "failed":
        reason = v(str(event.get("reason") or "unknown"))
        return f"message {event['message_id'][:16]} failed: {reason}"
    if kind == "contact_changed" and event.get("needs_reverification"):
        name = v(str(event["contact"]["name"]))
        return (
            f"WARNING: {name}'s security keys changed. Their safety number is now "
            f"{event['contact']['safety_number']}. Compare it again in person "
            f"(keybound contact verify {name!r})."
        )
    if kind == "contact_added":
        return f"contact added: {v(str(event['contact']['name']))}"
    if kind in ("verification_requested", "identity_alert"):
        return verification_line(event)
    if kind in ("device_added", "device_removed"):
        whose = "your" if event.get("own") else "a contact's"
        verb = "added" if kind == "device_added" else "removed"
        return f"{whose} device {event['device_id'][:16]} was {verb}"
    if kind == "locked":
        return f"locked ({event.get('reason')}); run `keybound unlock` once the key is back"
    if kind == "unlocked":
        return "unlocked"
    if kind == "connection" and event.get("state") in ("online", "connecting"):
        reason = f" ({event['reason']})" if event.get("reason") else ""
        return f"relay: {event['state']}{reason}"
    if kind == "message_request":
        return f"message request from {event['identity_id'][:16]} (see `keybound requests`)"
    if kind == "receiving":
        if event.get("paused"):
            return None  # the "error" event beside it says why
        return "receiving resumed: the history can be written again"
    if kind == "error":
        return f"error: {v(str(event.get('message')))}"
    if kind == "backup_created":
        return f"backup written: {v(str(event.get('path')))}"
    if kind == "backup_failed":
        return f"BACKUP FAILED: {v(str(event.get('text')))}"
    return None


def contact_lines(c: Json, out: TextIO) -> None:
    mark = {"verified": "verified", "changed": "CHANGED - verify again"}.get(
        c["verification"], "not verified"
    )
    blocked = ", blocked" if c.get("blocked") else ""
    print(f"{v(str(c['name']))}  ({mark}{blocked})", file=out)
    print(f"  identity: {c['identity_id']}", file=out)
    print(f"  devices:  {len(c['devices'])}", file=out)


def safety_number(number: str) -> str:
    groups = number.split()
    if len(groups) != 12:
        return number
    return "\n".join("    " + " ".join(groups[i : i + 4]) for i in range(0, 12, 4))


def device_line(d: Json) -> str:
    flags = [
        f for f, on in (("this computer", d.get("current")), ("removed", d.get("removed"))) if on
    ]
    extra = f"  ({', '.join(flags)})" if flags else ""
    name = v(str(d.get("name") or "-"))
    return f"{d['device_id']}  {name:<24} added {when(d.get('added_at'))}{extra}"


def verification_line(event: Json) -> str | None:
    """``keybound listen``'s lines for an emoji verification request and identity alerts."""
    name = v(str(event.get("name", "?")))
    if event.get("type") == "verification_requested":
        if event.get("accepted"):
            return None
        return (
            f"{name} asks to verify you with emoji: run `keybound contact verify {name!r} "
            "--sas` to compare them (the request lasts ten minutes)."
        )
    alert = event.get("alert")
    if not alert:
        return None
    return alert_text(name, alert)


def alert_text(name: str, alert: Json) -> str:
    """The sentence for a contact's identity alert (``client.identity_alerts``)."""
    kind, held = alert.get("kind"), alert.get("held")
    if kind == "attack":
        text = (
            f"ATTACK WARNING: someone offered a conflicting history of {name}'s identity. "
            f"{v(str(alert.get('detail') or ''))} Verify {name} in person before you trust "
            "this conversation."
        )
    elif kind == "suspect":
        text = f"WARNING: {name} is suspect: {v(str(alert.get('detail') or ''))}"
    else:
        text = (
            f"WARNING: {name}'s security keys changed. Verify them again "
            f"(keybound contact verify {name!r} --sas) or accept the change "
            f"(keybound contact accept-change {name!r})."
        )
    if held:
        text += f" Sending to {name} is held until then."
    return text
