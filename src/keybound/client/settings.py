"""Engine settings, kept in the encrypted database's ``settings`` table.

Values are canonical CBOR, one per key.  Unknown keys are left alone, so a
newer Keybound's settings survive a downgrade round trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from keybound.errors import MalformedData
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
NOTIFY_TEXT = "notify_show_text"  # desktop notifications show the text, not just the sender
BACKUP_EVERY_DAYS = "backup_every_days"  # automatic backups: 0 = off
BACKUP_FOLDER = "backup_folder"  # where automatic backups go
BACKUP_KEEP = "backup_keep"  # automatic backups kept (older ones are removed)
BACKUP_LAST_AT = "backup_last_at"  # when the last automatic backup was made (ms)
BACKUP_KEYS = "backup_keys"  # CBOR list of the hardware keys backups are encrypted to


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
    )


# Settings a person may change through Messenger.set_setting, with their types.
EDITABLE: dict[str, type] = {
    DISPLAY_NAME: str,
    DEVICE_NAME: str,
    LOCK_ON_TOKEN_REMOVAL: bool,
    IDLE_LOCK_SECONDS: int,
    READ_RECEIPTS: bool,
    TYPING_INDICATORS: bool,
    NOTIFY_TEXT: bool,
    BACKUP_EVERY_DAYS: int,
    BACKUP_FOLDER: str,
    BACKUP_KEEP: int,
}
