"""Protocol state lives in the history database: Olm/Megolm pickles survive a restart.

The Machine's StateChange records go through Repository.apply_state_changes
into SQLCipher, pickled with the vault's PICKLE key; a fresh Machine loaded from
the database continues both a direct conversation and a group.
"""

from __future__ import annotations

from pathlib import Path

from tests.protocol.net import Network, Node

from keybound.protocol.content import Text
from keybound.protocol.machine import Machine
from keybound.protocol.state import StateChange
from keybound.store.database import Database
from keybound.store.keys import KeyPurpose, MasterKey
from keybound.store.repository import Repository

MASTER = MasterKey.generate()
PICKLE_KEY = MASTER.derive(KeyPurpose.PICKLE)


class StoredNode(Node):
    """A device whose protocol state is kept in a real SQLCipher history database."""

    repo: Repository

    def apply(self, changes: tuple[StateChange, ...] | list[StateChange]) -> None:
        with self.repo.db.transaction():
            self.repo.apply_state_changes(changes)

    def records(self) -> list[StateChange]:
        rows = self.repo.db.query("SELECT kind, key, value FROM crypto_state")
        return [StateChange(kind, bytes(key), bytes(value)) for kind, key, value in rows]


def stored_device(net: Network, identity: bytes, device: bytes, path: Path) -> StoredNode:
    repo = Repository(Database.open(path, MASTER.derive(KeyPurpose.SQLCIPHER)))
    machine, changes = Machine.create(
        identity, device, net.lookup, PICKLE_KEY, random=net.random_bytes
    )
    node = StoredNode(identity, device, machine)
    node.repo = repo
    node.apply(changes)
    net.publish(node, remaining=0)
    net.certify(node)
    net.nodes[(identity, device)] = node
    return node


def test_state_in_sqlcipher_survives_a_restart(tmp_path: Path) -> None:
    net = Network(seed=3)
    alice = stored_device(net, b"alice", b"a1", tmp_path / "alice.db")
    bob = net.add_device(b"bob", b"b1")
    net.send(alice, b"dm", [b"bob"], Text("secret one"))
    net.send_group(alice, b"grp", [b"alice", b"bob"], Text("group one"))
    net.flush()
    net.send(bob, b"dm", [b"alice"], Text("reply one"))
    net.flush()
    assert alice.texts == ["reply one"]
    kinds = {r.kind for r in alice.records()}
    assert {"olm.account", "olm.session", "megolm.outbound"} <= kinds

    # restart: close the database, reopen it, rebuild the Machine from it
    alice.repo.db.close()
    alice.repo = Repository(
        Database.open(tmp_path / "alice.db", MASTER.derive(KeyPurpose.SQLCIPHER))
    )
    alice.machine = Machine.load(
        b"alice", b"a1", alice.records(), net.lookup, PICKLE_KEY, random=net.random_bytes
    )
    net.send(alice, b"dm", [b"bob"], Text("secret two"))
    net.send_group(alice, b"grp", [b"alice", b"bob"], Text("group two"))
    net.send(bob, b"dm", [b"alice"], Text("reply two"))
    net.flush()
    assert bob.texts == ["secret one", "group one", "secret two", "group two"]
    assert alice.texts == ["reply one", "reply two"]
    assert not (alice.errors or bob.errors)
    alice.repo.db.close()
    for file in tmp_path.iterdir():
        data = file.read_bytes()
        assert b"secret" not in data and b"reply" not in data and PICKLE_KEY not in data
