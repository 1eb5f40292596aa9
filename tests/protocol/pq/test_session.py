"""The outer ratchet on its own: round trips with loss, reordering, duplicates and replays,
tampering, the skipped-key window, in-band rekeying under reordering, and storage."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from keybound.errors import DecryptionFailed, MalformedData
from keybound.protocol.devices import DeviceKeys
from keybound.protocol.pq import kem
from keybound.protocol.pq.header import PqHeader
from keybound.protocol.pq.prekeys import SignedPqKey
from keybound.protocol.pq.session import MAX_SKIP, REKEY_MESSAGES, REKEY_MS, OuterSession

A = DeviceKeys(b"alice", b"a1", b"\x01" * 32, b"\x02" * 32)
B = DeviceKeys(b"bob", b"b1", b"\x03" * 32, b"\x04" * 32)
T0 = 1_750_000_000_000


@dataclass(frozen=True)
class Wire:
    header: bytes
    body: bytes

    @property
    def parsed(self) -> PqHeader:
        return PqHeader.decode(self.header)


def aad(header: bytes) -> bytes:
    return b"envelope:" + header


def send(s: OuterSession, text: str, now: int = T0) -> Wire:
    header, body = s.encrypt(text.encode(), now, aad)
    return Wire(header, body)


def receive(s: OuterSession, w: Wire) -> str:
    """Decrypt on a copy and keep it only on success, as the protocol machine does."""
    trial = s.copy()
    plaintext = trial.decrypt(w.parsed, aad(w.header), w.body)
    _adopt(s, trial)
    return plaintext.decode()


def _adopt(s: OuterSession, other: OuterSession) -> None:
    s.__dict__.update(other.__dict__)


def pair() -> tuple[OuterSession, OuterSession, Wire]:
    """Alice opens a session to Bob's PQ prekey; Bob opens his side from her first message."""
    seed, public = kem.generate()
    alice = OuterSession.initiate(A, B, SignedPqKey("k1", public, False, bytes(64)))
    first = send(alice, "hello")
    bob = OuterSession.respond(B, A, first.parsed, seed, public)
    return alice, bob, first


def test_round_trip_both_ways_and_the_setup_stops_once_answered() -> None:
    alice, bob, first = pair()
    assert first.parsed.setup is not None
    assert receive(bob, first) == "hello"
    second = send(alice, "again")
    assert second.parsed.setup is not None  # no answer yet: still carries the setup
    assert receive(bob, second) == "again"
    assert receive(alice, send(bob, "hi")) == "hi"
    assert send(alice, "later").parsed.setup is None


def test_a_session_for_another_device_or_a_changed_setup_does_not_open() -> None:
    seed, public = kem.generate()
    alice = OuterSession.initiate(A, B, SignedPqKey("k1", public, False, bytes(64)))
    first = send(alice, "hello")
    carol = DeviceKeys(b"carol", b"c1", b"\x05" * 32, b"\x06" * 32)
    with pytest.raises(DecryptionFailed):  # Bob believing it came from someone else
        OuterSession.respond(B, carol, first.parsed, seed, public)
    other_seed, other_public = kem.generate()
    with pytest.raises(DecryptionFailed):  # another prekey's private key
        OuterSession.respond(B, A, first.parsed, other_seed, other_public)


@pytest.mark.parametrize("seed", range(3))
def test_loss_reordering_and_duplicates(seed: int) -> None:
    rng = random.Random(seed)
    alice, bob, first = pair()
    assert receive(bob, first) == "hello"
    sent = [(f"m{i}", send(alice, f"m{i}")) for i in range(120)]
    kept = [x for x in sent if rng.random() > 0.2]
    delivered = kept + rng.sample(kept, 10)  # duplicates
    rng.shuffle(delivered)
    got, refused = [], 0
    for _, w in delivered:
        try:
            got.append(receive(bob, w))
        except DecryptionFailed:
            refused += 1
    assert sorted(got) == sorted(t for t, _ in kept)  # each read exactly once
    assert refused == 10  # the duplicates' keys were used: refused, not read twice


def test_a_replay_is_refused_and_changes_nothing() -> None:
    alice, bob, first = pair()
    receive(bob, first)
    w = send(alice, "once")
    assert receive(bob, w) == "once"
    before = bob.to_bytes()
    with pytest.raises(DecryptionFailed):
        receive(bob, w)
    assert bob.to_bytes() == before


def test_every_header_and_ciphertext_byte_is_authenticated() -> None:
    alice, bob, first = pair()
    receive(bob, first)
    w = send(alice, "genuine")
    before = bob.to_bytes()
    for i in range(len(w.header)):
        bad = bytearray(w.header)
        bad[i] ^= 0x01
        with pytest.raises((DecryptionFailed, MalformedData)):
            receive(bob, Wire(bytes(bad), w.body))
    for i in range(len(w.body)):
        bad = bytearray(w.body)
        bad[i] ^= 0x80
        with pytest.raises(DecryptionFailed):
            receive(bob, Wire(w.header, bytes(bad)))
    assert bob.to_bytes() == before
    assert receive(bob, w) == "genuine"


