"""Attachment stream encryption: round trips at the chunk edges, and every way to break it."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest

from keybound.client.attachments import (
    CHUNK_SIZE,
    MAGIC,
    AttachmentWriter,
    EncryptedStream,
    Opener,
    SealedAttachment,
    ciphertext_size,
    decrypt_file,
    encrypt_file,
    file_chunks,
)
from keybound.errors import (
    AttachmentDigestMismatch,
    AttachmentError,
    AttachmentTampered,
    AttachmentTruncated,
)

RECORD = CHUNK_SIZE + 17
PREFIX = len(MAGIC) + 24


def _seal(tmp_path: Path, data: bytes) -> SealedAttachment:
    src = tmp_path / "plain.bin"
    src.write_bytes(data)
    return asyncio.run(encrypt_file(src, tmp_path / "cipher.kba"))


def _open(tmp_path: Path, cipher: bytes, sealed: SealedAttachment, **kw: object) -> Path:
    src = tmp_path / "received.kba"
    src.write_bytes(cipher)
    digest = kw.pop("digest", sealed.digest)
    key = kw.pop("key", sealed.key)
    size = kw.pop("size", sealed.size)
    return asyncio.run(decrypt_file(src, tmp_path / "out.bin", key, digest, size))  # type: ignore[arg-type]


def _leftovers(tmp_path: Path) -> set[str]:
    return {p.name for p in tmp_path.iterdir()} - {"plain.bin", "cipher.kba", "received.kba"}


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, 5 * 1024 * 1024]
)
def test_round_trip(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    sealed = _seal(tmp_path, data)
    cipher = sealed.path.read_bytes()
    assert sealed.size == size
    assert len(cipher) == sealed.ciphertext_size == ciphertext_size(size)
    assert hashlib.sha256(cipher).digest() == sealed.digest
    assert cipher.startswith(MAGIC)
    if size >= 16:
        assert data[:16] not in cipher
    out = _open(tmp_path, cipher, sealed)
    assert out.read_bytes() == data
    assert _leftovers(tmp_path) == {"out.bin"}


def test_keys_are_fresh_and_ciphertexts_differ(tmp_path: Path) -> None:
    a = _seal(tmp_path, b"same")
    first = a.path.read_bytes()
    b = _seal(tmp_path, b"same")
    assert a.key != b.key and len(a.key) == 32
    assert first != b.path.read_bytes()


def test_stream_matches_file_format_and_odd_sized_writes(tmp_path: Path) -> None:
    data = os.urandom(2 * CHUNK_SIZE + 12345)
    src = tmp_path / "plain.bin"
    src.write_bytes(data)

    async def scenario() -> bytes:
        stream = EncryptedStream(src)
        with pytest.raises(ValueError, match="end"):
            _ = stream.digest
        parts = [part async for part in stream]
        cipher = b"".join(parts)
        assert hashlib.sha256(cipher).digest() == stream.digest
        assert stream.size == len(data) and stream.ciphertext_size == len(cipher)
        async with AttachmentWriter(tmp_path / "out.bin", stream.key, stream.digest) as w:
            for i in range(0, len(cipher), 7777):  # pieces that never line up with records
                await w.write(cipher[i : i + 7777])
            return (await w.finish()).read_bytes()

    assert asyncio.run(scenario()) == data


def test_file_chunks_reads_to_the_end(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"a" * 1000)

    async def scenario() -> list[int]:
        read = file_chunks(path, 300)
        sizes = []
        while data := await read():
            sizes.append(len(data))
        assert await read() == b""
        return sizes

    assert asyncio.run(scenario()) == [300, 300, 300, 100]


# --- failures: an error, and never an output file -----------------------------------------


def _broken(tmp_path: Path, cipher: bytes, sealed: SealedAttachment, **kw: object) -> Exception:
    with pytest.raises(AttachmentError) as info:
        _open(tmp_path, cipher, sealed, **kw)
    assert not (tmp_path / "out.bin").exists()
    assert _leftovers(tmp_path) == set(), "no temporary file is left behind"
    return info.value


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


@pytest.fixture
def sealed(tmp_path: Path) -> tuple[SealedAttachment, bytes]:
    s = _seal(tmp_path, os.urandom(4 * CHUNK_SIZE + 100))
    return s, s.path.read_bytes()


def test_flipped_bit_fails_the_digest(
    tmp_path: Path, sealed: tuple[SealedAttachment, bytes]
) -> None:
    s, cipher = sealed
    bad = bytearray(cipher)
    bad[PREFIX + RECORD + 10] ^= 1
    assert isinstance(_broken(tmp_path, bytes(bad), s), AttachmentDigestMismatch)


def test_flipped_bit_with_matching_digest_fails_authentication(
    tmp_path: Path, sealed: tuple[SealedAttachment, bytes]
) -> None:
    s, cipher = sealed
    bad = bytearray(cipher)
    bad[PREFIX + 2 * RECORD + 10] ^= 1
    err = _broken(tmp_path, bytes(bad), s, digest=_digest(bytes(bad)))
    assert isinstance(err, AttachmentTampered)


def test_swapped_chunks_are_detected(
    tmp_path: Path, sealed: tuple[SealedAttachment, bytes]
) -> None:
    s, cipher = sealed
    head, r1, r2 = cipher[:PREFIX], cipher[PREFIX : PREFIX + RECORD], cipher[PREFIX + RECORD :]
    swapped = head + r2[:RECORD] + r1 + r2[RECORD:]
    assert len(swapped) == len(cipher)
    err = _broken(tmp_path, swapped, s, digest=_digest(swapped))
    assert isinstance(err, AttachmentTampered)


@pytest.mark.parametrize("size_known", [True, False])
def test_dropped_final_record_is_truncation(
    tmp_path: Path, sealed: tuple[SealedAttachment, bytes], size_known: bool
) -> None:
    s, cipher = sealed
    cut = cipher[: PREFIX + 4 * RECORD]  # whole records only: the FINAL tag is missing
    kw: dict[str, object] = {"digest": _digest(cut)}
    if not size_known:
        kw["size"] = None
    assert isinstance(_broken(tmp_path, cut, s, **kw), AttachmentTruncated)


def test_cut_mid_record_is_truncation(
    tmp_path: Path, sealed: tuple[SealedAttachment, bytes]
) -> None:
    s, cipher = sealed
    cut = cipher[: PREFIX + RECORD + 5000]
    assert isinstance(_broken(tmp_path, cut, s, digest=_digest(cut)), AttachmentTruncated)
    # without the expected size, the cut record fails to authenticate
    err = _broken(tmp_path, cut, s, digest=_digest(cut), size=None)
    assert isinstance(err, AttachmentTampered)


def test_header_only_and_empty_are_truncation(
    tmp_path: Path, sealed: tuple[SealedAttachment, bytes]
) -> None:
    s, cipher = sealed
    for cut in (b"", cipher[:PREFIX], cipher[:10]):
        assert isinstance(_broken(tmp_path, cut, s, digest=_digest(cut)), AttachmentTruncated)


def test_appended_data_is_refused(tmp_path: Path, sealed: tuple[SealedAttachment, bytes]) -> None:
    s, cipher = sealed
    longer = cipher + os.urandom(100)
    assert isinstance(_broken(tmp_path, longer, s), AttachmentDigestMismatch)
    err = _broken(tmp_path, longer, s, digest=_digest(longer), size=None)
    assert isinstance(err, AttachmentTampered)


def test_wrong_key_and_wrong_size(tmp_path: Path, sealed: tuple[SealedAttachment, bytes]) -> None:
    s, cipher = sealed
    assert isinstance(_broken(tmp_path, cipher, s, key=os.urandom(32)), AttachmentTampered)
    assert isinstance(_broken(tmp_path, cipher, s, size=s.size - 1), AttachmentDigestMismatch)
    assert isinstance(_broken(tmp_path, cipher, s, size=s.size + 1), AttachmentTruncated)


def test_unknown_format_version(tmp_path: Path, sealed: tuple[SealedAttachment, bytes]) -> None:
    s, cipher = sealed
    newer = b"KBA\x02" + cipher[4:]
    err = _broken(tmp_path, newer, s, digest=_digest(newer))
    assert "newer format" in str(err) and type(err) is AttachmentError
    junk = b"JUNK" + cipher[4:]
    assert isinstance(_broken(tmp_path, junk, s, digest=_digest(junk)), AttachmentTampered)


def test_final_record_cannot_be_followed(tmp_path: Path) -> None:
    """An empty final record, then more records: refused even with a matching digest."""
    s = _seal(tmp_path, os.urandom(CHUNK_SIZE))
    cipher = s.path.read_bytes()
    opener = Opener(s.key, _digest(cipher + cipher[PREFIX:]), None)
    opener.feed(cipher)
    opener.feed(cipher[PREFIX:])
    with pytest.raises(AttachmentError):
        opener.finish()


def test_writer_abort_leaves_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with AttachmentWriter(tmp_path / "out.bin", os.urandom(32), os.urandom(32)) as w:
            await w.write(b"x" * 100)
            assert len(list(tmp_path.iterdir())) == 1  # the temporary file, hidden
        assert list(tmp_path.iterdir()) == []

    asyncio.run(scenario())
