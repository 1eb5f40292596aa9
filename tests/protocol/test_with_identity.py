"""Protocol and identity together: senders are checked against real verified chains.

The Network's directory is replaced by verified identity chains signed by
software tokens (byte-compatible with the OpenPGP card's signatures), so a
device counts as certified only when a token of the identity signed it in.
"""

from __future__ import annotations

import pytest

from keybound.errors import SenderNotCertified, UnknownSigner
from keybound.identity.chain import VerifiedIdentity, extend, verify_chain
from keybound.identity.document import DeviceCertificate, SignedDocument, build_genesis, build_next
from keybound.identity.document import certify_device as certify
from keybound.identity.testing import SoftwareToken
from keybound.protocol.content import Text
from keybound.protocol.devices import DeviceKeys, certified_devices
from keybound.protocol.machine import Machine
from tests.protocol.net import PICKLE_KEY, Network, Node

NOW = 1_750_000_000


class ChainedNetwork(Network):
    """A Network whose directory is each identity's verified chain."""

    def __init__(self) -> None:
        super().__init__(seed=1)
        self.chains: dict[bytes, list[SignedDocument]] = {}
        self.verified: dict[bytes, VerifiedIdentity] = {}

    def lookup(self, identity: bytes) -> list[DeviceKeys]:
        verified = self.verified.get(identity)
        return list(certified_devices(verified)) if verified else []

    def new_person(self, token: SoftwareToken, device_id: bytes) -> Node:
        """Device keys first, then the genesis that certifies them, then the identity ID."""
        machine, changes = Machine.create(b"", device_id, self.lookup, PICKLE_KEY)
        cert = self.certificate(token, machine, device_id)
        genesis = token.sign_document(build_genesis([token.entry], [cert], NOW))
        verified = verify_chain([genesis], None, NOW)
        identity = verified.identity_id
        self.chains[identity], self.verified[identity] = [genesis], verified
        return self.adopt(identity, device_id, changes)

    def adopt(self, identity: bytes, device_id: bytes, changes: list) -> Node:  # type: ignore[type-arg]
        machine = Machine.load(identity, device_id, changes, self.lookup, PICKLE_KEY)
        node = Node(identity, device_id, machine)
        node.apply(changes)
        self.publish(node, remaining=0)
        self.nodes[(identity, device_id)] = node
        return node

    def certificate(
        self, token: SoftwareToken, machine: Machine, device_id: bytes
    ) -> DeviceCertificate:
        keys = machine.device_keys
        unsigned = DeviceCertificate(device_id, keys.curve25519, keys.ed25519, "wss://r/", NOW)
        return certify(token.entry.token_id, unsigned, machine.sign)

    def publish_document(
        self, identity: bytes, signer: SoftwareToken, *cosigners: SoftwareToken, **change: object
    ) -> None:
        doc = signer.sign_document(build_next(self.chains[identity][-1], NOW, **change))  # type: ignore[arg-type]
        for cosigner in cosigners:
            doc = cosigner.cosign(doc)
        self.verified[identity] = extend(self.verified[identity], [doc], NOW)
        self.chains[identity].append(doc)


def test_a_device_joins_through_the_chain_and_receives_from_then_on() -> None:
    net = ChainedNetwork()
    alice_token, bob_token = SoftwareToken(), SoftwareToken()
    alice = net.new_person(alice_token, b"alice-desktop")
    bob = net.new_person(bob_token, b"bob-phone")
    net.send(alice, b"c", [bob.identity], Text("before the laptop"))
    net.flush()
    assert bob.texts == ["before the laptop"]

    machine, changes = Machine.create(alice.identity, b"alice-laptop", net.lookup, PICKLE_KEY)
    laptop_cert = net.certificate(alice_token, machine, b"alice-laptop")
    devices = [*net.chains[alice.identity][-1].body.devices, laptop_cert]
    net.publish_document(alice.identity, alice_token, devices=devices)
    laptop = net.adopt(alice.identity, b"alice-laptop", changes)

    net.send(bob, b"c", [alice.identity], Text("hello both"))
    net.flush()
    assert alice.texts == ["hello both"]
    assert laptop.texts == ["hello both"]
    net.send(laptop, b"c", [bob.identity], Text("from the laptop"))
    net.flush()
    assert bob.texts == ["before the laptop", "from the laptop"]
    assert alice.texts == ["hello both", "from the laptop"]  # own other devices too
    assert not (alice.errors or bob.errors or laptop.errors)


def test_a_removed_device_is_no_longer_a_sender_nor_a_recipient() -> None:
    net = ChainedNetwork()
    alice_token, bob_token = SoftwareToken(), SoftwareToken()
    alice = net.new_person(alice_token, b"alice-desktop")
    bob = net.new_person(bob_token, b"bob-phone")
    net.send(alice, b"c", [bob.identity], Text("hi"))
    net.flush()

    net.publish_document(alice.identity, alice_token, devices=[])  # lost the desktop
    out = net.send(bob, b"c", [alice.identity], Text("not for the thief"))
    assert all(d.identity_id != alice.identity for d in out.deliveries)

    stolen = alice.machine.encrypt_direct(b"c", [bob.identity], Text("forged"), net.tick())
    with pytest.raises(SenderNotCertified):
        bob.machine.decrypt(stolen.deliveries[0].data)


def test_a_device_added_by_a_removed_token_is_refused() -> None:
    net = ChainedNetwork()
    first, spare = SoftwareToken("first"), SoftwareToken("spare")
    alice = net.new_person(first, b"alice-desktop")
    net.publish_document(alice.identity, first, spare, tokens=[first.entry, spare.entry])
    net.publish_document(alice.identity, spare, tokens=[spare.entry])  # first token lost
    machine, _ = Machine.create(alice.identity, b"thief", net.lookup, PICKLE_KEY)
    cert = net.certificate(first, machine, b"thief")
    with pytest.raises(UnknownSigner):
        net.publish_document(alice.identity, first, devices=[cert])
    assert [d.device_id for d in certified_devices(net.verified[alice.identity])] == [
        b"alice-desktop"
    ]
