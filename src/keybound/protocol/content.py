"""Message content types: what the person sent, inside the encryption.

Each type is a frozen dataclass with a numeric ``TYPE``; its canonical CBOR
body maps field position to value (field 0 is key 0, and so on), read back by
the ``READERS`` listed beside the fields, which check type and size.  Readers
ignore keys they do not know, so a newer sender can add optional fields at
the end without breaking older readers; a content type this version does not
know at all becomes :class:`Unsupported` (shown as "unsupported message").
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeAlias

from keybound.errors import MalformedData
from keybound.protocol.ids import MESSAGE_ID_SIZE
from keybound.wire import cbor

MAX_BODY = 256 * 1024
MAX_TEXT = 64 * 1024
MAX_NAME = 256
MAX_LIST = 1024
MAX_THUMBNAIL = 64 * 1024
ID_MAX = 64

Reader = Callable[[cbor.CborMap, int], Any]


class ContentType(enum.IntEnum):
    TEXT = 1
    REPLY = 2
    EDIT = 3
    DELETE = 4
    REACTION = 5
    DELIVERED = 6
    READ = 7
    TYPING = 8
    ATTACHMENT = 9
    GROUP_CREATE = 10
    GROUP_ADD = 11
    GROUP_REMOVE = 12
    GROUP_RENAME = 13
    GROUP_LEAVE = 14
    TIMER = 15
    DEVICE_LIST = 16
    ROOM_KEY = 17


def _str(name: str, limit: int = MAX_TEXT, *, nonempty: bool = False) -> Reader:
    def read(m: cbor.CborMap, k: int) -> str:
        value = cbor.get_str(m, k, name=name, max_size=limit)
        if nonempty and not value:
            raise MalformedData(f"field {name} is empty")
        return value

    return read


def _bytes(name: str, size: int | None = None, limit: int = ID_MAX) -> Reader:
    return lambda m, k: cbor.get_bytes(m, k, name=name, size=size, max_size=limit)


def _int(name: str, limit: int = 1 << 53) -> Reader:
    return lambda m, k: cbor.get_int(m, k, name=name, min_value=0, max_value=limit)


def _bool(name: str) -> Reader:
    return lambda m, k: cbor.get_bool(m, k, name=name)


def _optional(reader: Reader) -> Reader:
    return lambda m, k: reader(m, k) if cbor.optional(m, k) else None


def _ids(name: str, size: int | None = None) -> Reader:
    def read(m: cbor.CborMap, k: int) -> tuple[bytes, ...]:
        items = cbor.get_list(m, k, name=name, max_items=MAX_LIST)
        for item in items:
            if not isinstance(item, bytes) or len(item) > ID_MAX or size not in (None, len(item)):
                raise MalformedData(f"field {name} must hold IDs of the right size")
        return tuple(items)  # type: ignore[arg-type]  # checked just above

    return read


_MID = _bytes("message id", MESSAGE_ID_SIZE)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """The dataclass's field names in order (``dataclasses.fields`` rebuilds them per call)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


class _Body:
    """Generic encode/decode: field ``i`` of the dataclass is CBOR key ``i``."""

    TYPE: ClassVar[ContentType]
    READERS: ClassVar[tuple[Reader, ...]] = ()

    def encode(self) -> bytes:
        body: cbor.CborMap = {}
        for i, name in enumerate(_field_names(type(self))):
            value = getattr(self, name)
            if value is not None:
                body[i] = list(value) if isinstance(value, tuple) else value
        return cbor.encode(body)

    @classmethod
    def decode(cls, data: bytes) -> Self:
        m = cbor.decode_map(data, max_size=MAX_BODY)
        values = [read(m, i) for i, read in enumerate(cls.READERS)]
        try:
            return cls(*values)
        except ValueError as exc:  # __post_init__ checks
            raise MalformedData(str(exc)) from exc


@dataclass(frozen=True)
class Text(_Body):
    """A text message; ``text`` is markdown-subset source (see :mod:`.markdown`)."""

    TYPE = ContentType.TEXT
    READERS = (_str("text"),)
    text: str


@dataclass(frozen=True)
class Reply(_Body):
    TYPE = ContentType.REPLY
    READERS = (_str("text"), _MID)
    text: str
    reply_to: bytes


@dataclass(frozen=True)
class Edit(_Body):
    TYPE = ContentType.EDIT
    READERS = (_MID, _str("text"))
    target: bytes
    text: str


@dataclass(frozen=True)
class Delete(_Body):
    TYPE = ContentType.DELETE
    READERS = (_MID,)
    target: bytes


@dataclass(frozen=True)
class Reaction(_Body):
    """Add (or, with ``remove``, take back) an emoji reaction to ``target``."""

    TYPE = ContentType.REACTION
    READERS = (_MID, _str("emoji", 32, nonempty=True), _bool("remove"))
    target: bytes
    emoji: str
    remove: bool = False


@dataclass(frozen=True)
class DeliveryReceipt(_Body):
    TYPE = ContentType.DELIVERED
    READERS = (_ids("message ids", MESSAGE_ID_SIZE),)
    message_ids: tuple[bytes, ...]


