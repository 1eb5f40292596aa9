"""The backup's inner layout (format 1): member names and the JSON of each record.

One place for what ``docs/backup-format.md`` describes, shared by the writer
and the reader. IDs are lower-case hex; other binary values (identity
chains, attachment keys and digests, thumbnails) are padded standard
base64. Times are integer milliseconds since the Unix epoch (UTC).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any

from keybound.errors import BackupDamaged

HEADER = "keybound-backup.json"
CONTACTS = "contacts.jsonl"
CONVERSATIONS = "conversations.jsonl"
SETTINGS = "settings.json"
MANIFEST = "manifest.json"
MESSAGES_DIR = "messages/"
ATTACHMENTS_DIR = "attachments/"
# A conversation's messages are split into parts of at most this many
# bytes, so that a member's size (which a tar header states first) is
# known from memory of a bounded size.
PART_BYTES = 4 * 1024 * 1024

MESSAGE_PART = re.compile(r"messages/([0-9a-f]{2,128})/([0-9]{6})\.jsonl")
ATTACHMENT_FILE = re.compile(r"attachments/([0-9a-f]{32})-([0-9]{1,4})")

CONTACT_COLUMNS = (
    "identity_id", "display_name", "chain", "verification", "blocked", "created_at", "updated_at",
)  # fmt: skip
CONVERSATION_COLUMNS = (
    "conversation_id", "kind", "name", "peer_identity", "disappearing_seconds", "muted",
    "archived", "created_at", "last_read_sort_at", "last_read_message_id",
)  # fmt: skip
MEMBER_COLUMNS = ("identity_id", "role", "joined_at")
MESSAGE_COLUMNS = (
    "message_id", "conversation_id", "sender_identity", "sender_device", "outgoing", "sort_at",
    "sent_at", "received_at", "edited_at", "content_type", "body", "reply_to", "status",
    "failure_reason", "expires_at", "deleted",
)  # fmt: skip
REACTION_COLUMNS = ("sender_identity", "emoji", "reacted_at")
RECEIPT_COLUMNS = ("recipient_device", "recipient_identity", "delivered_at", "read_at")
ATTACHMENT_COLUMNS = (
    "position", "blob_id", "key", "digest", "size", "media_type", "file_name", "thumbnail",
)  # fmt: skip

HEX_FIELDS = frozenset({
    "identity_id", "conversation_id", "peer_identity", "last_read_message_id", "message_id",
    "sender_identity", "sender_device", "reply_to", "recipient_device", "recipient_identity",
    "blob_id",
})  # fmt: skip
BASE64_FIELDS = frozenset({"chain", "key", "digest", "thumbnail"})
BOOL_FIELDS = frozenset({"blocked", "muted", "archived", "outgoing", "deleted"})


def _b64(value: Any) -> str:
    return base64.b64encode(bytes(value)).decode("ascii")


def _converter(name: str) -> Any:
    if name in HEX_FIELDS:
        return lambda v: None if v is None else bytes(v).hex()
    if name in BASE64_FIELDS:
        return lambda v: None if v is None else _b64(v)
    if name in BOOL_FIELDS:
        return bool
    return None


_CONVERTERS: dict[tuple[str, ...], list[tuple[str, Any]]] = {}


def to_json(columns: tuple[str, ...], row: tuple[Any, ...]) -> dict[str, Any]:
    """A database row as the JSON object the format describes."""
    plan = _CONVERTERS.get(columns)
    if plan is None:
        plan = _CONVERTERS[columns] = [(name, _converter(name)) for name in columns]
    return {
        name: value if convert is None else convert(value)
        for (name, convert), value in zip(plan, row, strict=True)
    }


_PLAIN, _HEX, _BASE64, _BOOL = range(4)
_PLANS: dict[tuple[str, ...], list[tuple[str, int]]] = {}


def _plan(columns: tuple[str, ...]) -> list[tuple[str, int]]:
    plan = _PLANS.get(columns)
    if plan is None:
        kinds = [
            _HEX if n in HEX_FIELDS else _BASE64 if n in BASE64_FIELDS else
            _BOOL if n in BOOL_FIELDS else _PLAIN
            for n in columns
        ]  # fmt: skip
        plan = _PLANS[columns] = list(zip(columns, kinds, strict=True))
    return plan


def from_json(columns: tuple[str, ...], record: dict[str, Any], what: str) -> list[Any]:
    """The database values of a JSON record; a missing or mistyped field is damage.

    The hot loop of a restore (once per message): the kind of every column is
    looked up once per column list, not per value.
    """
    values: list[Any] = []
    append, fromhex, b64decode = values.append, bytes.fromhex, base64.b64decode
    try:
        for name, kind in _plan(columns):
            value = record[name]
            if kind == _PLAIN or (value is None and kind != _BOOL):
                append(value)
            elif kind == _HEX:
                append(fromhex(value))
            elif kind == _BOOL:
                if value is not True and value is not False:
                    raise TypeError(name)
                append(int(value))
            else:
                append(b64decode(value, validate=True))
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise BackupDamaged(f"a record in {what} is malformed") from None
    return values


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> bytes:
    return _ENCODER.encode(value).encode("utf-8")


def loads(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BackupDamaged(f"{what} is not valid JSON") from None


# What json.loads runs, without its per-call set-up (an attribute the stubs omit).
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_JSON_SPACE = " \t\n\r"


def loads_record(line: bytes, what: str) -> Any:
    """:func:`loads` of one JSON Lines record, faster for the usual one (a UTF-8 object).

    Once per message in a restore, so json.loads' encoding detection and
    whitespace regexes are skipped where they cannot matter; anything unusual
    goes through :func:`loads` and gets exactly its answer.
    """
    if line[:1] == b"{":
        try:
            text = line.decode("utf-8")
            value, end = _SCAN(text, 0)
        except (StopIteration, ValueError):
            pass
        else:
            if end == len(text) or not text[end:].strip(_JSON_SPACE):
                return value
    return loads(line, what)
