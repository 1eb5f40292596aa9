"""A real SQLCipher history -> backup file -> verify -> restore into another history.

Pure file and database work (no token, no relay): the format, the merge and
every failure case that does not need a token.
"""

from __future__ import annotations

import os
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from keybound.backup import layout
from keybound.backup import operations as ops
from keybound.backup.age_recipients import ScryptIdentity, ScryptRecipient
from keybound.backup.age_stream import CHUNK
from keybound.backup.values import Control, Progress
from keybound.errors import (
    BackupDamaged,
    BackupOfOtherIdentity,
    BackupTampered,
    BackupTooNew,
    BackupTruncated,
    OperationCancelled,
    WrongBackupPassphrase,
)
from keybound.store.repository import Repository

from .history import ALICE, ME, dump, fill, new_history

PASS = "correct horse battery staple orbit"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Repository, Path]]:
    """One filled history and one backup of it, shared by the tests of this module."""
    root = tmp_path_factory.mktemp("source")
    repo = new_history(root / "history.db")
    fill(repo, root / "files", messages=60)
    reader = repo.db.reader()
    ops.create(
        reader, root / "backup.age", [ScryptRecipient(PASS, log_n=10)], own_identity=ME,
        settings={"read_receipts": False}, include_attachments=True, control=Control(), now=123,
    )  # fmt: skip
    reader.close()
    yield repo, root / "backup.age"
    repo.db.close()


def _restore(path: Path, target: Path, passphrase: str = PASS, own: bytes = ME) -> Repository:
    repo = new_history(target / "history.db", own)
    try:
        ops.restore(
            repo.db, path, [ScryptIdentity(passphrase)], own_identity=own,
            attachments_dir=target / "attachments", control=Control(),
        )  # fmt: skip
    except BaseException:
        repo.db.close()
        raise
    return repo


def test_verify_reports_what_the_backup_holds(source: tuple[Repository, Path]) -> None:
    _, path = source
    info = ops.verify(path, [ScryptIdentity(PASS)], Control())
    assert info.identity_id == ME and info.created_at == 123 and info.format == 1
    assert info.counts.messages == 60 and info.counts.contacts == 2
    assert info.counts.attachments == 6 and info.size == path.stat().st_size


def test_restore_into_a_fresh_history_gives_an_equal_history(
    source: tuple[Repository, Path], tmp_path: Path
) -> None:
    repo, path = source
    restored = _restore(path, tmp_path)
    try:
        assert dump(restored.db) == dump(repo.db)
        sending = restored.db.query("SELECT failure_reason FROM messages WHERE status='failed'")
        assert len(sending) == 1 and sending[0][0]  # "sending" came back failed, with a reason
        for (path_text,) in restored.db.query(
            "SELECT local_path FROM attachments WHERE local_state = 'local'"
        ):
            original = repo.db.query_one(
                "SELECT local_path FROM attachments WHERE local_state = 'local' "
                "AND ? LIKE '%' || hex(message_id) || '%'",
                (path_text.upper(),),
            )
            assert original is not None
            assert Path(path_text).read_bytes() == Path(original[0]).read_bytes()
            assert Path(path_text).stat().st_mode & 0o077 == 0
        # No crypto state, outbox or devices came along.
        for table in ("crypto_state", "outbox", "devices", "compose_queue"):
            assert restored.db.query(f"SELECT count(*) FROM {table}")[0][0] == 0  # noqa: S608
    finally:
        restored.db.close()


def test_merging_twice_adds_nothing_the_second_time(
    source: tuple[Repository, Path], tmp_path: Path
) -> None:
    repo, path = source
    target = new_history(tmp_path / "history.db")
    try:
        first = ops.restore(
            target.db, path, [ScryptIdentity(PASS)], own_identity=ME,
            attachments_dir=tmp_path / "att", control=Control(),
        )  # fmt: skip
        second = ops.restore(
            target.db, path, [ScryptIdentity(PASS)], own_identity=ME,
            attachments_dir=tmp_path / "att", control=Control(),
        )  # fmt: skip
        assert first.added.messages == 60 and first.skipped_messages == 0
        assert second.added.messages == 0 and second.skipped_messages == 60
        assert second.added.reactions == second.added.attachments == 0
        assert dump(target.db) == dump(repo.db)
    finally:
        target.db.close()


def _at_chunk_boundary(path: Path) -> bytes:
    data = path.read_bytes()
    payload = data.index(b"\n--- ") + 1
    payload = data.index(b"\n", payload) + 1 + 16  # the MAC line, then the nonce
    return data[: payload + 2 * (CHUNK + 16)]


def _flip(path: Path, out: Path, offset: int) -> Path:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    out.write_bytes(data)
    return out


