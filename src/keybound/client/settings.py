"""Engine settings, kept in the encrypted database's ``settings`` table.

Values are canonical CBOR, one per key.  Unknown keys are left alone, so a
newer Keybound's settings survive a downgrade round trip.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from keybound.errors import InvalidSetting, MalformedData
from keybound.store.repository import Repository
from keybound.wire import cbor

T = TypeVar("T", bool, int, str, bytes)

RELAY_URL = "relay_url"
DISPLAY_NAME = "display_name"
DEVICE_NAME = "device_name"
LOCK_ON_TOKEN_REMOVAL = "lock_on_token_removal"
IDLE_LOCK_SECONDS = "idle_lock_seconds"
READ_RECEIPTS = "read_receipts"
TYPING_INDICATORS = "typing_indicators"
TLS_PINNED = "relay_tls_pinned"  # True: pin the certificate (first use) instead of CA checks
TLS_PIN = "relay_tls_pin"  # SHA-256 of the relay certificate, for --dev-tls relays
PUBLISHED_VERSION = "published_chain_version"  # the own chain version the relay has
NOTIFY_TEXT = "notify_show_text"  # before NOTIFICATIONS: a bool, migrated by ``migrate``
NOTIFICATIONS = "notifications"  # a NotifyMode value: what a desktop notification shows
DEFAULT_TIMER = "default_disappearing_seconds"  # conversations we start: 0 = keep messages
DOWNLOAD_FOLDER = "download_folder"  # where opened attachments are saved; "" = the system's
BACKUP_EVERY_DAYS = "backup_every_days"  # automatic backups: 0 = off
BACKUP_FOLDER = "backup_folder"  # where automatic backups go
BACKUP_KEEP = "backup_keep"  # automatic backups kept (older ones are removed)
BACKUP_LAST_AT = "backup_last_at"  # when the last automatic backup was made (ms)
BACKUP_KEYS = "backup_keys"  # CBOR list of the hardware keys backups are encrypted to


class NotifyMode(enum.StrEnum):
    """What a desktop notification for a new message shows (stored as its value)."""

    OFF = "off"  # no notification at all
    SENDER = "sender"  # "New message from Alice": the default, nothing of the text on screen
    TEXT = "text"  # the sender and the start of the text


MAX_TIMER_SECONDS = 1 << 32  # what a DisappearingTimer message can carry
MAX_IDLE_SECONDS = 7 * 86_400


@dataclass(frozen=True)
class Settings:
    """The settings the engine consults while running (read once per unlock)."""

    relay_url: str
    display_name: str
    device_name: str
    lock_on_token_removal: bool = True
    idle_lock_seconds: int = 0  # 0: never
    read_receipts: bool = True
    typing_indicators: bool = True
    notifications: NotifyMode = NotifyMode.SENDER
    default_timer_seconds: int = 0  # for conversations we start; 0: messages stay


def get(repo: Repository, key: str, default: T) -> T:
    raw = repo.setting(key)
    if raw is None:
        return default
    try:
        value = cbor.decode(raw)
    except MalformedData:
        return default
    if type(value) is not type(default):
        return default
    return value


def put(repo: Repository, key: str, value: bool | int | str | bytes) -> None:
    repo.set_setting(key, cbor.encode(value))


def load(repo: Repository) -> Settings:
    return Settings(
        relay_url=get(repo, RELAY_URL, ""),
        display_name=get(repo, DISPLAY_NAME, ""),
        device_name=get(repo, DEVICE_NAME, ""),
        lock_on_token_removal=get(repo, LOCK_ON_TOKEN_REMOVAL, True),
        idle_lock_seconds=get(repo, IDLE_LOCK_SECONDS, 0),
        read_receipts=get(repo, READ_RECEIPTS, True),
        typing_indicators=get(repo, TYPING_INDICATORS, True),
        notifications=notify_mode(get(repo, NOTIFICATIONS, "")),
        default_timer_seconds=get(repo, DEFAULT_TIMER, 0),
    )


def notify_mode(value: str) -> NotifyMode:
    """The stored mode, or the default for anything unknown (a newer version's mode)."""
    try:
        return NotifyMode(value)
    except ValueError:
        return NotifyMode.SENDER


def migrate(repo: Repository) -> None:
    """Bring older settings to today's form (the caller holds a transaction).

    ``notify_show_text`` (a bool: text or sender only) became the three-valued
    ``notifications``; a vault that chose the text keeps showing it.
    """
    raw = repo.setting(NOTIFY_TEXT)
    if raw is None:
        return
    if repo.setting(NOTIFICATIONS) is None:
        mode = NotifyMode.TEXT if get(repo, NOTIFY_TEXT, False) else NotifyMode.SENDER
        put(repo, NOTIFICATIONS, mode.value)
    repo.delete_setting(NOTIFY_TEXT)


def check(key: str, value: bool | int | str) -> None:
    """Refuse a value out of range with a sentence (``InvalidSetting``)."""
    if key == NOTIFICATIONS and value not in tuple(NotifyMode):
        raise InvalidSetting("Notifications must be off, sender only, or sender and text.")
    if key == IDLE_LOCK_SECONDS and not (0 <= int(value) <= MAX_IDLE_SECONDS):
        raise InvalidSetting("The idle lock must be between off and seven days.")
    if key == DEFAULT_TIMER and not (0 <= int(value) < MAX_TIMER_SECONDS):
        raise InvalidSetting("The disappearing-message timer must be zero or more seconds.")
    if key == DOWNLOAD_FOLDER and value and not Path(str(value)).is_absolute():
        raise InvalidSetting("The download folder must be an absolute path.")


# What Messenger.setting answers for a key that was never set.
DEFAULTS: dict[str, bool | int | str] = {
    LOCK_ON_TOKEN_REMOVAL: True,
    IDLE_LOCK_SECONDS: 0,
    READ_RECEIPTS: True,
    TYPING_INDICATORS: True,
    PUBLISHED_VERSION: -1,
    NOTIFICATIONS: NotifyMode.SENDER.value,
    DEFAULT_TIMER: 0,
    BACKUP_EVERY_DAYS: 0,
    BACKUP_KEEP: 5,
}


# Settings a person may change through Messenger.set_setting, with their types.
EDITABLE: dict[str, type] = {
    DISPLAY_NAME: str,
    DEVICE_NAME: str,
    LOCK_ON_TOKEN_REMOVAL: bool,
    IDLE_LOCK_SECONDS: int,
    READ_RECEIPTS: bool,
    TYPING_INDICATORS: bool,
    NOTIFICATIONS: str,
    DEFAULT_TIMER: int,
    DOWNLOAD_FOLDER: str,
    BACKUP_EVERY_DAYS: int,
    BACKUP_FOLDER: str,
    BACKUP_KEEP: int,
}
