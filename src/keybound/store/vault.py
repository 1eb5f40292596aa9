"""The vault: operations on the keyslot file (see ``keyslots`` for its format).

Threading: functions that take a ``Token`` call it, so they block and must
run on the token worker thread (``TokenWorker.call(create_vault, path, token)``);
they are synchronous on purpose. The recovery-code functions do no token I/O
but run Argon2id (about half a second): keep them off the GUI/event-loop thread.
One writer per profile is assumed (the profile lock guards that).

Every change writes the file atomically (``atomic.write_atomic``), reads it
back and unwraps the slot it just wrote with the KEK it just used; only then
is ``<name>.bak`` (the previous version) dropped. If verification fails, the
previous version is put back and nothing has changed. A failed unlock never
touches the disk.

Reading uses the backup only if the primary is missing, truncated or damaged,
never when it is valid or has an unknown (newer) version. A successful unlock
then settles the pair: a stale backup left by a crash after the rename is
deleted (it may still hold a removed token's slot), and a backup that served
instead of a broken primary is renamed back into place.

Removing tokens: the recovery code does not count as a way in. The last token
slot can never be removed, so at least one token always unlocks the vault;
the recovery slot is replaced, never removed.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import (
    InternalError,
    KeyslotFileDamaged,
    KeyslotFileTruncated,
    LastTokenSlot,
    NoKeysOnToken,
    SlotNotFound,
    StoreFileError,
    TokenAlreadyEnrolled,
    TokenNotEnrolled,
    VaultError,
    VaultExists,
    VaultNotFound,
    WrongRecoveryCode,
)
from ..token.base import PublicKey, Token
from . import atomic
from . import keyslots as ks
from .atomic import Loaded
from .keys import MasterKey
from .keyslots import INTERACTIVE_COST, Keyslot, KeyslotFile, RecoveryCost, SlotKind
from .recovery import RecoveryCode, parse_recovery_code

log = logging.getLogger(__name__)

KEYSLOT_FILENAME = "keyslots.kbv"


@dataclass(frozen=True)
class SlotInfo:
    """A keyslot as shown to a person; no key material."""

    id: int
    kind: SlotKind
    label: str
    created: int
    public_key: PublicKey | None  # token slots: pass these as `known` to open_token
    serial: str

    @classmethod
    def of(cls, slot: Keyslot) -> SlotInfo:
        return cls(slot.id, slot.kind, slot.label, slot.created, slot.public_key, slot.serial)


# --- reading ------------------------------------------------------------------------------


def _load(path: Path, *, allow_backup: bool = True) -> Loaded[KeyslotFile]:
    def missing() -> VaultNotFound:
        return VaultNotFound(f"There is no vault at {path}.")

    if allow_backup:
        return atomic.read_with_fallback(
            path, ks.decode_file, (KeyslotFileTruncated, KeyslotFileDamaged), missing
        )
    data = atomic.read_file(path)
    if data is None:
        raise missing()
    return Loaded(ks.decode_file(data), from_backup=False)


def _settle(path: Path, loaded: Loaded[KeyslotFile]) -> None:
    """After a successful unlock: make the verified version the only one on disk."""
    if loaded.from_backup:
        log.warning("keyslot file %s was unusable; restored its backup", path)
        atomic.restore_backup(path)
    elif atomic.backup_path(path).exists():
        atomic.remove_backup(path)


def list_slots(path: Path) -> list[SlotInfo]:
    """The slots for display (ids for ``remove_token``; public keys for ``open_token``)."""
    return [SlotInfo.of(slot) for slot in _load(path).value.slots]


# --- unlocking ----------------------------------------------------------------------------


def _token_slot(keyslots: KeyslotFile, public: PublicKey) -> Keyslot | None:
    return next((s for s in keyslots.slots if s.public_key == public), None)


def _opened(keyslots: KeyslotFile, slot: Keyslot, kek: bytes) -> MasterKey | None:
    master_key = ks.unseal(keyslots.vault_id, slot, kek)
    if master_key is None or not ks.key_matches(master_key, keyslots):
        return None
    return master_key


def unlock_with_token(path: Path, token: Token) -> MasterKey:
    """The master key, via the slot of ``token`` (asks for its PIN/touch). Token thread only."""
    loaded = _load(path)
    keyslots = loaded.value
    try:
        slot = _token_slot(keyslots, token.public_key())
    except NoKeysOnToken:  # a blank token is not enrolled either
        raise TokenNotEnrolled() from None
    if slot is None:
        raise TokenNotEnrolled()
    master_key = _opened(
        keyslots, slot, ks.token_kek(token.unlock_secret(slot.salt), keyslots.vault_id)
    )
    if master_key is None:
        raise KeyslotFileDamaged(
            "The keyslot file was changed or is damaged: this key's slot does not open."
        )
    _settle(path, loaded)
    return master_key


def unlock_with_recovery_code(path: Path, code: RecoveryCode | str) -> MasterKey:
    """The master key, via the recovery slot. ``code`` may be the text a person typed."""
    if isinstance(code, str):
        code = parse_recovery_code(code)
    loaded = _load(path)
    keyslots = loaded.value
    for slot in keyslots.slots:
        if slot.cost is not None:
            master_key = _opened(keyslots, slot, ks.recovery_kek(code, slot.salt, slot.cost))
            if master_key is not None:
                _settle(path, loaded)
                return master_key
    raise WrongRecoveryCode()


# --- changing -----------------------------------------------------------------------------


def _new_token_slot(
    keyslots: KeyslotFile, token: Token, label: str | None, master_key: MasterKey
) -> tuple[Keyslot, bytes]:
    public = token.public_key()
    if _token_slot(keyslots, public) is not None:
        raise TokenAlreadyEnrolled("This security key or card is already enrolled in this vault.")
    salt = secrets.token_bytes(ks.TOKEN_SALT_SIZE)
    kek = ks.token_kek(token.unlock_secret(salt), keyslots.vault_id)
    slot = Keyslot(
        id=_next_id(keyslots),
        kind=SlotKind(token.ref.kind.value),
        label=(label or token.ref.label)[:200],
        created=int(time.time()),
        salt=salt,
        public_key=public,
        serial=token.ref.serial,
    )
    return ks.seal(keyslots.vault_id, slot, kek, master_key), kek


def _new_recovery_slot(
    keyslots: KeyslotFile, master_key: MasterKey, cost: RecoveryCost,
    code: RecoveryCode | None = None,
) -> tuple[Keyslot, bytes, RecoveryCode]:  # fmt: skip
    code = code or RecoveryCode.generate()
    salt = secrets.token_bytes(ks.RECOVERY_SALT_SIZE)
    kek = ks.recovery_kek(code, salt, cost)
    slot = Keyslot(
        id=_next_id(keyslots),
        kind=SlotKind.RECOVERY,
        label="Recovery code",
        created=int(time.time()),
        salt=salt,
        cost=cost,
    )
    return ks.seal(keyslots.vault_id, slot, kek, master_key), kek, code


def _next_id(keyslots: KeyslotFile) -> int:
    return max((s.id for s in keyslots.slots), default=0) + 1


def _save(
    path: Path,
    keyslots: KeyslotFile,
    master_key: MasterKey,
    new_slots: Sequence[tuple[Keyslot, bytes]] = (),
) -> None:
    """Write atomically, read back, unwrap each new slot with the KEK just used; keep the
    previous file if anything is off."""
    pending = atomic.write_atomic(path, ks.encode_file(keyslots))
    try:
        again = ks.decode_file(atomic.read_file(path) or b"")
        ok = again == keyslots and all(_opened(again, s, k) == master_key for s, k in new_slots)
    except VaultError:
        ok = False
    if not ok:
        pending.rollback()
        raise StoreFileError(
            f"The keyslot file {path} did not read back correctly after saving; "
            "the previous version was kept."
        )
    pending.commit()


def _load_for_change(path: Path, master_key: MasterKey) -> KeyslotFile:
    keyslots = _load(path, allow_backup=False).value
    if not ks.key_matches(master_key, keyslots):
        raise InternalError("this master key does not belong to this vault")
    return keyslots


def create_vault(
    path: Path, token: Token, label: str | None = None, *, cost: RecoveryCost = INTERACTIVE_COST
) -> tuple[MasterKey, RecoveryCode]:
    """A new vault for ``token``; returns the master key and the recovery code (shown once,
    never stored). Token thread only."""
    if path.exists() or atomic.backup_path(path).exists():
        raise VaultExists(f"A vault already exists at {path}.")
    master_key = MasterKey.generate()
    vault_id = secrets.token_bytes(ks.VAULT_ID_SIZE)
    keyslots = KeyslotFile(vault_id, ks.key_check(master_key, vault_id), ())
    token_slot, token_key = _new_token_slot(keyslots, token, label, master_key)
    keyslots = replace(keyslots, slots=(token_slot,))
    recovery_slot, recovery_key, code = _new_recovery_slot(keyslots, master_key, cost)
    keyslots = replace(keyslots, slots=(token_slot, recovery_slot))
    _save(path, keyslots, master_key, [(token_slot, token_key), (recovery_slot, recovery_key)])
    return master_key, code


def add_token(
    path: Path, master_key: MasterKey, token: Token, label: str | None = None
) -> SlotInfo:
    """Enroll a spare token (asks for its PIN/touch). Token thread only."""
    keyslots = _load_for_change(path, master_key)
    slot, kek = _new_token_slot(keyslots, token, label, master_key)
    _save(path, replace(keyslots, slots=(*keyslots.slots, slot)), master_key, [(slot, kek)])
    return SlotInfo.of(slot)


def remove_token(path: Path, master_key: MasterKey, slot_id: int) -> None:
    """Remove a token's slot; refused for the last token slot and for the recovery slot."""
    keyslots = _load_for_change(path, master_key)
    slot = next((s for s in keyslots.slots if s.id == slot_id), None)
    if slot is None:
        raise SlotNotFound(f"This vault has no keyslot {slot_id}.")
    if slot.kind is SlotKind.RECOVERY:
        raise VaultError("The recovery code cannot be removed, only replaced.")
    tokens = [s for s in keyslots.slots if s.public_key is not None and s.id != slot_id]
    if not tokens:
        raise LastTokenSlot(
            "This is the only key enrolled in this vault; it cannot be removed. "
            "Add another key first."
        )
    remaining = tuple(s for s in keyslots.slots if s.id != slot_id)
    _save(path, replace(keyslots, slots=remaining), master_key)


def replace_recovery_code(
    path: Path,
    master_key: MasterKey,
    *,
    cost: RecoveryCost = INTERACTIVE_COST,
    code: RecoveryCode | None = None,
) -> RecoveryCode:
    """A new recovery code; the old one stops working. Shown once, never stored.

    ``code``: one generated (and shown, and retyped) beforehand; by default a fresh one.
    """
    keyslots = _load_for_change(path, master_key)
    slot, kek, code = _new_recovery_slot(keyslots, master_key, cost, code)
    kept = tuple(s for s in keyslots.slots if s.kind is not SlotKind.RECOVERY)
    _save(path, replace(keyslots, slots=(*kept, slot)), master_key, [(slot, kek)])
    return code
