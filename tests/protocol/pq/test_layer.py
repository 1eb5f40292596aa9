"""The hybrid layer inside the protocol machine: every new session is hybrid, no downgrade,
tampering and restarts (devices of tests/protocol/net.py publish PQ prekeys by default)."""

from __future__ import annotations

import dataclasses

import pytest

from keybound.errors import (
    BadKeyBundle,
    DecryptionFailed,
    DowngradeRefused,
    MalformedData,
    MissingPqPrekey,
    PostQuantumUnavailable,
    ProtocolError,
)
from keybound.protocol.content import Text
from keybound.protocol.devices import DeviceKeys
from keybound.protocol.envelope import Envelope, Scheme
from keybound.protocol.machine import Machine, Received
from keybound.protocol.pq import kem
from keybound.protocol.pq.header import PqHeader
from keybound.protocol.pq.layer import KIND_PQ_SESSION
from keybound.protocol.pq.prekeys import KIND_PQ_PREKEY, ONE_TIME_TARGET, verify_pq_key
from keybound.protocol.pq.session import REKEY_MESSAGES
from keybound.protocol.state import StateChange
from tests.protocol.net import PICKLE_KEY, Network, Node

ALICE, BOB = b"alice-identity", b"bob-identity"
CONV = b"conversation-ab"


def pair(**kw: object) -> tuple[Network, Node, Node]:
    net = Network(**kw)  # type: ignore[arg-type]
    return net, net.add_device(ALICE, b"a1"), net.add_device(BOB, b"b1")


def to(node: Node, out_deliveries: object) -> bytes:
    return next(d.data for d in out_deliveries if d.device_id == node.device)  # type: ignore[attr-defined]


def test_every_session_is_hybrid_direct_and_group() -> None:
    net, a1, b1 = pair()
    out = net.send(a1, CONV, [BOB], Text("direct"))
    net.send_group(a1, b"group-1", [BOB], Text("group"))
    net.flush()
    net.send(b1, CONV, [ALICE], Text("reply"))
    net.flush()
    olm = [Envelope.decode(data) for _, _, data in net.sent]
    olm = [e for e in olm if e.scheme is not Scheme.MEGOLM]
    assert olm and all(e.scheme is Scheme.OLM_PQ for e in olm)  # room keys too
    received = [e for n in (a1, b1) for e in n.events if isinstance(e, Received)]
    assert {e.content for e in received} == {Text("direct"), Text("group"), Text("reply")}
    assert all(e.pq for e in received if e.scheme is Scheme.OLM)
    # the Olm message (and whether it opens a session) is not in the envelope's clear part
    env = Envelope.decode(to(b1, out.deliveries))
    assert env.olm_type == 0 and len(PqHeader.decode(env.pq_header).setup.ciphertext) == 1088  # type: ignore[union-attr]


def test_the_relay_withholding_pq_prekeys_gets_no_session() -> None:
    net, a1, _ = pair()
    bob = a1.machine.devices_needing_session([BOB])[0]
    assert bob.pq
    with pytest.raises(MissingPqPrekey):
        a1.machine.start_session(bob, net.claim(bob), None)
    assert a1.machine.devices_needing_session([BOB]) == [bob]  # nothing half-opened
    forged = dataclasses.replace(net.claim_pq(bob), key=kem.generate()[1])  # type: ignore[type-var]
    with pytest.raises(BadKeyBundle):
        a1.machine.start_session(bob, net.claim(bob), forged)
    assert a1.machine.devices_needing_session([BOB]) == [bob]


def test_a_stripped_pq_layer_is_refused_and_the_original_still_reads() -> None:
    net, a1, b1 = pair()
    data = to(b1, net.send(a1, CONV, [BOB], Text("genuine")).deliveries)
    env = Envelope.decode(data)
    stripped = dataclasses.replace(env, scheme=Scheme.OLM, olm_type=0, pq_header=b"").encode()
    before = dict(b1.store)
    with pytest.raises(DowngradeRefused):
        b1.receive(stripped)
    assert b1.store == before
    (event,) = b1.receive(data).events
    assert isinstance(event, Received) and event.content == Text("genuine") and event.pq


def test_plain_olm_from_a_device_whose_certificate_states_pq_is_refused() -> None:
    """Alice's device was tricked into plain Olm (it saw Bob as a device from before the
    layer); Bob's copy of Alice's certificate states the layer, so he refuses it."""
    net, a1, b1 = pair()

    def alice_view(identity: bytes) -> list[DeviceKeys]:
        return [
            dataclasses.replace(d, pq=False) if identity == BOB else d for d in net.lookup(identity)
        ]

    a1.machine = Machine.load(ALICE, b"a1", a1.records(), alice_view, PICKLE_KEY)
    net.pq_published.clear()  # and the relay handed out no PQ prekey
    data = to(b1, net.send(a1, CONV, [BOB], Text("classical")).deliveries)
    assert Envelope.decode(data).scheme is Scheme.OLM
    before = dict(b1.store)
    with pytest.raises(DowngradeRefused):
        b1.receive(data)
    assert b1.store == before


def test_devices_from_before_the_layer_still_talk_plain_olm() -> None:
    net = Network()
    old = net.add_device(ALICE, b"a1", pq=False)
    new = net.add_device(BOB, b"b1")
    net.send(new, CONV, [ALICE], Text("to an old device"))  # it has no PQ prekeys to claim
    net.flush()
    net.send(old, CONV, [BOB], Text("from an old device"))
    net.flush()
    assert old.texts == ["to an old device"] and new.texts == ["from an old device"]
    schemes = {dev: Envelope.decode(d).scheme for _, dev, d in net.sent}
    # to the old device: plain Olm (it has no PQ prekeys yet); from it to a device whose
    # certificate states the layer: hybrid, since this version of it can
    assert schemes == {b"a1": Scheme.OLM, b"b1": Scheme.OLM_PQ}


