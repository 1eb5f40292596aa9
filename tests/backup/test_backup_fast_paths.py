"""The fast paths of backup and restore give exactly what the plain ones gave.

Each shortcut taken for speed (see bench/backup.py) is checked against the
behaviour it replaced: sealing age chunks straight from the caller's buffer,
handing whole chunks to tar, multi-row INSERTs, the JSON Lines fast parser,
splitting message parts into lines block by block.
"""

from __future__ import annotations

import io
import json
import os
import random
from pathlib import Path

import pytest

from keybound.backup import layout, reader
from keybound.backup import operations as ops
from keybound.backup.age_recipients import ScryptIdentity, ScryptRecipient
from keybound.backup.age_stream import CHUNK, PayloadReader, PayloadWriter
from keybound.backup.values import Control
from keybound.errors import BackupDamaged
from keybound.store.database import INSERT_ROWS, Database

from .history import ME, dump, fill, new_history

PASS = "correct horse battery staple orbit"
SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5]


def _sealed(data: bytes, key: bytes, nonce: bytes, pieces: list[int]) -> bytes:
    sink = io.BytesIO()
    writer = PayloadWriter(sink, key, nonce)
    position = 0
    for size in pieces:
        # A bytearray the caller changes after each write: nothing may be kept by reference.
        buffer = bytearray(data[position : position + size])
        writer.write(memoryview(buffer))
        buffer[:] = b"\xff" * len(buffer)
        position += size
    writer.write(data[position:])
    writer.close()
    return sink.getvalue()


@pytest.mark.parametrize("size", SIZES)
def test_any_write_pattern_gives_the_same_age_payload(size: int) -> None:
    rng = random.Random(size)
    data, key, nonce = os.urandom(size), os.urandom(16), os.urandom(16)
    whole = _sealed(data, key, nonce, [])
    expected_chunks = max(1, -(-size // CHUNK))
    assert len(whole) == 16 + size + 16 * expected_chunks
    for _ in range(5):
        pieces = [rng.choice([1, 7, CHUNK - 3, CHUNK, CHUNK + 9, 2 * CHUNK]) for _ in range(6)]
        assert _sealed(data, key, nonce, pieces) == whole
    for read_size in (1, 100, CHUNK, CHUNK + 1, 10 * CHUNK):
        payload = PayloadReader(io.BytesIO(whole), key)
        out = bytearray()
        while piece := payload.read(read_size):
            assert len(piece) <= read_size
            out += piece
        assert out == data


@pytest.mark.parametrize("count", [0, 1, 5, INSERT_ROWS - 1, INSERT_ROWS, INSERT_ROWS + 3, 1300])
def test_insert_many_inserts_every_row_once_in_order(tmp_path: Path, count: int) -> None:
    db = Database.open(tmp_path / "h.db", bytes(32), memory_security=False)
    try:
        db.execute("CREATE TEMP TABLE t (n INTEGER PRIMARY KEY, b BLOB, s TEXT)")
        rows = [(n, bytes([n % 256]) * 3 if n % 3 else None, f"r{n}") for n in range(count)]
        with db.transaction():
            assert db.insert_many("INSERT INTO t (n, b, s)", 3, rows) == count
            # Duplicates are ignored and not counted.
            again = [*rows[::2], (count + 1, b"x", "new")]
            assert db.insert_many("INSERT OR IGNORE INTO t (n, b, s)", 3, again) == 1
        stored = db.query("SELECT n, b, s FROM t ORDER BY rowid")
        assert stored == [*rows, (count + 1, b"x", "new")]
    finally:
        db.close()


@pytest.mark.parametrize(
    "line",
    [
        b'{"a":1,"b":[true,null,"x\\"y"],"c":"\xc3\xbc\xf0\x9f\x98\x80"}',
        b'{"a":1}\n',
        b'{"a":1}  \t\r',
        b' {"a":1}',  # leading space: not the fast path, same answer
        b'{"a":1} x',
        b'{"a":1}{"b":2}',
        b'{"a":"\\ud800"}',  # a lone surrogate, escaped
        b'{"a":"\xed\xa0\x80"}',  # a lone surrogate in raw bytes (json.loads lets it pass)
        b'{"a":1}\x0b',  # vertical tab: not JSON whitespace
        '{"a":1}\u3000'.encode(),  # ideographic space: not JSON whitespace either
        '{"a":1}'.encode("utf-16"),
        b"[1,2]",
        b"",
        b"{",
        b'{"a":NaN}',
    ],
)
def test_the_record_parser_answers_as_json_loads(line: bytes) -> None:
    try:
        expected = ("ok", json.loads(line))
    except (ValueError, UnicodeDecodeError):
        expected = ("damaged", None)
    try:
        got = ("ok", layout.loads_record(line, "x"))
    except BackupDamaged:
        got = ("damaged", None)
    assert repr(got) == repr(expected)  # repr: NaN != NaN


@pytest.mark.parametrize("block", [7, 4096])
def test_restore_reading_parts_in_small_blocks_gives_an_equal_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Every message line crosses a block boundary somewhere when blocks are tiny."""
    source = new_history(tmp_path / "source.db")
    fill(source, tmp_path / "files", messages=40)
    db_reader = source.db.reader()
    ops.create(
        db_reader, tmp_path / "b.age", [ScryptRecipient(PASS, log_n=10)], own_identity=ME,
        settings={}, include_attachments=True, control=Control(), now=5,
    )  # fmt: skip
    db_reader.close()
    monkeypatch.setattr(reader, "READ_BLOCK", block)
    target = new_history(tmp_path / "target.db")
    try:
        summary = ops.restore(
            target.db, tmp_path / "b.age", [ScryptIdentity(PASS)], own_identity=ME,
            attachments_dir=tmp_path / "att", control=Control(),
        )  # fmt: skip
        assert summary.added.messages == 40
        assert dump(target.db) == dump(source.db)
    finally:
        target.db.close()
        source.db.close()
