"""Hardware keys as backup recipients, with the virtual card called in-process.

- OpenPGP card: the stanza is plain age X25519. The test takes the card's
  decryption scalar from the simulator's state file, proves through the card's
  PSO:DECIPHER that it is the key the card uses, and stock ``age -d -i`` opens
  the backup with it; pyrage (another age implementation) does too.
- FIDO2: the test unwraps the fido2-hmac stanza by the plugin's published
  spec (hmac-secret output as an X25519 secret) with the virtual key.

Through real pcscd, the engine tests restore onto a joined profile.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from keybound.backup import keys
from keybound.backup import operations as ops
from keybound.backup.age_file import open_payload
from keybound.backup.age_header import Stanza, b64decode, encode_header, read_header
from keybound.backup.age_recipients import (
    X25519Identity,
    X25519Recipient,
    format_secret_key,
    x25519_exchange,
    x25519_public,
)
from keybound.backup.values import Control
from keybound.errors import BackupNoMatchingKey
from keybound.store.repository import Repository
from keybound.token.base import EnrollOptions, PinKind, Token, Transport
from keybound.token.fido2_token import Fido2Token, inprocess_device, inprocess_ref
from keybound.token.openpgp import OpenPgpToken
from keybound.token.prompter import FixedPinPrompter
from keybound.token.sim import build_card
from keybound.token.sim.card import VirtualCard
from keybound.token.sim.inprocess import InProcessTransport
from keybound.token.worker import TokenWorker

from .history import ME, dump, fill, new_history
from .stock_age import age_binary

PIN = "424242"
PROMPTER = FixedPinPrompter({PinKind.USER: PIN, PinKind.ADMIN: "87654321"})


@pytest.fixture(scope="module")
def worker() -> Iterator[TokenWorker]:
    w = TokenWorker()
    yield w
    w.stop()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repository]:
    root = tmp_path_factory.mktemp("history")
    repo = new_history(root / "history.db")
    fill(repo, root / "files", messages=24, attachment_size=1000)
    yield repo
    repo.db.close()


def openpgp(worker: TokenWorker, state: Path, card: VirtualCard | None = None) -> OpenPgpToken:
    def make() -> OpenPgpToken:
        transport = InProcessTransport(card or build_card("openpgp", state))
        token = OpenPgpToken(transport, PROMPTER, Transport.INPROCESS)
        token.enroll(
            EnrollOptions(user_pin=PIN, admin_pin="87654321", current_admin_pin="12345678")
        )
        return token

    token: OpenPgpToken = worker.call(make)
    return token


def fido2(worker: TokenWorker, state: Path, name: str) -> Fido2Token:
    def make() -> Fido2Token:
        device = inprocess_device(InProcessTransport(build_card("fido2", state)))
        token = Fido2Token(device, inprocess_ref(name), PROMPTER)
        token.enroll(EnrollOptions(user_pin=PIN))
        return token

    token: Fido2Token = worker.call(make)
    return token


def backup(history: Repository, dest: Path, recipients: list[keys.BackupKey]) -> None:
    reader = history.db.reader()
    try:
        ops.create(
            reader, dest, [k.recipient() for k in recipients], own_identity=ME, settings={},
            include_attachments=True, control=Control(), now=5,
        )  # fmt: skip
    finally:
        reader.close()


def restore(path: Path, root: Path, tokens: list[Token], worker: TokenWorker) -> Repository:
    target = new_history(root / "restored.db")
    ops.restore(
        target.db, path, [keys.identity(t, worker.call) for t in tokens], own_identity=ME,
        attachments_dir=root / "att", control=Control(),
    )  # fmt: skip
    return target


def test_openpgp_card_backup_is_plain_age_x25519(
    history: Repository, worker: TokenWorker, tmp_path: Path
) -> None:
    state = tmp_path / "card.json"
    sim = build_card("openpgp", state)
    card = openpgp(worker, state, sim)
    key = worker.call(keys.enroll, card)
    assert key.kind == keys.OPENPGP and key.recipient_text().startswith("age1")
    path = tmp_path / "card.age"
    backup(history, path, [key])
    assert path.read_bytes().split(b"\n")[1].startswith(b"-> X25519 ")

    # The card's decryption scalar from the simulator's state file ...
    sim.save()
    scalar = bytes.fromhex(json.loads(state.read_text())["OpenPgpApplet"]["keys"]["B8"]["private"])
    assert x25519_public(scalar) == key.public
    # ... is the key the card's PSO:DECIPHER uses.
    share = X25519PrivateKey.generate().public_key().public_bytes_raw()
    assert worker.call(card.x25519, share) == x25519_exchange(scalar)(share)

    identity_file = tmp_path / "identity.txt"
    identity_file.write_text(format_secret_key(scalar) + "\n")
    out = tmp_path / "card.tar"
    subprocess.run(
        [age_binary(), "-d", "-i", str(identity_file), "-o", str(out), str(path)], check=True
    )
    with path.open("rb") as f:
        ours = open_payload(f, [X25519Identity(key.public, x25519_exchange(scalar))]).read()
    assert out.read_bytes() == ours
    theirs = io.BytesIO()
    with path.open("rb") as f:
        pyrage.decrypt_io(f, theirs, [pyrage.x25519.Identity.from_str(format_secret_key(scalar))])
    assert theirs.getvalue() == ours

    restored = restore(path, tmp_path, [card], worker)
    try:
        assert dump(restored.db) == dump(history.db)
    finally:
        restored.db.close()


def test_we_read_what_pyrage_encrypts_to_an_x25519_key(tmp_path: Path) -> None:
    secret = X25519PrivateKey.generate().private_bytes_raw()
    recipient = pyrage.x25519.Recipient.from_str(str(X25519Recipient(x25519_public(secret))))
    plain = bytes(range(256)) * 1000
    sealed = io.BytesIO()
    pyrage.encrypt_io(io.BytesIO(plain), sealed, [recipient])
    sealed.seek(0)
    reader = open_payload(sealed, [X25519Identity(x25519_public(secret), x25519_exchange(secret))])
    assert reader.read() == plain


def test_fido2_backup_follows_the_plugin_spec(
    history: Repository, worker: TokenWorker, tmp_path: Path
) -> None:
    key_token = fido2(worker, tmp_path / "fido.json", "fido")
    key = worker.call(keys.enroll, key_token)
    assert key.kind == keys.FIDO2 and key.require_pin
    assert key.recipient_text().startswith("age1fido2-hmac1")
    path = tmp_path / "fido.age"
    backup(history, path, [key])

    # Unwrap by the plugin's spec: args = version 2, share, PIN flag, salt, credential ID;
    # the hmac-secret output (rp ID age-encryption.org, raw salt) is an X25519 secret.
    with path.open("rb") as f:
        header = read_header(f)
        rest = f.read()
    (stanza,) = header.stanzas
    assert stanza.type == "fido2-hmac" and b64decode(stanza.args[0]) == b"\x00\x02"
    _share, pin, salt, credential = (b64decode(a) for a in stanza.args[1:])
    assert pin == b"\x01" and len(salt) == 32
    secret = worker.call(key_token.age_hmac_secret, credential, salt, True)
    assert x25519_public(secret) == key.public
    # The same file as a native X25519 stanza (the body is unchanged; the MAC is redone
    # with the file key, which the native stanza proves we could unwrap).
    native = [Stanza("X25519", (stanza.args[1],), stanza.body)]
    file_key = X25519Identity(key.public, x25519_exchange(secret)).unwrap(native)
    assert file_key is not None
    rewritten = tmp_path / "native.age"
    rewritten.write_bytes(encode_header(native, file_key) + rest)
    identity_file = tmp_path / "identity.txt"
    identity_file.write_text(format_secret_key(secret) + "\n")
    out = tmp_path / "fido.tar"
    subprocess.run(
        [age_binary(), "-d", "-i", str(identity_file), "-o", str(out), str(rewritten)], check=True
    )
    assert out.stat().st_size > 10_000

    restored = restore(path, tmp_path, [key_token], worker)
    try:
        assert dump(restored.db) == dump(history.db)
    finally:
        restored.db.close()


def test_several_keys_one_backup_and_a_wrong_key(
    history: Repository, worker: TokenWorker, tmp_path: Path
) -> None:
    card = openpgp(worker, tmp_path / "card.json")
    spare = fido2(worker, tmp_path / "spare.json", "spare")
    stranger = openpgp(worker, tmp_path / "stranger.json")
    enrolled = [worker.call(keys.enroll, card), worker.call(keys.enroll, spare)]
    path = tmp_path / "both.age"
    backup(history, path, list(reversed(enrolled)))
    lines = path.read_bytes().split(b"\n")
    assert lines[1].startswith(b"-> X25519 ")  # X25519 first, for age-plugin-openpgp-card
    for token in (card, spare):
        root = tmp_path / token.ref.label.replace(" ", "_").replace("/", "_")
        root.mkdir()
        restored = restore(path, root, [token], worker)
        assert dump(restored.db) == dump(history.db)
        restored.db.close()
    (tmp_path / "stranger").mkdir()
    with pytest.raises(BackupNoMatchingKey, match="security keys"):
        restore(path, tmp_path / "stranger", [stranger], worker)
