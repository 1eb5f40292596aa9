"""The local control socket: commands act through the process that holds the profile.

Only one process may hold a profile (its lock).  While one does (``keybound
listen``, later the GUI), it serves ``<profile>/daemon.sock``, and a second
``keybound`` command acts through it instead of failing, as signal-cli's
daemon mode does.  The socket is a Unix socket of mode 0600 inside the 0700
profile directory, and the server checks the peer's uid (``SO_PEERCRED``):
only the same user gets in.

The protocol is line-delimited JSON, one request per line, answered in order:

    {"id": 1, "op": "send", "args": {"to": "bob", "text": "hi"}}
    {"id": 1, "ok": true, "result": {"message_id": "…", "status": "sent"}}
    {"id": 2, "ok": false, "error": {"kind": "relay", "type": "RelayUnavailable", "message": "…"}}

``op`` names map one to one to the command line (:data:`OPS`); ``events``
turns the connection into a stream of ``{"event": {...}}`` lines.  The same
:class:`Service` also runs the commands directly when no daemon holds the
profile, so both paths behave identically.

Error ``kind`` is what a script can rely on: ``locked`` (locked, token
missing, wrong PIN), ``relay`` (relay unreachable; what was sent is queued),
``user`` (any other error a person can meet), ``internal`` (a bug).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import hashlib
import json
import logging
import os
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from keybound.client import events as ev
from keybound.client import settings as cfg
from keybound.client.daemon_json import (
    Json,
    Names,
    contact_json,
    device_json,
    event_json,
    message_json,
    names_of,
)
from keybound.client.messenger import Messenger
from keybound.client.profile import DAEMON_SOCKET
from keybound.client.send_wait import wait_sent
from keybound.client.values import (
    ConversationKind,
    DeviceInfo,
    MessageStatus,
    SearchHit,
)
from keybound.errors import (
    DaemonRequestFailed,
    EngineLocked,
    InternalError,
    KeyboundError,
    RelayUnavailable,
    TokenError,
    UnknownContact,
    UnknownMessage,
    UserFacingError,
)
from keybound.identity.fingerprint import encode_qr, parse_invite

log = logging.getLogger(__name__)

MAX_LINE = 1 << 20  # a request
MAX_REPLY = 1 << 28  # a reply (a long history)
DEFAULT_SEND_TIMEOUT = 15.0

# error kinds (see the module docstring)
LOCKED, RELAY, USER, INTERNAL = "locked", "relay", "user", "internal"


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, DaemonRequestFailed):
        return exc.kind
    if isinstance(exc, EngineLocked | TokenError):
        return LOCKED
    if isinstance(exc, RelayUnavailable):
        return RELAY
    if isinstance(exc, UserFacingError):
        return USER
    return INTERNAL


class DaemonUnavailable(KeyboundError):
    """No process answers on the profile's socket (none, or it died)."""


# --- the service: one method per command ---------------------------------------------------------


Handler = Callable[["Service", dict[str, Any]], Awaitable[Json]]
OPS: dict[str, Handler] = {}