def test_the_skipped_key_window_is_bounded() -> None:
    alice, bob, first = pair()
    receive(bob, first)
    sent = [send(alice, f"m{i}") for i in range(MAX_SKIP + 3)]
    with pytest.raises(DecryptionFailed):  # more than MAX_SKIP ahead of the chain
        receive(bob, sent[MAX_SKIP + 2])
    assert receive(bob, sent[MAX_SKIP]) == f"m{MAX_SKIP}"  # exactly MAX_SKIP skipped: fine
    assert len(bob.skipped) == MAX_SKIP
    assert receive(bob, sent[5]) == "m5"  # an old one out of the window
    assert len(bob.skipped) == MAX_SKIP - 1


def test_rekey_after_n_messages_heals_and_moves_both_sides_to_a_new_epoch() -> None:
    alice, bob, first = pair()
    receive(bob, first)
    receive(alice, send(bob, "ok"))
    for i in range(REKEY_MESSAGES - 1):
        receive(bob, send(alice, f"m{i}"))
    offer = send(alice, "offer")
    assert offer.parsed.offer is not None and len(offer.parsed.offer) == kem.PUBLIC_KEY_SIZE
    old_root = bob.root
    receive(bob, offer)
    assert bob.epoch == 1 and bob.root != old_root  # Bob answered: his new epoch began
    answer = send(bob, "answer")
    assert answer.parsed.answer is not None and answer.parsed.epoch == 1
    receive(alice, answer)
    assert alice.epoch == 1 and alice.offer is None and alice.root == bob.root
    after = send(alice, "new epoch")
    assert after.parsed.epoch == 1 and after.parsed.offer is None
    receive(bob, after)
    assert send(bob, "done").parsed.answer is None  # Alice reached epoch 1: no more answer


def test_rekey_after_t_hours_even_without_traffic() -> None:
    alice, bob, first = pair()
    receive(bob, first)
    assert send(alice, "soon", T0 + REKEY_MS - 1).parsed.offer is None
    assert send(alice, "a day later", T0 + REKEY_MS).parsed.offer is not None


@pytest.mark.parametrize("seed", range(3))
def test_rekey_under_reordering_and_loss(seed: int) -> None:
    """Both sides talk in bursts delivered shuffled and lossy, some held back across a rekey;
    epochs advance and every message that arrives is read."""
    rng = random.Random(seed)
    late: set[str] = set()
    alice, bob, first = pair()
    receive(bob, first)
    to_bob: list[tuple[str, Wire]] = []
    to_alice: list[tuple[str, Wire]] = []
    read: dict[str, list[str]] = {"alice": [], "bob": []}
    expected: dict[str, set[str]] = {"alice": set(), "bob": set()}
    for burst in range(12):
        for i in range(rng.randint(10, 40)):
            text = f"a{burst}.{i}"
            to_bob.append((text, send(alice, text)))
        for i in range(rng.randint(0, 30)):
            text = f"b{burst}.{i}"
            to_alice.append((text, send(bob, text)))
        for queue, who, s in ((to_bob, "bob", bob), (to_alice, "alice", alice)):
            held = [x for x in queue if x[0] in late]
            fresh = [x for x in queue if x[0] not in late]
            hold = rng.sample(fresh, len(fresh) // 3) if rng.random() < 0.5 else []
            now = held + [x for x in fresh if x not in hold]
            rng.shuffle(now)
            for text, w in now:
                if rng.random() < 0.1:
                    continue  # lost
                read[who].append(receive(s, w))
                expected[who].add(text)
            late.update(text for text, _ in hold)
            queue[:] = hold  # delivered next round, shuffled among newer ones
    assert alice.epoch >= 2 and bob.epoch >= 2
    assert alice.root == bob.root or abs(alice.epoch - bob.epoch) == 1
    for who in ("alice", "bob"):
        assert sorted(read[who]) == sorted(expected[who])


def test_state_survives_storage_in_the_middle_of_a_rekey() -> None:
    alice, bob, first = pair()
    receive(bob, first)
    for i in range(REKEY_MESSAGES):
        receive(bob, send(alice, f"m{i}"))
    pending = send(alice, "with offer")
    assert alice.offer is not None
    late = send(alice, "skipped for now")
    alice = OuterSession.from_bytes(alice.to_bytes())
    receive(bob, pending)
    bob = OuterSession.from_bytes(bob.to_bytes())
    receive(alice, send(bob, "answer"))
    assert alice.epoch == bob.epoch == 1
    assert receive(bob, late) == "skipped for now"  # the previous epoch's chain was kept
    assert receive(bob, send(alice, "after")) == "after"
    assert alice.to_bytes() == OuterSession.from_bytes(alice.to_bytes()).to_bytes()
