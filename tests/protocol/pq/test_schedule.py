"""Known answers for the outer layer's key schedule (tests/data/pq/key_schedule.json).

The ML-KEM key comes from a fixed FIPS 203 seed (``from_seed_bytes``) and the
encapsulation is fixed, so every derived byte is pinned: a change to the
transcript, the HKDF labels, the chain step or the AEAD breaks these tests.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from keybound.errors import DecryptionFailed
from keybound.protocol.devices import DeviceKeys
from keybound.protocol.pq import kem, schedule

KAT = json.loads((Path(__file__).parents[2] / "data" / "pq" / "key_schedule.json").read_text())


def _device(fields: list[str]) -> DeviceKeys:
    return DeviceKeys(*(bytes.fromhex(f) for f in fields))


def _b(name: str, source: dict[str, object] = KAT) -> bytes:
    value = source[name]
    assert isinstance(value, str)
    return bytes.fromhex(value)


def test_mlkem_from_a_fixed_seed_gives_the_known_key_and_secret() -> None:
    seed = _b("seed")
    public = kem.public_from_seed(seed)
    assert len(public) == kem.PUBLIC_KEY_SIZE
    assert hashlib.sha256(public).hexdigest() == KAT["public_key_sha256"]
    assert kem.decapsulate(seed, _b("ciphertext")) == _b("shared_secret")


def test_session_keys_are_the_known_answers() -> None:
    initiator, responder = _device(KAT["initiator"]), _device(KAT["responder"])
    public = kem.public_from_seed(_b("seed"))
    t = schedule.transcript(initiator, responder, KAT["key_id"], public, _b("ciphertext"))
    assert hashlib.sha256(t).hexdigest() == KAT["transcript_sha256"]
    assert schedule.session_id(t).hex() == KAT["session_id"]
    keys = schedule.initial_keys(_b("shared_secret"), t)
    assert (keys.root.hex(), keys.forward.hex(), keys.backward.hex()) == (
        KAT["root"],
        KAT["forward"],
        KAT["backward"],
    )
    mk0, ck1 = schedule.step(keys.forward)
    mk1, _ = schedule.step(ck1)
    assert [mk0.hex(), mk1.hex()] == KAT["message_keys_forward"]
    sealed = KAT["sealed"]
    assert (
        schedule.seal(mk0, _b("plaintext", sealed), _b("aad", sealed)).hex() == sealed["ciphertext"]
    )
    assert schedule.open_sealed(mk0, _b("ciphertext", sealed), _b("aad", sealed)) == _b(
        "plaintext", sealed
    )


@pytest.mark.parametrize("what", ["initiator", "responder", "key_id", "pq_key", "ciphertext"])
def test_the_transcript_binds_every_input(what: str) -> None:
    """Changing any device key, the prekey or the ciphertext changes the session's keys."""
    initiator, responder = _device(KAT["initiator"]), _device(KAT["responder"])
    public, ct, key_id = kem.public_from_seed(_b("seed")), _b("ciphertext"), KAT["key_id"]
    base = schedule.initial_keys(
        _b("shared_secret"), schedule.transcript(initiator, responder, key_id, public, ct)
    )
    other = DeviceKeys(initiator.identity_id, initiator.device_id, bytes(32), initiator.ed25519)
    changed = {
        "initiator": (other, responder, key_id, public, ct),
        "responder": (initiator, DeviceKeys(b"x", b"y", bytes(32), bytes(32)), key_id, public, ct),
        "key_id": (initiator, responder, "another", public, ct),
        "pq_key": (initiator, responder, key_id, public[:-1] + b"\x00", ct),
        "ciphertext": (initiator, responder, key_id, public, ct[:-1] + b"\x00"),
    }[what]
    assert schedule.initial_keys(_b("shared_secret"), schedule.transcript(*changed)) != base


def test_rekey_keys_are_the_known_answers() -> None:
    rekey = KAT["rekey"]
    offer = kem.public_from_seed(_b("offer_seed", rekey))
    assert kem.decapsulate(_b("offer_seed", rekey), _b("ciphertext", rekey)) == _b(
        "shared_secret", rekey
    )
    keys = schedule.rekey_keys(
        _b("root"), _b("shared_secret", rekey), _b("session_id"), 1, offer, _b("ciphertext", rekey)
    )
    assert (keys.root.hex(), keys.forward.hex(), keys.backward.hex()) == (
        rekey["root"],
        rekey["forward"],
        rekey["backward"],
    )


def test_a_wrong_key_or_changed_aad_does_not_open() -> None:
    sealed = KAT["sealed"]
    mk = bytes.fromhex(KAT["message_keys_forward"][0])
    ct = _b("ciphertext", sealed)
    with pytest.raises(DecryptionFailed):
        schedule.open_sealed(mk, ct, b"other header")
    with pytest.raises(DecryptionFailed):
        schedule.open_sealed(bytes.fromhex(KAT["message_keys_forward"][1]), ct, _b("aad", sealed))