def _op(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        OPS[name] = fn
        return fn

    return register


def _str(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str):
        raise UserFacingError(f"The request needs a text value {key!r}.")
    return value


def _int(args: dict[str, Any], key: str, default: int) -> int:
    value = args.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise UserFacingError(f"The request needs a number {key!r}.")
    return value


def _strs(args: dict[str, Any], key: str) -> list[str]:
    value = args.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserFacingError(f"The request needs a list of names {key!r}.")
    return value


def _abs_path(args: dict[str, Any], key: str) -> Path:
    path = Path(_str(args, key))
    if not path.is_absolute():
        raise UserFacingError(f"{key} must be an absolute path.")
    return path


def _hex_id(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise UserFacingError(f"{text!r} is not a {what} (hexadecimal).") from None


class Service:
    """The commands, on one Messenger; used by the daemon and by direct CLI runs."""

    def __init__(self, messenger: Messenger) -> None:
        self.m = messenger
        self._direct: dict[bytes, bytes] = {}

    async def call(self, op: str, args: dict[str, Any]) -> Json:
        handler = OPS.get(op)
        if handler is None:
            raise UserFacingError(f"Unknown request {op!r}.")
        return await handler(self, args)

    # --- lookups ---

    async def conversation(self, name: str) -> bytes:
        """A conversation by contact name, group name, or hex prefix of its ID."""
        m = self.m
        try:
            contact = await m.contact(name)
        except UnknownContact as exc:
            missing: UserFacingError = exc
        else:
            known = self._direct.get(contact.identity_id)
            if known is None:  # creating it is a write; its ID never changes after
                known = await m.direct_conversation(contact.identity_id)
                self._direct[contact.identity_id] = known
            return known
        summaries = await m.conversations()
        groups = [
            s.conversation for s in summaries if s.conversation.kind is ConversationKind.GROUP
        ]
        for fold in (False, True):
            found = [
                g
                for g in groups
                if (g.name.casefold() == name.casefold() if fold else g.name == name)
            ]
            if len(found) == 1:
                return found[0].conversation_id
            if len(found) > 1:
                raise UserFacingError(f"Several groups are named {name!r}; use the ID instead.")
        text = name.lower()
        if len(text) >= 8 and all(ch in "0123456789abcdef" for ch in text):
            by_id = [
                s.conversation.conversation_id
                for s in summaries
                if s.conversation.conversation_id.hex().startswith(text)
            ]
            if len(by_id) == 1:
                return by_id[0]
        raise UnknownContact(f"There is no contact or group named {name!r}.") from missing

    async def members(self, names: list[str]) -> list[bytes]:
        return [(await self.m.contact(n)).identity_id for n in names]

    async def message_id(self, text: str) -> bytes:
        mid = _hex_id(text, "message ID")
        if await self.m.message(mid) is None:
            raise UnknownMessage()
        return mid

    async def device_id(self, text: str) -> DeviceInfo:
        prefix = text.lower()
        found = [d for d in await self.m.devices() if d.device_id.hex().startswith(prefix)]
        if not prefix or len(found) != 1:
            raise UserFacingError(
                f"No single device of yours has an ID starting with {text!r} "
                "(see `keybound devices`)."
            )
        return found[0]

    async def sent(self, mid: bytes, conversation_id: bytes, timeout: float) -> Json:
        """Wait for the relay's acknowledgement (``sending`` on timeout; see send_wait)."""
        status = MessageStatus.SENDING
        if timeout > 0:
            status = await wait_sent(self.m, mid, timeout)
        return {
            "message_id": mid.hex(),
            "conversation_id": conversation_id.hex(),
            "status": status.value,
        }


def _timeout(args: dict[str, Any]) -> float:
    value = args.get("timeout", DEFAULT_SEND_TIMEOUT)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise UserFacingError("timeout must be a number of seconds.")
    return float(value)


@_op("status")
async def _status(s: Service, args: dict[str, Any]) -> Json:
    m = s.m
    out: Json = {
        "identity_id": m.identity_id.hex(),
        "device_id": m.device_id.hex(),
        "locked": m.locked,
        "connection": m.connection.state.value,
        "pid": os.getpid(),
    }
    if m.receiving.paused:
        out["receiving"] = {"paused": True, "what": m.receiving.what, "reason": m.receiving.reason}
    if not m.locked:
        out["pending"] = await m.pending_count()
        out["name"] = await m.setting(cfg.DISPLAY_NAME)
    return out


@_op("unlock")
async def _unlock(s: Service, args: dict[str, Any]) -> Json:
    await s.m.unlock()
    return {"locked": s.m.locked}


@_op("lock")
async def _lock(s: Service, args: dict[str, Any]) -> Json:
    await s.m.lock()
    return {"locked": s.m.locked}


@_op("invite")
async def _invite(s: Service, args: dict[str, Any]) -> Json:
    uri = await s.m.invite()
    payload = encode_qr(parse_invite(uri))
    return {"uri": uri, "qr_payload": base64.b64encode(payload).decode("ascii")}


@_op("contact.add")
async def _contact_add(s: Service, args: dict[str, Any]) -> Json:
    return contact_json(await s.m.add_contact(_str(args, "uri"), _str(args, "name")))


@_op("contact.list")
async def _contact_list(s: Service, args: dict[str, Any]) -> Json:
    return [contact_json(c) for c in await s.m.contacts()]


@_op("contact.show")
async def _contact_show(s: Service, args: dict[str, Any]) -> Json:
    return contact_json(await s.m.contact(_str(args, "name")))


@_op("contact.verify")
async def _contact_verify(s: Service, args: dict[str, Any]) -> Json:
    contact = await s.m.contact(_str(args, "name"))
    expected = args.get("safety_number")
    if expected is not None and expected != contact.safety_number:
        raise UserFacingError(
            "The safety number changed while you were comparing it. Compare it again."
        )
    verified = args.get("verified", True)
    info = await s.m.verify_contact(contact.identity_id, bool(verified))
    return contact_json(info)


@_op("send")
async def _send(s: Service, args: dict[str, Any]) -> Json:
    conv = await s.conversation(_str(args, "to"))
    reply_to = args.get("reply_to")
    reply = await s.message_id(reply_to) if isinstance(reply_to, str) else None
    mid = await s.m.send_text(conv, _str(args, "text"), reply_to=reply)
    return await s.sent(mid, conv, _timeout(args))


@_op("send.file")
async def _send_file(s: Service, args: dict[str, Any]) -> Json:
    conv = await s.conversation(_str(args, "to"))
    path = _abs_path(args, "path")
    if not path.is_file():
        raise UserFacingError(f"There is no file {path}.")
    try:
        mid = await s.m.send_file(conv, path)
    except RelayUnavailable:
        # The upload needs the relay, and nothing was queued: say so, not "exit 4, queued".
        raise UserFacingError(
            "The relay cannot be reached, so the file was not sent. Try again when online."
        ) from None
    return await s.sent(mid, conv, _timeout(args))


@_op("group.create")
async def _group_create(s: Service, args: dict[str, Any]) -> Json:
    members = await s.members(_strs(args, "members"))
    gid = await s.m.create_group(_str(args, "name"), members)
    return {"conversation_id": gid.hex(), "name": _str(args, "name")}


@_op("group.add")
async def _group_add(s: Service, args: dict[str, Any]) -> Json:
    gid = await s.conversation(_str(args, "group"))
    await s.m.add_members(gid, await s.members(_strs(args, "members")))
    return {"conversation_id": gid.hex()}


@_op("group.remove")
async def _group_remove(s: Service, args: dict[str, Any]) -> Json:
    gid = await s.conversation(_str(args, "group"))
    await s.m.remove_members(gid, await s.members(_strs(args, "members")))
    return {"conversation_id": gid.hex()}


@_op("group.rename")
async def _group_rename(s: Service, args: dict[str, Any]) -> Json:
    gid = await s.conversation(_str(args, "group"))
    name = _str(args, "name").strip()
    await s.m.rename_group(gid, name)
    return {"conversation_id": gid.hex(), "name": name}


@_op("timer")
async def _timer(s: Service, args: dict[str, Any]) -> Json:
    conv = await s.conversation(_str(args, "with"))
    seconds = _int(args, "seconds", 0)
    if seconds < 0:
        raise UserFacingError("seconds must be 0 (off) or more.")
    await s.m.set_disappearing(conv, seconds or None)
    return {"conversation_id": conv.hex(), "seconds": seconds}


@_op("group.leave")
async def _group_leave(s: Service, args: dict[str, Any]) -> Json:
    gid = await s.conversation(_str(args, "group"))
    await s.m.leave_group(gid)
    return {"conversation_id": gid.hex()}


@_op("group.members")
async def _group_members(s: Service, args: dict[str, Any]) -> Json:
    gid = await s.conversation(_str(args, "group"))
    names = await names_of(s.m)
    return [
        {"identity_id": who.hex(), "name": names.person(who), "role": role.value}
        for who, role in await s.m.members(gid)
    ]


@_op("history")
async def _history(s: Service, args: dict[str, Any]) -> Json:
    conv = await s.conversation(_str(args, "with"))
    limit = _int(args, "limit", 50)
    if not 0 < limit <= 100_000:
        raise UserFacingError("limit must be between 1 and 100000.")
    messages = await s.m.history(conv, limit)
    if args.get("mark_read") and messages:
        await s.m.mark_read(conv)
    names = await names_of(s.m)
    return [await message_json(s.m, msg, names) for msg in messages]


@_op("search")
async def _search(s: Service, args: dict[str, Any]) -> Json:
    hits: list[SearchHit] = await s.m.search(_str(args, "text"), _int(args, "limit", 50))
    names = await names_of(s.m)
    return [
        {
            **await message_json(s.m, hit.message, names),
            "snippet": [[part.text, part.match] for part in hit.snippet],
        }
        for hit in hits
    ]


@_op("devices")
async def _devices(s: Service, args: dict[str, Any]) -> Json:
    return [device_json(d) for d in await s.m.devices()]


@_op("devices.remove")
async def _devices_remove(s: Service, args: dict[str, Any]) -> Json:
    device = await s.device_id(_str(args, "device"))
    await s.m.remove_device(device.device_id)
    return device_json(device)


@_op("download")
async def _download(s: Service, args: dict[str, Any]) -> Json:
    mid = await s.message_id(_str(args, "message_id"))
    position = _int(args, "position", 0)
    found = [a for a in await s.m.attachments(mid) if a.position == position]
    if not found:
        raise UserFacingError("That message has no such attachment.")
    dest = _abs_path(args, "dest")
    if dest.is_dir():
        dest = dest / Path(found[0].file_name or f"{mid.hex()[:16]}.bin").name
    if dest.exists() and not args.get("overwrite"):
        raise UserFacingError(f"{dest} exists already; choose another file name.")
    path = await s.m.download(mid, dest, position)
    digest = await asyncio.to_thread(_sha256, path)
    return {"path": str(path), "size": path.stat().st_size, "sha256": digest}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- the socket ------------------------------------------------------------


def socket_path(profile: Path) -> Path:
    return profile / DAEMON_SOCKET


def _sun_path(path: Path) -> tuple[str, int | None]:
    """A path short enough for ``sun_path`` (108 bytes): long ones go through
    ``/proc/self/fd/N`` of an open directory descriptor (closed by the caller)."""
    if len(os.fsencode(path)) < 100:
        return str(path), None
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    return f"/proc/self/fd/{fd}/{path.name}", fd


def peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


def remove_stale(profile: Path) -> bool:
    """Remove a socket file nobody serves (its process was killed).  Call only while
    holding the profile lock, so the file cannot belong to a live server."""
    path = socket_path(profile)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


class DaemonServer:
    """Serves :class:`Service` on ``<profile>/daemon.sock`` while a Messenger holds the profile."""

    def __init__(self, messenger: Messenger, profile: Path) -> None:
        self.service = Service(messenger)
        self.path = socket_path(profile)
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self) -> DaemonServer:
        if remove_stale(self.path.parent):
            log.info("removed a stale daemon socket")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        address, dir_fd = _sun_path(self.path)
        old = os.umask(0o177)  # the socket file is born 0600
        try:
            sock.bind(address)
        except BaseException:
            sock.close()
            raise
        finally:
            os.umask(old)
            if dir_fd is not None:
                os.close(dir_fd)
        os.chmod(self.path, 0o600)
        sock.listen(16)
        sock.setblocking(False)
        self._server = await asyncio.start_unix_server(self._serve, sock=sock, limit=MAX_LINE)
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._clients):
                task.cancel()
            await asyncio.gather(*self._clients, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def __aenter__(self) -> DaemonServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        try:
            sock = writer.get_extra_info("socket")
            if sock is None or peer_uid(sock) != os.getuid():
                refused = UserFacingError("Only the user running Keybound may use its socket.")
                await _write(writer, {"id": None, "ok": False, "error": _error_json(refused)})
                return
            while True:
                try:
                    line = await reader.readline()
                except ValueError:  # longer than MAX_LINE
                    return
                if not line:
                    return
                reply = await self._answer(line, writer)
                if reply is None:
                    return
                await _write(writer, reply)
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._clients.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(self, line: bytes, writer: asyncio.StreamWriter) -> Json | None:
        rid: Any = None
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise UserFacingError("A request must be a JSON object.")
            rid = request.get("id")
            op = request.get("op")
            args = request.get("args") or {}
            if not isinstance(op, str) or not isinstance(args, dict):
                raise UserFacingError("A request needs an op and an args object.")
            if op == "events":
                await self._stream_events(writer)
                return None
            result = await self.service.call(op, args)
        except json.JSONDecodeError:
            return {"id": None, "ok": False, "error": _error_json(
                UserFacingError("A request must be one line of JSON."))}  # fmt: skip
        except Exception as exc:
            if error_kind(exc) == INTERNAL:
                log.exception("daemon request failed")
            return {"id": rid, "ok": False, "error": _error_json(exc)}
        return {"id": rid, "ok": True, "result": result}

    async def _stream_events(self, writer: asyncio.StreamWriter) -> None:
        m = self.service.m
        stream = m.events()
        try:
            await _write(writer, {"event": {"type": "ready"}})
            names = await _names_or_empty(m)
            async for event in stream:
                if isinstance(event, ev.ContactAdded | ev.ConversationChanged | ev.Unlocked):
                    names = await _names_or_empty(m)
                try:
                    item = await event_json(m, event, names)
                except KeyboundError:
                    continue
                if item is not None:
                    await _write(writer, {"event": item})
        except ConnectionError:
            pass  # the follower went away (a command that was done): nothing to report
        finally:
            stream.close()


async def _names_or_empty(m: Messenger) -> Names:
    try:
        return await names_of(m)
    except EngineLocked:
        return Names(m.identity_id, {}, {})


def _error_json(exc: BaseException) -> Json:
    kind = error_kind(exc)
    message = str(exc) if kind != INTERNAL else (
        f"Something went wrong inside Keybound ({type(exc).__name__})."
    )  # fmt: skip
    return {"kind": kind, "type": type(exc).__name__, "message": message}


async def _write(writer: asyncio.StreamWriter, obj: Json) -> None:
    writer.write(json.dumps(obj, separators=(",", ":")).encode() + b"\n")
    await writer.drain()


# --- the client ------------------------------------------------------------


class DaemonClient:
    """A connection to the process that holds the profile."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._next = 0

    @classmethod
    async def connect(cls, profile: Path, timeout: float = 5.0) -> DaemonClient:
        """Raises :class:`DaemonUnavailable` when nobody serves the socket."""
        path = socket_path(profile)
        try:
            address, dir_fd = _sun_path(path)
        except FileNotFoundError:
            raise DaemonUnavailable("no profile directory") from None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_unix_connection(address, limit=MAX_REPLY), timeout
            )
        except (FileNotFoundError, ConnectionRefusedError, TimeoutError) as exc:
            raise DaemonUnavailable(type(exc).__name__) from None
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ECONNREFUSED, errno.ENOTSOCK):
                raise DaemonUnavailable(type(exc).__name__) from None
            raise
        finally:
            if dir_fd is not None:
                os.close(dir_fd)
        return cls(reader, writer)

    async def call(self, op: str, args: dict[str, Any] | None = None) -> Json:
        self._next += 1
        await self._send({"id": self._next, "op": op, "args": args or {}})
        reply = await self._receive()
        if reply.get("ok"):
            return reply.get("result")
        err = reply.get("error") or {}
        raise DaemonRequestFailed(
            str(err.get("kind", INTERNAL)),
            str(err.get("type", "")),
            str(err.get("message", "The running Keybound refused the request.")),
        )

    async def events(self) -> AsyncIterator[Json]:
        """The holder's events as JSON objects, until it goes away."""
        await self._send({"id": 0, "op": "events", "args": {}})
        while True:
            try:
                reply = await self._receive()
            except DaemonUnavailable:
                return
            if "event" in reply:
                yield reply["event"]
            elif not reply.get("ok", True):
                err = reply.get("error") or {}
                raise DaemonRequestFailed(
                    str(err.get("kind", INTERNAL)), "", str(err.get("message", ""))
                )

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()

    async def _send(self, obj: Json) -> None:
        try:
            self._writer.write(json.dumps(obj, separators=(",", ":")).encode() + b"\n")
            await self._writer.drain()
        except ConnectionError:
            raise DaemonUnavailable("connection lost") from None

    async def _receive(self) -> Json:
        try:
            line = await self._reader.readline()
        except (ConnectionError, ValueError):
            line = b""
        if not line:
            raise DaemonUnavailable("the running Keybound closed the connection")
        reply = json.loads(line)
        if not isinstance(reply, dict):
            raise InternalError("malformed daemon reply")
        return reply


__all__ = [
    "OPS",
    "DaemonClient",
    "DaemonRequestFailed",
    "DaemonServer",
    "DaemonUnavailable",
    "Service",
    "error_kind",
    "remove_stale",
]


from keybound.client import daemon_contacts as _daemon_contacts  # noqa: E402, F401  (registers its operations)
from keybound.client import daemon_keys as _daemon_keys  # noqa: E402, F401  (registers its operations)
from keybound.client import daemon_requests as _daemon_requests  # noqa: E402, F401  (registers its operations)
from keybound.client import daemon_verification as _daemon_verification  # noqa: E402, F401  (registers)
