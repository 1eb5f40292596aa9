"""The vault with virtual cards in vpcd readers of the real pcscd: OpenPGP and FIDO2.

Tokens are found and opened the way the application does it (probe the
reader, ``discovery.open_token`` with the credentials listed in the keyslot
file), and every token call runs on the token worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from tests.conftest import CardFactory, probe_reader

from keybound.errors import LastTokenSlot, TokenNotEnrolled, WrongRecoveryCode
from keybound.store.keys import MasterKey
from keybound.store.keyslots import TEST_COST
from keybound.store.recovery import RecoveryCode
from keybound.store.vault import (
    KEYSLOT_FILENAME,
    add_token,
    create_vault,
    list_slots,
    remove_token,
    replace_recovery_code,
    unlock_with_recovery_code,
    unlock_with_token,
)
from keybound.token import discovery
from keybound.token.base import EnrollOptions, PinKind, PublicKey, Token
from keybound.token.prompter import FixedPinPrompter
from keybound.token.worker import TokenWorker

PIN = "424242"
PROMPTER = FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: "87654321"})
ENROLL = {
    "openpgp": EnrollOptions(user_pin=PIN, admin_pin="87654321", current_admin_pin="12345678"),
    "fido2": EnrollOptions(user_pin=PIN),
}


def open_present(worker: TokenWorker, reader: str, kind: str, known: Sequence[PublicKey]) -> Token:
    ref = worker.call(probe_reader, reader, kind)
    token: Token = worker.call(discovery.open_token, ref, PROMPTER, known)
    return token


def known_keys(path: Path) -> list[PublicKey]:
    return [s.public_key for s in list_slots(path) if s.public_key is not None]


def files_under(directory: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.integration
@pytest.mark.parametrize(("kind_a", "kind_b"), [("openpgp", "fido2"), ("fido2", "openpgp")])
def test_vault_with_two_tokens_through_pcscd(
    virtual_card: CardFactory, token_worker: TokenWorker, tmp_path: Path, kind_a: str, kind_b: str
) -> None:
    worker = token_worker
    readers = {"a": virtual_card(kind_a, slot=0).reader, "b": virtual_card(kind_b, slot=1).reader}
    token_a = open_present(worker, readers["a"], kind_a, [])
    token_b = open_present(worker, readers["b"], kind_b, [])
    worker.call(token_a.enroll, ENROLL[kind_a])
    worker.call(token_b.enroll, ENROLL[kind_b])
    profile = tmp_path / "profile"
    profile.mkdir()
    path = profile / KEYSLOT_FILENAME

    master_key, code = worker.call(create_vault, path, token_a, "Token A", cost=TEST_COST)
    before = files_under(profile)
    with pytest.raises(TokenNotEnrolled, match="not enrolled in this vault"):
        worker.call(unlock_with_token, path, token_b)
    assert files_under(profile) == before
    worker.call(add_token, path, master_key, token_b, "Token B")
    for token in (token_a, token_b):
        worker.call(token.close)

    # A later session: open whichever token is present, knowing the enrolled credentials.
    token_a = open_present(worker, readers["a"], kind_a, known_keys(path))
    token_b = open_present(worker, readers["b"], kind_b, known_keys(path))
    assert worker.call(unlock_with_token, path, token_a) == master_key
    assert worker.call(unlock_with_token, path, token_b) == master_key
    assert unlock_with_recovery_code(path, code.text()) == master_key
    before = files_under(profile)
    with pytest.raises(WrongRecoveryCode):
        unlock_with_recovery_code(path, RecoveryCode.generate())
    assert files_under(profile) == before
    assert [(s.id, s.label) for s in list_slots(path)] == [
        (1, "Token A"),
        (2, "Recovery code"),
        (3, "Token B"),
    ]

    worker.call(remove_token, path, master_key, 1)
    with pytest.raises(TokenNotEnrolled):
        worker.call(unlock_with_token, path, token_a)
    with pytest.raises(LastTokenSlot):
        worker.call(remove_token, path, master_key, 3)
    assert worker.call(unlock_with_token, path, token_b) == master_key

    new_code = replace_recovery_code(path, master_key, cost=TEST_COST)
    with pytest.raises(WrongRecoveryCode):
        unlock_with_recovery_code(path, code)
    assert unlock_with_recovery_code(path, new_code) == master_key
    for token in (token_a, token_b):
        worker.call(token.close)
    assert_no_secret_on_disk(tmp_path, master_key, [code, new_code])


def assert_no_secret_on_disk(root: Path, master_key: MasterKey, codes: list[RecoveryCode]) -> None:
    """Raw bytes of every file written (profile and the cards' state files)."""
    secrets = [master_key.value, master_key.value.hex().encode()]
    secrets += [c.text().encode() for c in codes] + [c.data.encode() for c in codes]
    scanned = files_under(root)
    assert any(p.name == KEYSLOT_FILENAME for p in scanned)
    for path, data in scanned.items():
        assert not any(secret in data for secret in secrets), path
