"""Emoji/decimal verification between two in-memory devices, and a man in the middle."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keybound.errors import (
    DeviceNotCertified,
    InternalError,
    MalformedData,
    NewerIdentityFormat,
    SasMismatch,
)
from keybound.identity.chain import verify_chain
from keybound.identity.sas import EMOJI, SasIdentity, SasVerification, sas_identity
from keybound.identity.testing import software_chain
from keybound.wire import cbor

from .helpers import NOW

ALICE = SasIdentity(b"A" * 32, b"alice-laptop", b"a" * 32, b"1" * 32)
BOB = SasIdentity(b"B" * 32, b"bob-phone", b"b" * 32, b"2" * 32)


def exchange(
    alice: SasIdentity = ALICE, bob: SasIdentity = BOB, expected_bob: SasIdentity | None = None
) -> tuple[SasVerification, SasVerification, list[bytes]]:
    a, start = SasVerification.start(alice, expected_peer=expected_bob)
    b, accept = SasVerification.accept(bob, start, expected_peer=alice)
    key_a = a.receive(accept)
    assert key_a is not None
    key_b = b.receive(key_a)
    assert key_b is not None
    assert a.receive(key_b) is None
    return a, b, [start, accept, key_a, key_b]


def test_both_sides_see_the_same_codes_and_verify_each_other() -> None:
    a, b, _ = exchange(expected_bob=BOB)
    assert a.codes is not None and b.codes is not None
    assert a.codes == b.codes
    assert len(a.codes.emoji) == 7 and all(e in EMOJI for e in a.codes.emoji)
    assert all(1000 <= n <= 9191 for n in a.codes.decimals)
    mac_a, mac_b = a.confirm(), b.confirm()
    assert a.peer is None  # not before the other side's MAC
    assert a.receive(mac_b) is None
    assert b.receive(mac_a) is None
    assert a.peer == BOB and b.peer == ALICE


def test_unknown_fields_in_messages_are_ignored() -> None:
    def grow(message: bytes) -> bytes:
        return cbor.encode({**cbor.decode_map(message), "future": "x"})

    a, start = SasVerification.start(ALICE)
    b, accept = SasVerification.accept(BOB, start)
    key_a = a.receive(grow(accept))
    assert key_a is not None
    key_b = b.receive(grow(key_a))
    assert key_b is not None
    a.receive(grow(key_b))
    a.receive(grow(b.confirm()))
    b.receive(grow(a.confirm()))
    assert (a.peer, b.peer) == (BOB, ALICE)
    # but the start message is committed to: changing it in transit is caught
    a, start = SasVerification.start(ALICE)
    b, accept = SasVerification.accept(BOB, grow(start))
    key_b = b.receive(a.receive(accept) or b"")
    with pytest.raises(SasMismatch, match="committed"):
        a.receive(key_b or b"")


def test_peer_is_trusted_only_after_our_own_confirmation() -> None:
    a, b, _ = exchange()
    assert a.receive(b.confirm()) is None
    assert a.peer is None
    a.confirm()
    assert a.peer == BOB


def test_codes_differ_between_runs() -> None:
    first, _, _ = exchange()
    second, _, _ = exchange()
    assert first.codes != second.codes


def test_man_in_the_middle_swapping_keys_is_caught() -> None:
    a, start = SasVerification.start(ALICE)
    mallory_b, accept = SasVerification.accept(BOB, start)  # Mallory pretends to be Bob
    b, _ = SasVerification.accept(BOB, start)
    key_a = a.receive(accept)
    assert key_a is not None
    mallory_b.receive(key_a)
    key_b = b.receive(key_a)
    assert key_b is not None
    with pytest.raises(SasMismatch, match="committed"):
        a.receive(key_b)  # Bob's real key, not the one Mallory committed to


def test_tampered_keys_in_the_mac_message_are_refused() -> None:
    a, b, _ = exchange()
    mac_b = cbor.decode_map(b.confirm())
    a.confirm()
    forged = cbor.encode({**mac_b, "ed25519": b"9" * 32})
    with pytest.raises(SasMismatch, match="did not verify"):
        a.receive(forged)
    assert a.peer is None


def test_keys_other_than_the_certified_ones_are_refused() -> None:
    other_bob = replace(BOB, ed25519=b"3" * 32)
    a, b, _ = exchange(expected_bob=other_bob)
    a.confirm()
    with pytest.raises(SasMismatch, match="certifies"):
        a.receive(b.confirm())


def test_different_shared_secrets_make_macs_fail() -> None:
    a, _, _ = exchange()
    _, b2, _ = exchange()
    a.confirm()
    with pytest.raises(MalformedData, match="another verification"):
        a.receive(b2.confirm())


def test_protocol_errors() -> None:
    a, start = SasVerification.start(ALICE)
    with pytest.raises(InternalError):
        a.confirm()
    with pytest.raises(MalformedData, match="out of order"):
        a.receive(cbor.encode({"v": 1, "t": "key", "txn": a.txn, "key": b"k" * 32}))
    with pytest.raises(MalformedData, match="expected a verification message 'start'"):
        SasVerification.accept(BOB, cbor.encode({"v": 1, "t": "key", "txn": b"t" * 16}))
    with pytest.raises(NewerIdentityFormat):
        a.receive(cbor.encode({"v": 2, "t": "accept", "txn": a.txn}))
    b, _ = SasVerification.accept(BOB, start)
    with pytest.raises(SasMismatch, match="cancelled"):
        a.receive(b.cancel())


def test_sas_identity_from_a_verified_chain() -> None:
    v = verify_chain(software_chain(6), None, NOW)
    me = sas_identity(v, b"device-5")
    assert (me.identity_id, me.device_id) == (v.identity_id, b"device-5")
    with pytest.raises(DeviceNotCertified):
        sas_identity(v, b"device-0")


@settings(max_examples=100)
@given(st.binary(max_size=120), st.integers(0, 2))
def test_garbage_messages_are_refused_cleanly(data: bytes, stage: int) -> None:
    a, b, messages = exchange()
    target = a if stage != 1 else b
    if stage == 2:
        a.confirm()
    for candidate in (data, cbor.encode({"v": 1, "t": "mac", "txn": a.txn, "x": data})):
        with pytest.raises((MalformedData, NewerIdentityFormat, SasMismatch)):
            target.receive(candidate)
    with pytest.raises((MalformedData, NewerIdentityFormat)):
        SasVerification.accept(BOB, data)
    assert messages


def test_a_cancel_says_why_and_the_header_routes_every_message() -> None:
    from keybound.identity.sas import (
        CANCEL_MISMATCH,
        CANCEL_TIMEOUT,
        CANCEL_USER,
        SasIdentity,
        SasVerification,
        header,
    )

    me = SasIdentity(b"\x01" * 32, b"dev-a", b"\x02" * 32, b"\x03" * 32)
    sas, start = SasVerification.start(me)
    head = header(start)
    assert (head.kind, head.txn, head.identity_id, head.device_id) == (
        "start", sas.txn, me.identity_id, me.device_id,
    )  # fmt: skip
    for code in (CANCEL_MISMATCH, CANCEL_TIMEOUT, CANCEL_USER):
        cancelled = header(sas.cancel(code))
        assert (cancelled.kind, cancelled.code, cancelled.identity_id) == ("cancel", code, None)
    from keybound.wire import cbor

    odd = cbor.encode({"v": 1, "t": "cancel", "txn": sas.txn, "code": "bored"})
    assert header(odd).code == CANCEL_USER  # an unknown reason is a plain cancel