@pytest.mark.parametrize("first", [True, False])
def test_every_byte_of_a_hybrid_envelope_is_checked(first: bool) -> None:
    net, a1, b1 = pair()
    if not first:
        net.send(a1, CONV, [BOB], Text("opening"))
        net.flush()
    data = to(b1, net.send(a1, CONV, [BOB], Text("genuine")).deliveries)
    before = dict(b1.store)
    step = 7 if first else 1  # the first message carries the 1,088-byte KEM ciphertext
    for i in range(0, len(data), step):
        bad = bytearray(data)
        bad[i] ^= 0x04
        try:
            result = b1.receive(bytes(bad))
        except (ProtocolError, MalformedData):
            assert b1.store == before
            continue
        # only a change the layer cannot see may pass: none may deliver other content
        assert not any(isinstance(e, Received) for e in result.events), i
    assert b1.store == before
    (event,) = b1.receive(data).events
    assert isinstance(event, Received) and event.content == Text("genuine")


def test_state_is_stored_with_the_olm_state_and_survives_a_restart_mid_rekey() -> None:
    net, a1, b1 = pair()
    net.send(a1, CONV, [BOB], Text("hello"))
    net.flush()
    out = net.send(b1, CONV, [ALICE], Text("hi"))
    kinds = {c.kind for c in out.changes}
    assert {"olm.session", KIND_PQ_SESSION} <= kinds  # one change list: one transaction
    net.flush()
    for i in range(REKEY_MESSAGES + 1):  # Alice's next messages carry a rekey offer
        net.send(a1, CONV, [BOB], Text(f"m{i}"))
    offer = PqHeader.decode(Envelope.decode(net.sent[-1][2]).pq_header)
    assert offer.offer is not None
    for node in (a1, b1):
        node.machine = Machine.load(
            node.identity, node.device, node.records(), net.lookup, PICKLE_KEY
        )
    net.flush()
    net.send(b1, CONV, [ALICE], Text("answered"))
    net.flush()
    net.send(a1, CONV, [BOB], Text("new epoch"))
    net.flush()
    assert PqHeader.decode(Envelope.decode(net.sent[-1][2]).pq_header).epoch == 1
    assert b1.texts[-1] == "new epoch" and a1.texts == ["hi", "answered"]
    assert a1.errors == b1.errors == []


def test_pq_prekeys_are_signed_used_once_and_replenished() -> None:
    net, a1, b1 = pair()
    keys = net.pq_published[(BOB, b"b1")]
    assert len([k for k in keys if not k.last_resort]) == ONE_TIME_TARGET
    assert len([k for k in keys if k.last_resort]) == 1
    bob = b1.machine.device_keys
    for k in keys:
        verify_pq_key(k, bob)
    for forged in (
        dataclasses.replace(keys[0], last_resort=not keys[0].last_resort),
        dataclasses.replace(keys[0], key_id="other"),
        dataclasses.replace(keys[0], key=keys[1].key),
    ):
        with pytest.raises(BadKeyBundle):
            verify_pq_key(forged, bob)
    stored = {k for (kind, k) in b1.store if kind == KIND_PQ_PREKEY}
    net.send(a1, CONV, [BOB], Text("hello"))
    net.flush()
    left = {k for (kind, k) in b1.store if kind == KIND_PQ_PREKEY}
    assert len(stored - left) == 1  # the one-time key the session used is deleted
    upload, changes = b1.machine.prepare_pq_key_upload(ONE_TIME_TARGET - 1, need_last_resort=False)
    assert len(upload) == 1 and not upload[0].last_resort
    # the private halves are stored sealed: no seed in clear
    seeds = [v for (kind, _), v in b1.store.items() if kind == KIND_PQ_PREKEY]
    assert all(len(v) > kem.SEED_SIZE for v in seeds)
    assert changes and all(c.value is not None for c in changes)


def test_the_last_resort_prekey_stands_in_once_the_one_time_keys_are_gone() -> None:
    net, a1, b1 = pair()
    net.pq_published[(BOB, b"b1")] = [k for k in net.pq_published[(BOB, b"b1")] if k.last_resort]
    net.send(a1, CONV, [BOB], Text("via last resort"))
    net.flush()
    assert b1.texts == ["via last resort"]
    a2 = net.add_device(ALICE, b"a2")
    net.send(a2, CONV, [BOB], Text("again"))
    net.flush()
    assert b1.texts == ["via last resort", "again"]


def test_a_damaged_pq_record_is_a_clear_error() -> None:
    net, a1, _ = pair()
    net.send(a1, CONV, [BOB], Text("hello"))
    records = [
        StateChange(r.kind, r.key, b"\x00" * 40 if r.kind == KIND_PQ_SESSION else r.value)
        for r in a1.records()
    ]
    with pytest.raises(ProtocolError, match=r"pq\.session"):
        Machine.load(ALICE, b"a1", records, net.lookup, PICKLE_KEY)


def test_without_mlkem_the_machine_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.hazmat.backends.openssl.backend import backend

    monkeypatch.setattr(type(backend), "mlkem_supported", lambda self: False)
    assert not kem.mlkem_supported()
    with pytest.raises(PostQuantumUnavailable, match="ML-KEM-768"):
        Machine.create(ALICE, b"a1", lambda _: [], PICKLE_KEY)
    with pytest.raises(DecryptionFailed):
        kem.decapsulate(bytes(64), b"short")
