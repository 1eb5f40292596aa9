"""The keyslot file codec and slot sealing: strict, canonical, every bad input a clear error."""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keybound.errors import (
    KeyslotFileDamaged,
    KeyslotFileTruncated,
    KeyslotVersionUnsupported,
    UserFacingError,
)
from keybound.store.keys import MasterKey
from keybound.store.keyslots import (
    MAGIC,
    TEST_COST,
    Keyslot,
    KeyslotFile,
    SlotKind,
    decode_file,
    encode_file,
    key_check,
    key_matches,
    recovery_kek,
    seal,
    token_kek,
    unseal,
)
from keybound.store.recovery import RecoveryCode
from keybound.token.base import PublicKey, SignatureScheme
from keybound.wire import cbor

MASTER = MasterKey(bytes(range(32)))
VAULT_ID = bytes(range(100, 116))
KEK = hashlib.sha256(b"kek").digest()


def fido2_slot(slot_id: int = 1) -> Keyslot:
    public = PublicKey(SignatureScheme.FIDO2_EDDSA, b"\x01" * 32, "keybound.local", b"cred", True)
    slot = Keyslot(slot_id, SlotKind.FIDO2, "Security key", 1_700_000_000, b"s" * 32)
    return seal(VAULT_ID, replace(slot, public_key=public), KEK, MASTER)


def openpgp_slot(slot_id: int = 2) -> Keyslot:
    public = PublicKey(SignatureScheme.OPENPGP_ED25519, b"\x02" * 32)
    slot = Keyslot(slot_id, SlotKind.OPENPGP, "OpenPGP card 3.4 (FFFF:0001)", 5, b"t" * 32)
    return seal(VAULT_ID, replace(slot, public_key=public, serial="FFFF:0001"), KEK, MASTER)


def recovery_slot(slot_id: int = 3) -> Keyslot:
    slot = Keyslot(slot_id, SlotKind.RECOVERY, "Recovery code", 7, b"r" * 16, cost=TEST_COST)
    return seal(VAULT_ID, slot, KEK, MASTER)


def sample() -> KeyslotFile:
    return KeyslotFile(
        VAULT_ID, key_check(MASTER, VAULT_ID), (fido2_slot(), openpgp_slot(), recovery_slot())
    )


SAMPLE_FILE = sample()  # fresh nonces on every call of sample()
SAMPLE = encode_file(SAMPLE_FILE)


def with_body(body: bytes, version: int = 1) -> bytes:
    """A file around ``body`` with a correct length and checksum."""
    head = struct.pack(">8sHI", MAGIC, version, len(body)) + body
    return head + hashlib.sha256(head).digest()


def body_of(keyslots: KeyslotFile) -> dict[int | str, cbor.Value]:
    return cbor.decode_map(encode_file(keyslots)[14:-32])


def test_round_trip_is_canonical() -> None:
    keyslots = SAMPLE_FILE
    assert decode_file(SAMPLE) == keyslots
    assert encode_file(decode_file(SAMPLE)) == SAMPLE
    assert SAMPLE.startswith(MAGIC + b"\x00\x01")
    assert MASTER.value not in SAMPLE
    for slot in keyslots.slots:
        assert unseal(VAULT_ID, slot, KEK) == MASTER
    assert key_matches(MASTER, keyslots)
    assert not key_matches(MasterKey(bytes(32)), keyslots)


def test_every_metadata_field_is_bound_to_the_wrapped_key() -> None:
    changes = {
        "id": 9,
        "label": "Evil",
        "created": 6,
        "salt": b"x" * 32,
        "nonce": b"n" * 24,
        "serial": "FFFF:0002",
        "kind": SlotKind.FIDO2,
    }
    slot = openpgp_slot()
    for name, value in changes.items():
        assert unseal(VAULT_ID, replace(slot, **{name: value}), KEK) is None, name
    assert unseal(VAULT_ID, fido2_slot(), KEK) == MASTER
    assert slot.public_key is not None
    other_key = replace(slot.public_key, key=b"\x03" * 32)
    assert unseal(VAULT_ID, replace(slot, public_key=other_key), KEK) is None
    fido = fido2_slot()
    assert fido.public_key is not None
    for field_change in ({"rp_id": "x"}, {"credential_id": b"x"}, {"user_verification": False}):
        changed = replace(fido, public_key=replace(fido.public_key, **field_change))
        assert unseal(VAULT_ID, changed, KEK) is None
    rec = recovery_slot()
    assert unseal(VAULT_ID, replace(rec, cost=replace(TEST_COST, opslimit=2)), KEK) is None
    assert unseal(bytes(16), slot, KEK) is None  # moved into another vault
    assert unseal(VAULT_ID, slot, bytes(32)) is None  # wrong KEK
    assert unseal(VAULT_ID, replace(slot, wrapped=bytes(48)), KEK) is None


def test_keks_depend_on_every_input() -> None:
    code = RecoveryCode("0" * 28)
    assert recovery_kek(code, b"r" * 16, TEST_COST) == recovery_kek(code, b"r" * 16, TEST_COST)
    assert recovery_kek(code, b"q" * 16, TEST_COST) != recovery_kek(code, b"r" * 16, TEST_COST)
    assert recovery_kek(RecoveryCode("1" + "0" * 27), b"r" * 16, TEST_COST) != recovery_kek(
        code, b"r" * 16, TEST_COST
    )
    assert token_kek(b"a" * 32, VAULT_ID) != token_kek(b"a" * 32, bytes(16))
    assert token_kek(b"a" * 32, VAULT_ID) != token_kek(b"b" * 32, VAULT_ID)


