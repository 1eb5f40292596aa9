"""Vault operations with virtual cards called in-process (fast); pcscd runs are in test_vault_pcsc.

Every failure must leave the directory byte-for-byte as it was.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from keybound.errors import (
    InternalError,
    KeyslotFileDamaged,
    KeyslotFileTruncated,
    KeyslotVersionUnsupported,
    LastTokenSlot,
    RecoveryCodeMistyped,
    SlotNotFound,
    StoreFileError,
    TokenAlreadyEnrolled,
    TokenNotEnrolled,
    VaultError,
    VaultExists,
    VaultNotFound,
    WrongRecoveryCode,
)
from keybound.store import atomic, vault
from keybound.store.keys import MasterKey
from keybound.store.keyslots import TEST_COST, SlotKind, decode_file, encode_file
from keybound.store.recovery import RecoveryCode
from keybound.store.vault import (
    add_token,
    create_vault,
    list_slots,
    remove_token,
    replace_recovery_code,
    unlock_with_recovery_code,
    unlock_with_token,
)
from keybound.token.base import EnrollOptions, PinKind, Token, Transport
from keybound.token.fido2_token import Fido2Token, inprocess_device, inprocess_ref
from keybound.token.openpgp import OpenPgpToken
from keybound.token.prompter import FixedPinPrompter
from keybound.token.sim import build_card
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.worker import TokenWorker

PIN = "424242"
PROMPTER = FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: "87654321"})
_names = itertools.count()


def make_token(kind: str, tmp_path: Path, enroll: bool = True) -> Token:
    """A fresh virtual card of ``kind`` called in-process; run on the token worker."""
    card = build_card(kind, tmp_path / f"card-{next(_names)}.json")
    token: Token
    if kind == "openpgp":
        token = OpenPgpToken(InProcessTransport(card), PROMPTER, Transport.INPROCESS)
        options = EnrollOptions(user_pin=PIN, admin_pin="87654321", current_admin_pin="12345678")
    else:
        device = inprocess_device(InProcessTransport(card))
        token = Fido2Token(device, inprocess_ref(f"sim{next(_names)}"), PROMPTER)
        options = EnrollOptions(user_pin=PIN)
    if enroll:
        token.enroll(options)
    return token


class Rig:
    def __init__(self, worker: TokenWorker, tmp_path: Path) -> None:
        self.worker = worker
        self.tmp_path = tmp_path
        self.profile = tmp_path / "profile"
        self.profile.mkdir()
        self.path = self.profile / vault.KEYSLOT_FILENAME

    def token(self, kind: str = "fido2", enroll: bool = True) -> Token:
        token: Token = self.worker.call(make_token, kind, self.tmp_path, enroll)
        return token

    def call(self, fn: Callable[..., object], *args: object, **kwargs: object) -> object:
        return self.worker.call(fn, *args, **kwargs)

    def create(self, token: Token) -> tuple[MasterKey, RecoveryCode]:
        result: tuple[MasterKey, RecoveryCode] = self.worker.call(
            create_vault, self.path, token, None, cost=TEST_COST
        )
        return result

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.profile.iterdir())}

    def refuses(
        self,
        error: type[Exception],
        fn: Callable[..., object],
        *args: object,
        match: str | None = None,
    ) -> pytest.ExceptionInfo[Exception]:
        """``fn`` must fail with ``error`` and change nothing on disk."""
        before = self.files()
        with pytest.raises(error, match=match) as caught:
            self.worker.call(fn, *args)
        assert self.files() == before
        return caught


@pytest.fixture
def rig(token_worker: TokenWorker, tmp_path: Path) -> Rig:
    return Rig(token_worker, tmp_path)


@pytest.mark.parametrize("kind", ["openpgp", "fido2"])
def test_create_unlock_and_list(rig: Rig, kind: str) -> None:
    token = rig.token(kind)
    master_key, code = rig.create(token)
    assert set(rig.files()) == {"keyslots.kbv"}  # no backup, no temp file left
    assert rig.call(unlock_with_token, rig.path, token) == master_key
    typed = code.text().lower().replace("-", " ")
    assert rig.call(unlock_with_recovery_code, rig.path, typed) == master_key
    token_slot, recovery_slot = list_slots(rig.path)
    assert (token_slot.id, token_slot.kind, token_slot.label) == (
        1,
        SlotKind(kind),
        token.ref.label,
    )
    assert token_slot.public_key == rig.call(token.public_key)
    assert token_slot.serial == token.ref.serial
    assert (recovery_slot.id, recovery_slot.kind, recovery_slot.public_key) == (
        2,
        SlotKind.RECOVERY,
        None,
    )
    rig.refuses(VaultExists, create_vault, rig.path, token)


def test_failures_change_nothing(rig: Rig) -> None:
    token = rig.token()
    master_key, code = rig.create(token)
    rig.refuses(
        TokenNotEnrolled,
        unlock_with_token,
        rig.path,
        rig.token(),
        match="not enrolled in this vault",
    )
    rig.refuses(TokenNotEnrolled, unlock_with_token, rig.path, rig.token("openpgp", enroll=False))
    rig.refuses(
        WrongRecoveryCode,
        unlock_with_recovery_code,
        rig.path,
        RecoveryCode.generate(),
        match="does not open this vault",
    )
    typo = code.text()[:13] + ("0" if code.text()[13] != "0" else "1") + code.text()[14:]
    caught = rig.refuses(
        RecoveryCodeMistyped, unlock_with_recovery_code, rig.path, typo, match="Group 3 "
    )
    assert caught.value.groups == (3,)
    with pytest.raises(VaultNotFound):
        unlock_with_recovery_code(rig.profile / "other", code)
    rig.refuses(TokenAlreadyEnrolled, add_token, rig.path, master_key, token)
    rig.refuses(
        InternalError,
        add_token,
        rig.path,
        MasterKey.generate(),
        rig.token(),
        match="does not belong",
    )


def test_spare_token_removal_and_new_recovery_code(rig: Rig) -> None:
    first, spare = rig.token("openpgp"), rig.token("fido2")
    master_key, old_code = rig.create(first)
    info = rig.call(add_token, rig.path, master_key, spare, "Spare key")
    assert (info.id, info.label, info.kind) == (3, "Spare key", SlotKind.FIDO2)
    assert rig.call(unlock_with_token, rig.path, spare) == master_key
    assert rig.call(unlock_with_token, rig.path, first) == master_key

    rig.refuses(SlotNotFound, remove_token, rig.path, master_key, 7)
    rig.refuses(
        VaultError, remove_token, rig.path, master_key, 2, match="cannot be removed, only replaced"
    )
    rig.call(remove_token, rig.path, master_key, 1)
    rig.refuses(TokenNotEnrolled, unlock_with_token, rig.path, first)
    rig.refuses(LastTokenSlot, remove_token, rig.path, master_key, 3, match="only key enrolled")

    new_code = rig.call(replace_recovery_code, rig.path, master_key, cost=TEST_COST)
    assert isinstance(new_code, RecoveryCode)
    assert new_code != old_code
    rig.refuses(WrongRecoveryCode, unlock_with_recovery_code, rig.path, old_code)
    assert unlock_with_recovery_code(rig.path, new_code) == master_key
    assert [(s.id, s.kind) for s in list_slots(rig.path)] == [
        (3, SlotKind.FIDO2),
        (4, SlotKind.RECOVERY),
    ]
    assert set(rig.files()) == {"keyslots.kbv"}


def test_truncated_damaged_and_newer_files(rig: Rig) -> None:
    token = rig.token()
    _, code = rig.create(token)
    good = rig.path.read_bytes()

    rig.path.write_bytes(good[:-40])
    rig.refuses(KeyslotFileTruncated, unlock_with_token, rig.path, token)
    rig.refuses(KeyslotFileTruncated, unlock_with_recovery_code, rig.path, code)

    rig.path.write_bytes(good[:60] + bytes([good[60] ^ 4]) + good[61:])
    rig.refuses(
        KeyslotFileDamaged, unlock_with_token, rig.path, token, match="changed or is damaged"
    )

    rig.path.write_bytes(good[:8] + b"\x00\x02" + good[10:])
    rig.refuses(
        KeyslotVersionUnsupported, unlock_with_token, rig.path, token, match="newer Keybound"
    )

    # A deliberate edit that fixes up the checksum still fails: the AEAD binds the metadata.
    keyslots = decode_file(good)
    token_slot, recovery_slot = keyslots.slots
    edited = replace(token_slot, label="Attacker's label")
    rig.path.write_bytes(encode_file(replace(keyslots, slots=(edited, recovery_slot))))
    rig.refuses(
        KeyslotFileDamaged,
        unlock_with_token,
        rig.path,
        token,
        match="this key's slot does not open",
    )
    edited = replace(recovery_slot, created=recovery_slot.created + 1)
    rig.path.write_bytes(encode_file(replace(keyslots, slots=(token_slot, edited))))
    rig.refuses(WrongRecoveryCode, unlock_with_recovery_code, rig.path, code)


def test_backup_rules_after_a_crash(rig: Rig) -> None:
    first, spare = rig.token(), rig.token()
    master_key, _ = rig.create(first)
    v1 = rig.path.read_bytes()
    rig.call(add_token, rig.path, master_key, spare)
    v2 = rig.path.read_bytes()
    backup = rig.profile / "keyslots.kbv.bak"

    # Crash after the rename, before the backup was dropped: the valid primary wins,
    # and a successful unlock drops the stale backup.
    backup.write_bytes(v1)
    assert rig.call(unlock_with_token, rig.path, spare) == master_key
    assert rig.files() == {"keyslots.kbv": v2}

    # A broken primary: the backup serves and is put back in place after the unlock.
    rig.path.write_bytes(v2[:100])
    backup.write_bytes(v1)
    # Changes refuse to build on a broken primary.
    rig.refuses(KeyslotFileTruncated, remove_token, rig.path, master_key, 1)
    assert [s.id for s in list_slots(rig.path)] == [1, 2]  # served from the backup
    rig.refuses(TokenNotEnrolled, unlock_with_token, rig.path, spare)
    assert rig.call(unlock_with_token, rig.path, first) == master_key
    assert rig.files() == {"keyslots.kbv": v1}


def test_a_file_that_does_not_read_back_is_rolled_back(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, spare = rig.token(), rig.token()
    master_key, _ = rig.create(first)
    before = rig.files()
    # Fault injection: the bytes read back after the write are not the ones written.
    real_read = atomic.read_file

    def flaky_read(path: Path) -> bytes | None:  # bad only while a backup is pending
        data = real_read(path)
        return data[:-1] if data and atomic.backup_path(path).exists() else data

    monkeypatch.setattr(atomic, "read_file", flaky_read)
    with pytest.raises(StoreFileError, match="did not read back correctly"):
        rig.call(add_token, rig.path, master_key, spare)
    assert rig.files() == before
    monkeypatch.undo()
    with pytest.raises(TokenNotEnrolled):
        rig.call(unlock_with_token, rig.path, spare)


def test_master_key_never_reaches_the_disk(rig: Rig) -> None:
    first, spare = rig.token("openpgp"), rig.token("fido2")
    master_key, code = rig.create(first)
    rig.call(add_token, rig.path, master_key, spare)
    rig.call(replace_recovery_code, rig.path, master_key, cost=TEST_COST)
    secrets = [master_key.value, master_key.value.hex().encode(), code.text().encode()]
    for path in rig.tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(secret in data for secret in secrets), path