@pytest.mark.parametrize(
    ("damage", "error"),
    [
        (lambda p, o: _flip(p, o, p.read_bytes().index(b"\n--- ") + 9), BackupDamaged),  # MAC
        (lambda p, o: _flip(p, o, p.stat().st_size // 2), BackupDamaged),  # a payload chunk
        (lambda p, o: _flip(p, o, p.stat().st_size - 3), BackupDamaged),  # the last chunk
        (lambda p, o: o.write_bytes(p.read_bytes()[: -CHUNK // 2]) and o, BackupDamaged),
        (lambda p, o: o.write_bytes(_at_chunk_boundary(p)) and o, BackupTruncated),
        (lambda p, o: o.write_bytes(p.read_bytes()[:200]) and o, BackupDamaged),
        (lambda p, o: o.write_bytes(p.read_bytes() + b"x") and o, BackupDamaged),
    ],
    ids=["mac", "middle", "end", "cut", "cut-at-chunk", "cut-after-header", "trailing-byte"],
)
def test_damaged_files_fail_and_write_nothing(
    source: tuple[Repository, Path], tmp_path: Path, damage: object, error: type[Exception]
) -> None:
    _, path = source
    bad = damage(path, tmp_path / "bad.age")  # type: ignore[operator]
    target = new_history(tmp_path / "history.db")
    before = dump(target.db)
    with pytest.raises(error):
        ops.restore(
            target.db, bad, [ScryptIdentity(PASS)], own_identity=ME,
            attachments_dir=tmp_path / "att", control=Control(),
        )  # fmt: skip
    assert dump(target.db) == before
    assert not (tmp_path / "att").exists() or not list((tmp_path / "att").iterdir())
    target.db.close()


def test_a_changed_header_fails_its_mac(source: tuple[Repository, Path], tmp_path: Path) -> None:
    _, path = source
    data = path.read_bytes()
    # The work factor "10" -> "11" still parses; only the MAC can notice.
    bad = tmp_path / "bad.age"
    bad.write_bytes(data.replace(b" 10\n", b" 11\n", 1))
    with pytest.raises((BackupTampered, WrongBackupPassphrase)):
        ops.verify(bad, [ScryptIdentity(PASS)], Control())


def test_wrong_passphrase(source: tuple[Repository, Path], tmp_path: Path) -> None:
    _, path = source
    with pytest.raises(WrongBackupPassphrase):
        _restore(path, tmp_path, passphrase="not the passphrase at all")


def test_backup_of_another_identity(source: tuple[Repository, Path], tmp_path: Path) -> None:
    _, path = source
    with pytest.raises(BackupOfOtherIdentity):
        _restore(path, tmp_path, own=ALICE)


def _rewrite(path: Path, out: Path, change: object) -> None:
    """Decrypt, change the tar's members with ``change(name, data)``, re-encrypt."""
    import io

    from keybound.backup.age_file import AgeFileWriter, open_payload

    with path.open("rb") as f:
        plain = open_payload(f, [ScryptIdentity(PASS)]).read()
    with (
        tarfile.open(fileobj=io.BytesIO(plain), mode="r:") as src,
        AgeFileWriter(out, [ScryptRecipient(PASS, log_n=10)]) as sink,
        tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as dst,  # type: ignore[call-overload]
    ):
        for member in src:
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            data = change(member.name, data)  # type: ignore[operator]
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


def test_newer_format_version(source: tuple[Repository, Path], tmp_path: Path) -> None:
    _, path = source
    newer = tmp_path / "newer.age"
    _rewrite(
        path, newer,
        lambda name, data: data.replace(b'"format":1', b'"format":2')
        if name == layout.HEADER else data,
    )  # fmt: skip
    with pytest.raises(BackupTooNew):
        _restore(newer, tmp_path)


def test_a_member_that_does_not_match_the_manifest(
    source: tuple[Repository, Path], tmp_path: Path
) -> None:
    _, path = source
    changed = tmp_path / "changed.age"
    _rewrite(
        path, changed,
        lambda name, data: data.replace(b"Alice", b"Eve!!") if name == layout.CONTACTS else data,
    )  # fmt: skip
    with pytest.raises(BackupDamaged, match="manifest"):
        _restore(changed, tmp_path)


def test_stock_tar_reads_the_payload(source: tuple[Repository, Path], tmp_path: Path) -> None:
    import io

    from keybound.backup.age_file import open_payload

    _, path = source
    with path.open("rb") as f:
        plain = open_payload(f, [ScryptIdentity(PASS)]).read()
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        names = tar.getnames()
    assert names[0] == layout.HEADER and names[-1] == layout.MANIFEST
    assert layout.CONTACTS in names and any(n.startswith("attachments/") for n in names)


def test_cancel_leaves_no_file(source: tuple[Repository, Path], tmp_path: Path) -> None:
    repo, _ = source
    control = Control()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if len(seen) == 2:
            control.cancelled.set()

    control.progress = progress
    reader = repo.db.reader()
    dest = tmp_path / "cancelled.age"
    with pytest.raises(OperationCancelled):
        ops.create(
            reader, dest, [ScryptRecipient(PASS, log_n=10)], own_identity=ME, settings={},
            include_attachments=True, control=control, now=1,
        )  # fmt: skip
    reader.close()
    assert os.listdir(tmp_path) == []


def test_restore_cancelled_midway_changes_nothing(
    source: tuple[Repository, Path], tmp_path: Path
) -> None:
    _, path = source
    target = new_history(tmp_path / "history.db")
    before = dump(target.db)
    control = Control()
    control.progress = lambda p: control.cancelled.set() if p.messages_done else None
    with pytest.raises(OperationCancelled):
        ops.restore(
            target.db, path, [ScryptIdentity(PASS)], own_identity=ME,
            attachments_dir=tmp_path / "att", control=control,
        )  # fmt: skip
    assert dump(target.db) == before
    target.db.close()
    assert threading.active_count() >= 1


def test_stock_age_decrypts_a_passphrase_backup_and_tar_lists_it(
    source: tuple[Repository, Path], tmp_path: Path
) -> None:
    import subprocess

    from .stock_age import decrypt_with_passphrase

    _, path = source
    out = tmp_path / "backup.tar"
    code, screen = decrypt_with_passphrase(path, out, PASS)
    assert code == 0, screen
    listed = subprocess.run(["tar", "tf", str(out)], capture_output=True, check=True, text=True)
    names = listed.stdout.split()
    assert names[0] == layout.HEADER and names[-1] == layout.MANIFEST
    assert sum(n.startswith("attachments/") for n in names) == 6
    code, _ = decrypt_with_passphrase(path, tmp_path / "wrong.tar", "not it")
    assert code != 0 and not (tmp_path / "wrong.tar").exists()


def test_a_backup_stock_age_encrypted_is_restored(
    source: tuple[Repository, Path], tmp_path: Path
) -> None:
    from keybound.backup.age_file import open_payload

    from .stock_age import encrypt_with_passphrase

    repo, path = source
    tar = tmp_path / "backup.tar"
    with path.open("rb") as f:
        reader = open_payload(f, [ScryptIdentity(PASS)])
        tar.write_bytes(reader.read())
    theirs = tmp_path / "theirs.age"
    code, screen = encrypt_with_passphrase(tar, theirs, PASS)
    assert code == 0, screen
    assert theirs.read_bytes().startswith(b"age-encryption.org/v1\n-> scrypt ")
    (tmp_path / "restored").mkdir()
    restored = _restore(theirs, tmp_path / "restored")
    try:
        assert dump(restored.db) == dump(repo.db)
    finally:
        restored.db.close()


@pytest.mark.parametrize("fmt", ["html", "json"])
def test_readable_export(source: tuple[Repository, Path], tmp_path: Path, fmt: str) -> None:
    import json

    from keybound.backup.export import export_history

    repo, _ = source
    reader = repo.db.reader()
    dest = tmp_path / "export"
    try:
        export_history(reader, dest, fmt=fmt, conversation_id=None, control=Control())
    finally:
        reader.close()
    assert dest.stat().st_mode & 0o777 == 0o700
    folders = sorted(p.name for p in dest.iterdir())
    assert len(folders) == 2 and any(f.startswith("Alice-") for f in folders)
    alice = next(dest.glob("Alice-*"))
    if fmt == "json":
        data = json.loads((alice / "messages.json").read_text())
        assert data["name"] == "Alice"
        bodies = [m["body"] for m in data["messages"]]
        assert any(b and "ünïcødé" in b for b in bodies)
    else:
        page = (alice / "messages.html").read_text()
        assert "ünïcødé 🙂" in page and "<script" not in page
    files = list(dest.glob("*/files/*"))
    assert len(files) == 6 and all(f.stat().st_mode & 0o077 == 0 for f in files)
    assert not (tmp_path / "export.part").exists()


def test_export_cancelled_leaves_nothing(source: tuple[Repository, Path], tmp_path: Path) -> None:
    from keybound.backup.export import export_history

    repo, _ = source
    control = Control()
    control.cancelled.set()
    reader = repo.db.reader()
    with pytest.raises(OperationCancelled):
        export_history(
            reader, tmp_path / "export", fmt="html", conversation_id=None, control=control
        )
    reader.close()
    assert os.listdir(tmp_path) == []
