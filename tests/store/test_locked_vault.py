"""The whole locked vault: token -> keyslots -> master key -> SQLCipher history.

The token on real pcscd (virtual card via vpcd) unlocks the keyslot file, the
master key opens the history, and nothing under the profile (keyslots, the
database, its WAL and SHM, the lock file, the credential registry, backups)
ever holds the master key, a derived key, the recovery code, the PIN or a
message's text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import probe_reader

from keybound.errors import ProfileInUse, TokenNotEnrolled
from keybound.store import vault
from keybound.store.database import HISTORY_FILE, Database
from keybound.store.keys import KeyPurpose, MasterKey
from keybound.store.keyslots import TEST_COST
from keybound.store.lock import ProfileLock
from keybound.store.models import Conversation, ConversationKind, Identity, Message, new_message_id
from keybound.store.repository import Repository
from keybound.token import discovery
from keybound.token.base import EnrollOptions, PinKind, Token, TokenKind
from keybound.token.prompter import FixedPinPrompter
from keybound.token.registry import CredentialRegistry
from keybound.token.worker import TokenWorker

pytestmark = pytest.mark.integration

PIN = "515151"
ADMIN = "51515151"
PROMPTER = FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: ADMIN})
TEXT = "meet me at the lighthouse at dawn"


def open_present(worker: TokenWorker, profile: Path, kind: TokenKind, reader: str) -> Token:
    """Open the token in ``reader`` the way the app does after a restart."""
    known = [
        s.public_key for s in vault.list_slots(profile / vault.KEYSLOT_FILENAME) if s.public_key
    ]

    def run() -> Token:
        ref = probe_reader(reader, kind.value)
        return discovery.open_token(ref, PROMPTER, known=known)

    token: Token = worker.call(run)
    return token


def enroll(worker: TokenWorker, kind: TokenKind, reader: str, profile: Path) -> Token:
    def run() -> Token:
        ref = probe_reader(reader, kind.value)
        token = discovery.open_token(ref, PROMPTER)
        if kind == TokenKind.OPENPGP:
            token.enroll(EnrollOptions(user_pin=PIN, admin_pin=ADMIN, current_admin_pin="12345678"))
        else:
            CredentialRegistry(profile).add(token.enroll(EnrollOptions(user_pin=PIN)))
        return token

    token: Token = worker.call(run)
    return token


def write_history(master: MasterKey, profile: Path) -> bytes:
    with Database.open(profile / HISTORY_FILE, master.derive(KeyPurpose.SQLCIPHER)) as db:
        repo = Repository(db)
        repo.upsert_identity(Identity(b"bob", 1, "Bob"))
        repo.upsert_conversation(
            Conversation(b"c", ConversationKind.DIRECT, 1, peer_identity=b"bob")
        )
        mid = new_message_id(1_750_000_000_000)
        repo.insert_message(Message(mid, b"c", b"bob", b"d", False, 1, TEXT, received_at=2))
        return mid


@pytest.mark.parametrize("kind", [TokenKind.OPENPGP, TokenKind.FIDO2])
def test_token_unlocks_history_and_no_secret_reaches_the_profile(
    kind: TokenKind, virtual_card, token_worker: TokenWorker, tmp_path: Path
) -> None:
    profile = tmp_path / "profile"
    profile.mkdir(mode=0o700)
    card = virtual_card(kind.value, slot=0)
    lock = ProfileLock.acquire(profile)
    with pytest.raises(ProfileInUse):
        ProfileLock.acquire(profile)

    token = enroll(token_worker, kind, card.reader, profile)
    path = profile / vault.KEYSLOT_FILENAME
    master, code = token_worker.call(vault.create_vault, path, token, None, cost=TEST_COST)
    token_worker.call(token.close)
    mid = write_history(master, profile)

    # a restart: the token is found again, unlocks the same master key, the history opens
    token = open_present(token_worker, profile, kind, card.reader)
    again = token_worker.call(vault.unlock_with_token, path, token)
    token_worker.call(token.close)
    assert again == master
    with Database.open(profile / HISTORY_FILE, again.derive(KeyPurpose.SQLCIPHER)) as db:
        stored = Repository(db).message(mid)
        assert stored is not None and stored.body == TEXT
        assert [hit.message.message_id for hit in Repository(db).search("lighthouse")] == [mid]
    assert vault.unlock_with_recovery_code(path, code.text()) == master
    lock.release()

    needles = {
        "message text": TEXT.encode(),
        "a word of it": b"lighthouse",
        "master key": master.value,
        "sqlcipher key": master.derive(KeyPurpose.SQLCIPHER),
        "sqlcipher key (hex)": master.derive(KeyPurpose.SQLCIPHER).hex().encode(),
        "pickle key": master.derive(KeyPurpose.PICKLE),
        "recovery code": code.text().encode(),
        "recovery code (compact)": code.text().replace("-", "").replace(" ", "").encode(),
        "PIN": PIN.encode(),
    }
    files = [p for p in profile.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {vault.KEYSLOT_FILENAME, HISTORY_FILE}
    for file in files:
        data = file.read_bytes()
        for what, needle in needles.items():
            assert needle not in data, f"{what} found in {file.name}"


def test_a_token_from_another_vault_opens_nothing(
    virtual_card, token_worker: TokenWorker, tmp_path: Path
) -> None:
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    mine.mkdir()
    theirs.mkdir()
    card_a = virtual_card("openpgp", slot=0)
    card_b = virtual_card("openpgp", slot=1)
    a = enroll(token_worker, TokenKind.OPENPGP, card_a.reader, mine)
    b = enroll(token_worker, TokenKind.OPENPGP, card_b.reader, theirs)
    token_worker.call(vault.create_vault, mine / vault.KEYSLOT_FILENAME, a, None, cost=TEST_COST)
    before = (mine / vault.KEYSLOT_FILENAME).read_bytes()
    with pytest.raises(TokenNotEnrolled):
        token_worker.call(vault.unlock_with_token, mine / vault.KEYSLOT_FILENAME, b)
    token_worker.call(a.close)
    token_worker.call(b.close)
    assert (mine / vault.KEYSLOT_FILENAME).read_bytes() == before