@dataclass(frozen=True)
class ReadReceipt(_Body):
    TYPE = ContentType.READ
    READERS = (_ids("message ids", MESSAGE_ID_SIZE),)
    message_ids: tuple[bytes, ...]


@dataclass(frozen=True)
class Typing(_Body):
    TYPE = ContentType.TYPING
    READERS = (_bool("started"),)
    started: bool


@dataclass(frozen=True)
class Attachment(_Body):
    """Where an encrypted blob lives and how to open it; a small thumbnail rides inline."""

    TYPE = ContentType.ATTACHMENT
    READERS = (
        _bytes("blob id"),
        _bytes("key", 32),
        _bytes("digest", 32),
        _int("size"),
        _str("media type", MAX_NAME),
        _str("file name", MAX_NAME),
        _optional(_bytes("thumbnail", limit=MAX_THUMBNAIL)),
    )
    blob_id: bytes
    key: bytes = dataclasses.field(repr=False)
    digest: bytes
    size: int
    media_type: str
    file_name: str
    thumbnail: bytes | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.thumbnail is not None and len(self.thumbnail) > MAX_THUMBNAIL:
            raise ValueError(f"a thumbnail is at most {MAX_THUMBNAIL} bytes")


@dataclass(frozen=True)
class GroupCreate(_Body):
    """A new group with its first members (identity IDs) and its name."""

    TYPE = ContentType.GROUP_CREATE
    READERS = (_str("name", MAX_NAME), _ids("members"))
    name: str
    members: tuple[bytes, ...]


@dataclass(frozen=True)
class GroupAdd(_Body):
    TYPE = ContentType.GROUP_ADD
    READERS = (_ids("members"),)
    members: tuple[bytes, ...]


@dataclass(frozen=True)
class GroupRemove(_Body):
    TYPE = ContentType.GROUP_REMOVE
    READERS = (_ids("members"),)
    members: tuple[bytes, ...]


@dataclass(frozen=True)
class GroupRename(_Body):
    TYPE = ContentType.GROUP_RENAME
    READERS = (_str("name", MAX_NAME),)
    name: str


@dataclass(frozen=True)
class GroupLeave(_Body):
    TYPE = ContentType.GROUP_LEAVE


@dataclass(frozen=True)
class DisappearingTimer(_Body):
    """Messages in the conversation disappear after ``seconds`` (0: never)."""

    TYPE = ContentType.TIMER
    READERS = (_int("seconds", 1 << 32),)
    seconds: int


@dataclass(frozen=True)
class DeviceListNotice(_Body):
    """``identity_id`` changed its devices: fetch and verify its chain up to ``head``.

    Only a hint: the receiver trusts the verified chain, never this notice.
    """

    TYPE = ContentType.DEVICE_LIST
    READERS = (_bytes("identity id"), _bytes("head"), _int("version"))
    identity_id: bytes
    head: bytes
    version: int


@dataclass(frozen=True)
class RoomKey(_Body):
    """Internal: a Megolm session key for ``group_id``, shared over Olm; never shown."""

    TYPE = ContentType.ROOM_KEY
    READERS = (_bytes("group id"), _str("session id", 64), _str("session key", 1024), _int("index"))
    group_id: bytes
    session_id: str
    session_key: str = dataclasses.field(repr=False)
    message_index: int


@dataclass(frozen=True)
class Unsupported:
    """A content type this version does not know; kept as is, shown as "unsupported message"."""

    type: int
    raw: bytes

    def encode(self) -> bytes:
        return self.raw


@dataclass(frozen=True)
class Encoded:
    """A body encoded already, sent as is: the engine's compose queue keeps each item's
    content as the bytes ``encode`` made, and decoding them only to encode them again
    would cost a CBOR round trip per message."""

    type: int
    raw: bytes

    def encode(self) -> bytes:
        return self.raw


Content: TypeAlias = (
    "Text | Reply | Edit | Delete | Reaction | DeliveryReceipt | ReadReceipt | Typing"
    " | Attachment | GroupCreate | GroupAdd | GroupRemove | GroupRename | GroupLeave"
    " | DisappearingTimer | DeviceListNotice | RoomKey | Unsupported"
)

CONTENT_CLASSES: dict[int, type[_Body]] = {
    cls.TYPE: cls
    for cls in (
        Text, Reply, Edit, Delete, Reaction, DeliveryReceipt, ReadReceipt, Typing, Attachment,
        GroupCreate, GroupAdd, GroupRemove, GroupRename, GroupLeave, DisappearingTimer,
        DeviceListNotice, RoomKey,
    )
}  # fmt: skip


def content_type(content: Content | Encoded) -> int:
    """The numeric type of ``content``."""
    return content.type if isinstance(content, Unsupported | Encoded) else int(content.TYPE)


def decode_content(type_: int, raw: bytes) -> Content:
    """Decode a body of type ``type_``; unknown types become :class:`Unsupported`.

    A known type with a malformed body raises :class:`MalformedData`.
    """
    cls = CONTENT_CLASSES.get(type_)
    if cls is None:
        return Unsupported(type_, raw)
    return cls.decode(raw)  # type: ignore[return-value]