def test_every_truncation_is_reported_as_such() -> None:
    for length in range(len(SAMPLE)):
        with pytest.raises(KeyslotFileTruncated, match="incomplete"):
            decode_file(SAMPLE[:length])


def test_versions() -> None:
    body = SAMPLE[14:-32]
    with pytest.raises(KeyslotVersionUnsupported, match="version 2, made by a newer Keybound"):
        decode_file(with_body(body, version=2))
    with pytest.raises(KeyslotFileDamaged, match="unknown format version 0"):
        decode_file(with_body(body, version=0))
    assert decode_file(with_body(body)) == SAMPLE_FILE


def test_other_files_and_trailing_bytes() -> None:
    with pytest.raises(KeyslotFileDamaged, match="not a Keybound keyslot file"):
        decode_file(b"SQLite format 3\x00" + bytes(100))
    with pytest.raises(KeyslotFileDamaged, match="extra bytes"):
        decode_file(SAMPLE + b"\x00")
    with pytest.raises(KeyslotFileDamaged, match="checksum"):
        decode_file(SAMPLE[:-1] + bytes([SAMPLE[-1] ^ 1]))


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda b: b | {"extra": 1}, "unknown fields"),
        (lambda b: {k: v for k, v in b.items() if k != "key_check"}, "missing field key_check"),
        (lambda b: b | {"vault_id": b"short"}, "vault_id must be 16 bytes"),
        (lambda b: b | {"slots": [b["slots"][0], b["slots"][0]]}, "same id"),
        (lambda b: b | {"slots": [b["slots"][0] | {"kind": "pin"}]}, "unknown slot kind"),
        (lambda b: b | {"slots": [b["slots"][0] | {"pin": "1234"}]}, "unknown fields"),
        (lambda b: b | {"slots": [b["slots"][0] | {"scheme": "openpgp-ed25519"}]}, "scheme"),
        (lambda b: b | {"slots": [b["slots"][2] | {"memlimit": 1 << 40}]}, "memlimit is above"),
        (lambda b: b | {"slots": [b["slots"][2] | {"serial": ""}]}, "unknown fields"),
        (lambda b: b | {"slots": [1]}, "slot must be a map"),
    ],
)
def test_strict_fields(change, detail: str) -> None:  # type: ignore[no-untyped-def]
    body = change(body_of(sample()))
    with pytest.raises(KeyslotFileDamaged, match=detail):
        decode_file(with_body(cbor.encode(body)))


@settings(max_examples=300)
@given(st.binary(max_size=600))
def test_garbage_is_always_a_clear_error(data: bytes) -> None:
    with pytest.raises(UserFacingError):
        decode_file(data)
    with pytest.raises(UserFacingError):
        decode_file(MAGIC + data)


@settings(max_examples=300)
@given(st.integers(0, len(SAMPLE) * 8 - 1))
def test_every_bit_flip_is_a_clear_error(bit: int) -> None:
    flipped = bytearray(SAMPLE)
    flipped[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises((KeyslotFileDamaged, KeyslotFileTruncated, KeyslotVersionUnsupported)):
        decode_file(bytes(flipped))


@settings(max_examples=100)
@given(st.binary(min_size=1, max_size=300))
def test_garbage_body_with_a_good_checksum_is_damaged(body: bytes) -> None:
    with pytest.raises(KeyslotFileDamaged):
        decode_file(with_body(body))


def test_random_bodies_fuzz_quickly() -> None:
    for _ in range(200):
        with pytest.raises(KeyslotFileDamaged):
            decode_file(with_body(os.urandom(40)))


FIELD_NAMES = ["vault_id", "key_check", "slots", "id", "kind", "label", "created", "salt"]
FIELD_NAMES += ["nonce", "wrapped", "scheme", "public_key", "rp_id", "credential_id", "uv"]
FIELD_NAMES += ["serial", "opslimit", "memlimit", "fido2", "openpgp", "recovery", "fido2-eddsa"]
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64) + 1, 2**64 - 1)
    | st.binary(max_size=50)
    | st.sampled_from(FIELD_NAMES),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES), inner, max_size=8)
    ),
    max_leaves=25,
)


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=6), st.data())
def test_structured_nonsense_is_damaged(body: dict[str, object], data: st.DataObject) -> None:
    """Well-formed CBOR with plausible field names and wrong shapes: always a clear error."""
    real = body_of(SAMPLE_FILE)
    slot = dict(data.draw(st.sampled_from(real["slots"])))  # type: ignore[arg-type]
    for key in data.draw(st.lists(st.sampled_from(sorted(slot)), max_size=3)):
        slot[key] = data.draw(values)
    for candidate in (body, real | {"slots": [slot]}):
        try:
            decoded = decode_file(with_body(cbor.encode(candidate)))
        except KeyslotFileDamaged:
            continue
        assert encode_file(decoded) == with_body(cbor.encode(candidate))
