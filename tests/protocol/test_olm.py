"""Olm accounts: signed one-time keys, replenishing, several sessions per device pair."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from keybound.errors import BadKeyBundle, DecryptionFailed
from keybound.protocol.content import Text
from keybound.protocol.devices import KeyUpload, SignedKey, verify_signed_key
from keybound.protocol.machine import Config, Machine, Received
from tests.protocol.net import PICKLE_KEY, Network

A, B, C = b"alice", b"bob", b"carol"


def test_published_keys_verify_and_substitutions_do_not() -> None:
    net = Network()
    a, c = net.add_device(A, b"a1"), net.add_device(C, b"c1")
    key = net.published[(A, b"a1")][0]
    device = a.machine.device_keys
    verify_signed_key(key, device)
    relay_key = net.published[(C, b"c1")][0]
    forgeries = [
        dataclasses.replace(key, key=relay_key.key),  # the relay swaps in its own key
        dataclasses.replace(key, fallback=True),
        dataclasses.replace(key, key_id="other"),
        dataclasses.replace(key, signature=bytes(64)),
        relay_key,  # a real key, signed by another device
    ]
    for forged in forgeries:
        with pytest.raises(BadKeyBundle):
            verify_signed_key(forged, device)
    with pytest.raises(BadKeyBundle):
        verify_signed_key(key, dataclasses.replace(device, ed25519=b"\x00" * 32))
    with pytest.raises(BadKeyBundle):
        c.machine.start_session(device, relay_key)
    assert c.machine.devices_needing_session([A]) == [dataclasses.replace(device, pq=True)]


def test_replenishing_tops_up_to_the_target() -> None:
    machine, _ = Machine.create(A, b"a1", lambda i: [], PICKLE_KEY)
    upload, changes = machine.prepare_key_upload(0, need_fallback=True)
    assert upload is not None and changes
    assert sum(not k.fallback for k in upload.keys) == 50
    assert sum(k.fallback for k in upload.keys) == 1
    assert KeyUpload.decode(upload.encode()) == upload
    # Not marked published (the upload failed): the same keys are offered again.
    again, changes = machine.prepare_key_upload(0, need_fallback=True)
    assert again == upload and changes == []
    machine.mark_keys_published()
    assert machine.prepare_key_upload(50, need_fallback=False) == (None, [])
    top_up, _ = machine.prepare_key_upload(42, need_fallback=False)
    assert top_up is not None and len(top_up.keys) == 8 and not any(k.fallback for k in top_up.keys)
    assert not {k.key for k in top_up.keys} & {k.key for k in upload.keys}


def test_the_fallback_key_serves_when_one_time_keys_run_out() -> None:
    net = Network()
    a = net.add_device(A, b"a1")
    assert a.machine.prepare_key_upload(50, need_fallback=False)[0] is None
    # The relay handed out its fallback key: publish a new one.
    fresh, _ = a.machine.prepare_key_upload(50, need_fallback=True)
    assert fresh is not None and [k.fallback for k in fresh.keys] == [True]
    a.apply(a.machine.mark_keys_published())
    net.published[(A, b"a1")] = [fresh.keys[0], fresh.keys[0]]  # every claim gets the fallback
    b, c = net.add_device(B, b"b1"), net.add_device(C, b"c1")
    net.send(b, b"bc", [A], Text("from b"))
    net.send(c, b"cc", [A], Text("from c"))
    net.flush()
    assert a.texts == ["from b", "from c"]


def test_crossing_pre_key_messages_give_two_working_sessions() -> None:
    net = Network()
    a, b = net.add_device(A, b"a1"), net.add_device(B, b"b1")
    net.connect(a, [B])
    net.connect(b, [A])  # both claimed a key of the other: two sessions
    net.send(a, b"ab", [B], Text("a first"))
    net.send(b, b"ab", [A], Text("b first"))
    net.flush()
    for i in range(3):
        net.send(a, b"ab", [B], Text(f"a{i}"))
        net.send(b, b"ab", [A], Text(f"b{i}"))
        net.flush()
    assert a.texts == ["b first", "b0", "b1", "b2"]
    assert b.texts == ["a first", "a0", "a1", "a2"]
    assert sum(k[0] == "olm.session" for k in a.store) == 2


def test_sessions_per_device_are_bounded_newest_used_first() -> None:
    net = Network(config=Config(max_sessions_per_device=2))
    a, b = net.add_device(A, b"a1"), net.add_device(B, b"b1")
    device = b.machine.device_keys
    for _ in range(3):
        a.apply(a.machine.start_session(device, net.claim(device)))
    assert sum(k[0] == "olm.session" for k in a.store) == 2
    net.send(a, b"ab", [B], Text("on the newest"))
    net.flush()
    assert b.texts == ["on the newest"]


def test_a_pre_key_message_never_opens_a_second_session() -> None:
    net = Network()
    a, b = net.add_device(A, b"a1"), net.add_device(B, b"b1")
    out = net.send(a, b"ab", [B], Text("hello"))
    data = out.deliveries[0].data
    b.receive(data)
    b.store = {k: v for k, v in b.store.items() if k[0] != "seen"}
    b.machine = Machine.load(B, b"b1", b.records(), net.lookup, PICKLE_KEY)
    with pytest.raises(DecryptionFailed):
        b.receive(data)
    assert sum(k[0] == "olm.session" for k in b.store) == 1
    assert next(e for e in b.events if isinstance(e, Received)).content == Text("hello")


def test_signed_key_codec() -> None:
    key = SignedKey("AAAAAAAAAAE", b"k" * 32, False, b"s" * 64)
    assert SignedKey.decode(key.encode()) == key


def test_device_signatures_are_plain_ed25519_over_the_message() -> None:
    machine, _ = Machine.create(A, b"a1", lambda i: [], PICKLE_KEY)
    signature = machine.sign(b"device certificate bytes")
    public = Ed25519PublicKey.from_public_bytes(machine.device_keys.ed25519)
    public.verify(signature, b"device certificate bytes")  # raises if not
    assert len(signature) == 64 and len(machine.device_keys.curve25519) == 32
