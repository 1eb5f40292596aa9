"""The C2SP age test vectors (CCTV) through our age reader, and round trips of our writer.

Each vector names the outcome: success (with the payload's SHA-256), a header,
HMAC or payload failure, or no match. Armored and ML-KEM vectors are left out
(Keybound reads neither); see tests/data/age-cctv/SOURCE.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from pathlib import Path

import pytest

from keybound.backup.age_file import open_payload
from keybound.backup.age_header import encode_header, read_header
from keybound.backup.age_recipients import (
    Identity,
    ScryptIdentity,
    X25519Identity,
    parse_secret_key,
    x25519_exchange,
    x25519_public,
)
from keybound.backup.age_stream import CHUNK, PayloadWriter
from keybound.errors import (
    BackupDamaged,
    BackupHeaderInvalid,
    BackupNoMatchingKey,
    BackupTampered,
)

VECTORS = Path(__file__).parent.parent / "data" / "age-cctv"
NAMES = sorted(p.name for p in VECTORS.iterdir() if p.name != "SOURCE")


def _load(name: str) -> tuple[dict[str, list[str]], bytes]:
    raw = (VECTORS / name).read_bytes()
    head, _, body = raw.partition(b"\n\n")
    fields: dict[str, list[str]] = {}
    for line in head.decode().splitlines():
        key, _, value = line.partition(": ")
        fields.setdefault(key, []).append(value)
    if fields.get("compressed") == ["zlib"]:
        body = zlib.decompress(body)
    return fields, body


def _identities(fields: dict[str, list[str]]) -> list[Identity]:
    found: list[Identity] = [ScryptIdentity(p) for p in fields.get("passphrase", [])]
    for text in fields.get("identity", []):
        secret = parse_secret_key(text)
        found.append(X25519Identity(x25519_public(secret), x25519_exchange(secret)))
    return found


def test_vectors_are_present() -> None:
    assert len(NAMES) > 80


@pytest.mark.parametrize("name", NAMES)
def test_vector(name: str) -> None:
    fields, body = _load(name)
    expect = fields["expect"][0]
    errors: dict[str, type[Exception]] = {
        "header failure": BackupHeaderInvalid,
        "HMAC failure": BackupTampered,
        "no match": BackupNoMatchingKey,
        "payload failure": BackupDamaged,
    }
    if expect == "success":
        reader = open_payload(io.BytesIO(body), _identities(fields))
        digest = hashlib.sha256()
        while piece := reader.read(CHUNK):
            digest.update(piece)
        assert digest.hexdigest() == fields["payload"][0]
        return

    def read_all() -> None:
        open_payload(io.BytesIO(body), _identities(fields)).finish()

    with pytest.raises(errors[expect]) as caught:
        read_all()
    if expect == "payload failure":  # not an earlier, lower-level failure
        assert not isinstance(caught.value, BackupHeaderInvalid)


@pytest.mark.parametrize("name", [n for n in NAMES if _load(n)[0]["expect"][0] == "success"])
def test_header_and_stream_round_trip(name: str) -> None:
    """Re-encoding a parsed header gives the same bytes; re-sealing the payload too."""
    fields, body = _load(name)
    source = io.BytesIO(body)
    header = read_header(source)
    file_key = bytes.fromhex(fields["file key"][0])
    assert encode_header(list(header.stanzas), file_key) == body[: source.tell()]
    nonce = source.read(16)
    reader = open_payload(io.BytesIO(body), _identities(fields))
    plain = reader.read()
    out = io.BytesIO()
    writer = PayloadWriter(out, file_key, nonce)
    writer.write(plain)
    writer.close()
    assert out.getvalue() == body[source.tell() - 16 :]
