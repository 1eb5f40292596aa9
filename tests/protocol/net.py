"""An in-memory world for protocol tests: identities, devices, a directory, a lossy relay.

Each device is a real :class:`Machine` with a dict standing in for its store
(every StateChange applied as the client would).  The directory plays the
identity layer's verified view (identity -> certified DeviceKeys) and the
relay's one-time key store.  The relay delivers with seeded loss, duplication
and reordering.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from keybound.errors import MalformedData, ProtocolError
from keybound.protocol.content import Content, Encoded
from keybound.protocol.devices import DeviceKeys, SignedKey
from keybound.protocol.machine import Config, Event, Incoming, Machine, Outgoing, Received
from keybound.protocol.pq.prekeys import SignedPqKey
from keybound.protocol.state import StateChange

PICKLE_KEY = b"p" * 32
T0 = 1_750_000_000_000


@dataclass
class Node:
    identity: bytes
    device: bytes
    machine: Machine
    store: dict[tuple[str, bytes], bytes] = field(default_factory=dict)
    inbox: list[bytes] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)
    pq: bool = True

    def apply(self, changes: tuple[StateChange, ...] | list[StateChange]) -> None:
        for c in changes:
            value = c.value  # a deferred record pickles its session here: read once
            if value is None:
                self.store.pop((c.kind, c.key), None)
            else:
                self.store[(c.kind, c.key)] = value

    def records(self) -> list[StateChange]:
        return [StateChange(k, key, v) for (k, key), v in self.store.items()]

    def receive(self, data: bytes) -> Incoming:
        """Decrypt one envelope, applying its state changes like the client would."""
        result = self.machine.decrypt(data)
        self.apply(result.changes)
        self.events += result.events
        return result

    @property
    def texts(self) -> list[str]:
        texts = [getattr(e.content, "text", None) for e in self.events if isinstance(e, Received)]
        return [t for t in texts if t is not None]


class Network:
    def __init__(
        self,
        seed: int = 0,
        *,
        loss: float = 0.0,
        dup: float = 0.0,
        reorder: bool = False,
        config: Config | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.loss, self.dup, self.reorder = loss, dup, reorder
        self.config = config or Config()
        self.directory: dict[bytes, list[DeviceKeys]] = {}
        self.nodes: dict[tuple[bytes, bytes], Node] = {}
        self.published: dict[tuple[bytes, bytes], list[SignedKey]] = {}
        self.pq_published: dict[tuple[bytes, bytes], list[SignedPqKey]] = {}
        self.now = T0
        self.sent: list[tuple[bytes, bytes, bytes]] = []  # (identity, device, data) as sent

    def lookup(self, identity: bytes) -> list[DeviceKeys]:
        return list(self.directory.get(identity, ()))

    def random_bytes(self, n: int) -> bytes:
        return self.rng.randbytes(n)

    def add_device(
        self, identity: bytes, device: bytes, *, certify: bool = True, pq: bool = True
    ) -> Node:
        """A device; with ``pq`` (the default) it publishes PQ prekeys and its certificate
        states the hybrid layer, as every device made by this version does."""
        machine, changes = Machine.create(
            identity, device, self.lookup, PICKLE_KEY, config=self.config, random=self.random_bytes
        )
        node = Node(identity, device, machine, pq=pq)
        node.apply(changes)
        self.publish(node, remaining=0)
        if certify:
            self.certify(node)
        self.nodes[(identity, device)] = node
        return node

    def certify(self, node: Node) -> None:
        keys = replace(node.machine.device_keys, pq=node.pq)
        self.directory.setdefault(node.identity, []).append(keys)

    def revoke(self, node: Node) -> None:
        self.directory[node.identity] = [
            d for d in self.directory[node.identity] if d.device_id != node.device
        ]

    def publish(self, node: Node, remaining: int) -> None:
        upload, changes = node.machine.prepare_key_upload(remaining, need_fallback=True)
        node.apply(changes)
        assert upload is not None
        keys = self.published.setdefault((node.identity, node.device), [])
        keys += [k for k in upload.keys if not k.fallback]
        node.apply(node.machine.mark_keys_published())
        if node.pq:
            pq_keys, changes = node.machine.prepare_pq_key_upload(remaining, need_last_resort=True)
            node.apply(changes)
            published = self.pq_published.setdefault((node.identity, node.device), [])
            published += pq_keys
            node.apply(node.machine.mark_pq_keys_published())

    def claim_pq(self, device: DeviceKeys) -> SignedPqKey | None:
        keys = self.pq_published.get((device.identity_id, device.device_id), [])
        one_time = [k for k in keys if not k.last_resort]
        if one_time:
            keys.remove(one_time[0])
            return one_time[0]
        return next((k for k in keys if k.last_resort), None)

    def claim(self, device: DeviceKeys) -> SignedKey:
        return self.published[(device.identity_id, device.device_id)].pop(0)

    def connect(self, node: Node, identities: list[bytes]) -> None:
        for device in node.machine.devices_needing_session(identities):
            pq_key = self.claim_pq(device)
            node.apply(node.machine.start_session(device, self.claim(device), pq_key))

    def tick(self, ms: int = 1000) -> int:
        self.now += ms
        return self.now

    def _route(self, out: Outgoing, node: Node) -> Outgoing:
        node.apply(out.changes)
        for d in out.deliveries:
            self.sent.append((d.identity_id, d.device_id, d.data))
            if self.rng.random() < self.loss:
                continue
            copies = 2 if self.rng.random() < self.dup else 1
            target = self.nodes.get((d.identity_id, d.device_id))
            if target is not None:
                target.inbox += [d.data] * copies
        return out

    def send(
        self, node: Node, conversation: bytes, to: list[bytes], content: Content | Encoded
    ) -> Outgoing:
        self.connect(node, to)
        out = node.machine.encrypt_direct(conversation, to, content, self.tick())
        return self._route(out, node)

    def send_group(
        self, node: Node, group: bytes, members: list[bytes], content: Content | Encoded
    ) -> Outgoing:
        self.connect(node, members)
        out = node.machine.encrypt_group(group, members, content, self.tick())
        return self._route(out, node)

    def flush(self) -> None:
        """Deliver every inbox (shuffled when reordering); errors are recorded, not raised."""
        for node in self.nodes.values():
            inbox, node.inbox = node.inbox, []
            if self.reorder:
                self.rng.shuffle(inbox)
            for data in inbox:
                try:
                    node.receive(data)
                except (ProtocolError, MalformedData) as exc:
                    node.errors.append(exc)
