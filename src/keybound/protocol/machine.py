"""The protocol machine: one device's end-to-end encryption, bytes and events in and out.

Like matrix-nio's no-I/O client it holds state and does no I/O.  The caller
supplies who is certified (a :data:`DeviceLookup`), the time, and stored
records; it gets back envelopes to hand to the relay, events to show, and
:class:`StateChange` records to write in the same transaction.

Sending to a conversation reaches every certified device of every recipient
and of our own identity except this device.  Direct conversations use one Olm
ciphertext per device; groups use one Megolm ciphertext plus Olm room-key
shares for devices that do not yet hold the session.

Receiving authenticates in this order: the envelope parses; its message ID is
not already processed (else :class:`Duplicate`); the claimed sender device is
certified for the claimed identity; the ciphertext decrypts with a session of
*that* device's key; the inner header matches the envelope and names that
device's Ed25519 key.  Any failure raises a :class:`ProtocolError` (or
:class:`MalformedData`) and changes no state.  The caller decides group
membership: a received group message names its group, and the client checks
that the sender belongs to it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import vodozemac

from keybound.errors import (
    DecryptionFailed,
    DowngradeRefused,
    HeaderMismatch,
    MalformedData,
    MissingPqPrekey,
    MissingSession,
    ProtocolError,
    ProtocolStateError,
    ReplayDetected,
    SenderNotCertified,
    UserFacingError,
)
from keybound.protocol.content import Content, Encoded, RoomKey, content_type, decode_content
from keybound.protocol.dedup import KIND_PENDING, KIND_SEEN, BoundedLog
from keybound.protocol.devices import DeviceKeys, DeviceLookup, KeyUpload, SignedKey, find_device
from keybound.protocol.envelope import Envelope, Inner, Scheme, check_header, decode_inner
from keybound.protocol.ids import new_message_id
from keybound.protocol.megolm import (
    KIND_INBOUND,
    KIND_OUTBOUND,
    DeviceAddress,
    Inbound,
    Outbound,
    RotationPolicy,
)
from keybound.protocol.olm import KIND_ACCOUNT, KIND_SESSION, OlmAccount
from keybound.protocol.pq.header import PqHeader
from keybound.protocol.pq.layer import Opened, PqLayer
from keybound.protocol.pq.prekeys import SignedPqKey, verify_pq_key
from keybound.protocol.state import StateChange

Random = Callable[[int], bytes]


@dataclass(frozen=True)
class Config:
    rotation: RotationPolicy = field(default_factory=RotationPolicy)
    max_sessions_per_device: int = 5
    seen_capacity: int = 10_000
    pending_capacity: int = 100
    max_indices_per_session: int = 1000


@dataclass(frozen=True)
class Delivery:
    """Envelope bytes for one recipient device."""

    identity_id: bytes
    device_id: bytes
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Outgoing:
    message_id: bytes
    deliveries: tuple[Delivery, ...]
    changes: tuple[StateChange, ...]


@dataclass(frozen=True)
class Received:
    """A decrypted, authenticated message."""

    message_id: bytes
    sender_identity: bytes
    sender_device: bytes
    conversation_id: bytes
    timestamp_ms: int
    content: Content
    scheme: Scheme
    pq: bool = False  # it came through the post-quantum hybrid layer


@dataclass(frozen=True)
class Duplicate:
    """Already processed: acknowledge to the relay, show nothing."""

    message_id: bytes


@dataclass(frozen=True)
class Deferred:
    """A group message whose room key has not arrived; kept and retried when it does."""

    message_id: bytes


@dataclass(frozen=True)
class RoomKeyAccepted:
    group_id: bytes
    sender_identity: bytes
    sender_device: bytes
    session_id: str


@dataclass(frozen=True)
class Dropped:
    """A deferred message that was given up (queue full, or it failed once its key came)."""

    message_id: bytes
    error: UserFacingError


Event = Received | Duplicate | Deferred | RoomKeyAccepted | Dropped


@dataclass(frozen=True)
class Incoming:
    events: tuple[Event, ...]
    changes: tuple[StateChange, ...]


def _address(d: DeviceKeys) -> DeviceAddress:
    return (d.identity_id, d.device_id, d.curve25519)


class Machine:
    """One device's Olm account, Olm sessions, Megolm sessions and dedup window."""

    def __init__(
        self,
        olm: OlmAccount,
        lookup: DeviceLookup,
        pickle_key: bytes,
        config: Config,
        random: Random,
        processed: Callable[[bytes], bool] | None,
    ) -> None:
        self._olm = olm
        self._pq = PqLayer(olm.device_keys, olm.sign, pickle_key, config.max_sessions_per_device)
        self._lookup = lookup
        self._key = pickle_key
        self._config = config
        self._random = random
        self._processed = processed
        self._outbound: dict[bytes, Outbound] = {}
        self._inbound: dict[bytes, Inbound] = {}
        self._seen = BoundedLog(KIND_SEEN, config.seen_capacity)
        self._pending = BoundedLog(KIND_PENDING, config.pending_capacity)

    @classmethod
    def create(
        cls,
        identity_id: bytes,
        device_id: bytes,
        lookup: DeviceLookup,
        pickle_key: bytes,
        *,
        config: Config | None = None,
        random: Random = secrets.token_bytes,
        processed: Callable[[bytes], bool] | None = None,
    ) -> tuple[Machine, list[StateChange]]:
        """A new device with a fresh Olm account."""
        config = config or Config()
        _check_key(pickle_key)
        olm = OlmAccount(
            identity_id, device_id, vodozemac.Account(), pickle_key, config.max_sessions_per_device
        )
        return cls(olm, lookup, pickle_key, config, random, processed), [olm.account_change()]

    @classmethod
    def load(
        cls,
        identity_id: bytes,
        device_id: bytes,
        records: Iterable[StateChange],
        lookup: DeviceLookup,
        pickle_key: bytes,
        *,
        config: Config | None = None,
        random: Random = secrets.token_bytes,
        processed: Callable[[bytes], bool] | None = None,
    ) -> Machine:
        """Rebuild from stored records: the latest value per (kind, key), or a log of changes.

        ``processed`` (optional) asks the store whether a message ID was already
        handled, for IDs older than the in-memory window.
        """
        config = config or Config()
        _check_key(pickle_key)
        latest: dict[str, dict[bytes, bytes]] = {}
        for record in records:
            bucket = latest.setdefault(record.kind, {})
            value = record.value
            if value is None:
                bucket.pop(record.key, None)
            else:
                bucket[record.key] = value
        account = latest.get(KIND_ACCOUNT, {}).get(b"")
        if account is None:
            raise ProtocolStateError("Olm account")
        olm = OlmAccount.restore(
            identity_id,
            device_id,
            pickle_key,
            account,
            latest.get(KIND_SESSION, {}),
            config.max_sessions_per_device,
        )
        self = cls(olm, lookup, pickle_key, config, random, processed)
        self._pq.restore(latest)
        for key, value in latest.get(KIND_OUTBOUND, {}).items():
            self._outbound[key] = Outbound.restore(key, value, pickle_key)
        for key, value in latest.get(KIND_INBOUND, {}).items():
            self._inbound[key] = Inbound.restore(key, value, pickle_key)
        self._seen.restore(latest.get(KIND_SEEN, {}))
        self._pending.restore(latest.get(KIND_PENDING, {}))
        return self

    def reloaded(self, records: Iterable[StateChange], lookup: DeviceLookup) -> Machine:
        """The same device rebuilt from stored ``records``, with this machine's key and
        settings: what a caller uses when a transaction holding new state failed."""
        return Machine.load(
            self._olm.device_keys.identity_id,
            self._olm.device_keys.device_id,
            records,
            lookup,
            self._key,
            config=self._config,
            random=self._random,
            processed=self._processed,
        )

    @property
    def device_keys(self) -> DeviceKeys:
        """This device's keys, for its certificate in the identity chain."""
        return self._olm.device_keys

    def sign(self, message: bytes) -> bytes:
        """A plain Ed25519 signature (64 bytes) by this device's key, e.g. for its certificate."""
        return self._olm.sign(message)

    # --- one-time keys and sessions ------------------------------------------------

    def prepare_key_upload(
        self, remaining: int, *, need_fallback: bool
    ) -> tuple[KeyUpload | None, list[StateChange]]:
        """Keys to publish given the relay's count; call :meth:`mark_keys_published` after."""
        return self._olm.prepare_upload(remaining, need_fallback=need_fallback)

    def mark_keys_published(self) -> list[StateChange]:
        return self._olm.mark_published()

    def prepare_pq_key_upload(
        self, remaining: int, *, need_last_resort: bool
    ) -> tuple[list[SignedPqKey], list[StateChange]]:
        """PQ prekeys to publish given the relay's count; :meth:`mark_pq_keys_published` after."""
        return self._pq.prekeys.prepare_upload(remaining, need_last_resort=need_last_resort)

    def mark_pq_keys_published(self) -> list[StateChange]:
        return self._pq.prekeys.mark_published()

    def recipients(self, identities: Iterable[bytes]) -> list[DeviceKeys]:
        """Certified devices of ``identities`` and of our own identity, except this device."""
        own = self._olm.device_keys
        found: dict[tuple[bytes, bytes], DeviceKeys] = {}
        for identity in dict.fromkeys([*identities, own.identity_id]):
            for d in self._lookup(identity):
                if d.identity_id != identity or d.curve25519 == own.curve25519:
                    continue
                found.setdefault((d.identity_id, d.device_id), d)
        return list(found.values())

    def devices_needing_session(self, identities: Iterable[bytes]) -> list[DeviceKeys]:
        """Recipients without an Olm session, or without the hybrid layer their certificate
        requires: claim keys for each (and a PQ prekey), then :meth:`start_session`."""
        return [d for d in self.recipients(identities) if not self._ready(d)]

    def _ready(self, d: DeviceKeys) -> bool:
        if not self._olm.has_session(d.curve25519):
            return False
        return not d.pq or self._pq.has_session(d.curve25519)

    def start_session(
        self, device: DeviceKeys, key: SignedKey, pq_key: SignedPqKey | None = None
    ) -> list[StateChange]:
        """Open an Olm session with ``device`` from keys claimed from the relay, wrapped in the
        hybrid layer when a PQ prekey came too; a device whose certificate states the layer
        gets no session without one (:class:`MissingPqPrekey`)."""
        if pq_key is None:
            if device.pq:
                raise MissingPqPrekey()
            return self._olm.start_session(device, key)
        verify_pq_key(pq_key, device)  # checked before either session exists
        changes = self._olm.start_session(device, key)
        return changes + self._pq.start(device, pq_key)

    # --- sending -------------------------------------------------------------------

    def encrypt_direct(
        self,
        conversation_id: bytes,
        recipients: Iterable[bytes],
        content: Content | Encoded,
        now_ms: int,
        *,
        message_id: bytes | None = None,
    ) -> Outgoing:
        """One Olm envelope per recipient device (and per other device of ours).

        ``message_id``: the ID to send under (the client stores the message
        under it before encrypting); a fresh one when None.
        """
        devices = self.recipients(recipients)
        self._require_sessions(devices)
        message_id = message_id or new_message_id(now_ms, self._random)
        inner = self._inner(message_id, conversation_id, content, now_ms)
        deliveries, changes = [], []
        for d in devices:
            data, ch = self._olm_envelope(d, inner, now_ms)
            deliveries.append(Delivery(d.identity_id, d.device_id, data))
            changes += ch
        return Outgoing(inner.message_id, tuple(deliveries), tuple(changes))

    def encrypt_group(
        self,
        group_id: bytes,
        members: Iterable[bytes],
        content: Content | Encoded,
        now_ms: int,
        *,
        message_id: bytes | None = None,
    ) -> Outgoing:
        """One Megolm envelope for every member device, preceded by any room-key shares.

        ``message_id`` as for :meth:`encrypt_direct` (room-key shares get their own IDs).
        """
        devices = {_address(d): d for d in self.recipients(members)}
        out = self._outbound.get(group_id)
        rotate = out is None or out.needs_rotation(set(devices), now_ms, self._config.rotation)
        targets = [a for a in devices if rotate or out is None or a not in out.shared]
        self._require_sessions([devices[a] for a in targets])
        if out is None or rotate:
            out = Outbound(group_id, vodozemac.GroupSession(), now_ms)
            self._outbound[group_id] = out
        deliveries, changes = [], []
        if targets:
            key = RoomKey(
                group_id,
                out.session.session_id,
                out.session.session_key.to_base64(),
                out.session.message_index,
            )
            for a in targets:
                share = self._inner(new_message_id(now_ms, self._random), group_id, key, now_ms)
                data, ch = self._olm_envelope(devices[a], share, now_ms)
                deliveries.append(Delivery(a[0], a[1], data))
                changes += ch
            out.shared |= set(targets)
        message_id = message_id or new_message_id(now_ms, self._random)
        inner = self._inner(message_id, group_id, content, now_ms)
        body = out.session.encrypt(inner.encode()).to_bytes()
        changes.append(out.change(self._key))
        envelope = self._envelope(inner, Scheme.MEGOLM, body, session_id=out.session.session_id)
        deliveries += [Delivery(a[0], a[1], envelope) for a in devices]
        return Outgoing(inner.message_id, tuple(deliveries), tuple(changes))

    def _require_sessions(self, devices: Iterable[DeviceKeys]) -> None:
        if any(not self._ready(d) for d in devices):
            raise MissingSession()

    def _inner(
        self, message_id: bytes, conversation: bytes, content: Content | Encoded, now: int
    ) -> Inner:
        own = self._olm.device_keys
        return Inner(
            message_id=message_id,
            sender_identity=own.identity_id,
            sender_device=own.device_id,
            sender_ed25519=own.ed25519,
            conversation_id=conversation,
            timestamp_ms=now,
            content_type=content_type(content),
            content=content.encode(),
        )

    def _envelope(
        self, inner: Inner, scheme: Scheme, body: bytes, olm_type: int = 0, session_id: str = ""
    ) -> bytes:
        return self._envelope_value(inner, scheme, body, olm_type, session_id).encode()

    @staticmethod
    def _envelope_value(
        inner: Inner,
        scheme: Scheme,
        body: bytes,
        olm_type: int = 0,
        session_id: str = "",
        pq_header: bytes = b"",
    ) -> Envelope:
        return Envelope(
            inner.message_id,
            inner.sender_identity,
            inner.sender_device,
            inner.timestamp_ms,
            inner.content_type,
            scheme,
            body,
            olm_type,
            session_id,
            pq_header=pq_header,
        )

    def _olm_envelope(
        self, device: DeviceKeys, inner: Inner, now_ms: int
    ) -> tuple[bytes, list[StateChange]]:
        """Olm, inside the hybrid layer whenever there is an outer session with the device."""
        message_type, body, changes = self._olm.encrypt(device.curve25519, inner.encode())
        if not self._pq.has_session(device.curve25519):
            if device.pq:
                raise MissingSession()
            return self._envelope(inner, Scheme.OLM, body, olm_type=message_type), changes

        def aad_for(header: bytes) -> bytes:
            return self._envelope_value(
                inner, Scheme.OLM_PQ, b"", pq_header=header
            ).associated_data()

        wrapped = self._pq.encrypt(device.curve25519, bytes([message_type]) + body, now_ms, aad_for)
        assert wrapped is not None
        header, outer, pq_changes = wrapped
        env = self._envelope_value(inner, Scheme.OLM_PQ, outer, pq_header=header)
        return env.encode(), changes + pq_changes

    # --- receiving -----------------------------------------------------------------

    def decrypt(self, data: bytes, envelope: Envelope | None = None) -> Incoming:
        """Authenticate and decrypt one envelope; raises and changes nothing on failure.

        ``envelope``: ``data`` decoded already (by a caller that had to look at it).
        """
        env = envelope if envelope is not None else Envelope.decode(data)
        if env.message_id in self._seen or (
            self._processed is not None and self._processed(env.message_id)
        ):
            return Incoming((Duplicate(env.message_id),), ())
        device = find_device(self._lookup, env.sender_identity, env.sender_device)
        if device is None:
            raise SenderNotCertified()
        if env.scheme in (Scheme.OLM, Scheme.OLM_PQ):
            return self._decrypt_olm(env, device)
        return self._decrypt_megolm(env, device, bytes(data))

    def _open(self, env: Envelope, device: DeviceKeys, plaintext: bytes) -> tuple[Inner, Content]:
        inner = decode_inner(plaintext)
        check_header(inner, env)
        if inner.sender_ed25519 != device.ed25519:
            raise SenderNotCertified()
        return inner, decode_content(inner.content_type, inner.content)

    def _decrypt_olm(self, env: Envelope, device: DeviceKeys) -> Incoming:
        def accept(plaintext: bytes) -> tuple[Inner, Content, Inbound | None]:
            inner, content = self._open(env, device, plaintext)
            if not isinstance(content, RoomKey):
                return inner, content, None
            if content.group_id != inner.conversation_id:
                raise HeaderMismatch("group")
            try:
                session = vodozemac.InboundGroupSession(vodozemac.SessionKey(content.session_key))
            except ValueError as exc:
                raise MalformedData("room key") from exc
            if session.session_id != content.session_id:
                raise MalformedData("room key session ID")
            return (
                inner,
                content,
                Inbound(
                    device.curve25519,
                    session,
                    session.pickle(self._key),
                    content.group_id,
                    device.identity_id,
                    device.device_id,
                ),
            )

        olm_type, olm_body, opened = self._unwrap(env, device)
        (inner, content, inbound), changes = self._olm.decrypt(
            device.curve25519, olm_type, olm_body, accept
        )
        if opened is not None:
            changes += self._pq.keep(opened)
        changes += self._seen.add(env.message_id)[0]
        if inbound is None:
            received = self._received(inner, content, Scheme.OLM, pq=opened is not None)
            return Incoming((received,), tuple(changes))
        events: list[Event] = [
            RoomKeyAccepted(
                inbound.group_id, device.identity_id, device.device_id, inbound.key[32:].decode()
            )
        ]
        existing = self._inbound.get(inbound.key)
        if existing is None or (
            inbound.session.first_known_index < existing.session.first_known_index
        ):
            if existing is not None:
                inbound.indices = existing.indices
            self._inbound[inbound.key] = inbound
            changes.append(inbound.change())
        for message_id, raw in self._pending.items():
            pending = Envelope.decode(raw)
            if (pending.session_id, pending.sender_identity, pending.sender_device) != (
                inbound.session.session_id,
                device.identity_id,
                device.device_id,
            ):
                continue
            changes += self._pending.remove(message_id)
            try:
                retried = self.decrypt(raw)
            except (ProtocolError, MalformedData) as exc:
                events.append(Dropped(message_id, exc))
                continue
            events += retried.events
            changes += retried.changes
        return Incoming(tuple(events), tuple(changes))

    def _unwrap(self, env: Envelope, device: DeviceKeys) -> tuple[int, bytes, Opened | None]:
        """(Olm type, Olm ciphertext, the outer layer's pending state) of an Olm envelope."""
        if env.scheme is Scheme.OLM:
            if device.pq and self._states_pq():
                raise DowngradeRefused()  # it would have wrapped it for a device like us
            return env.olm_type, env.body, None
        header = PqHeader.decode(env.pq_header)
        opened = self._pq.open(device, header, env.associated_data(), env.body)
        if len(opened.plaintext) < 2 or opened.plaintext[0] > 1:
            raise MalformedData("post-quantum layer: no Olm message inside")
        return opened.plaintext[0], opened.plaintext[1:], opened

    def _states_pq(self) -> bool:
        """Whether our own certificate states the hybrid layer (so PQ senders must use it)."""
        own = self._olm.device_keys
        found = find_device(self._lookup, own.identity_id, own.device_id)
        return found is not None and found.pq

    def _decrypt_megolm(self, env: Envelope, device: DeviceKeys, data: bytes) -> Incoming:
        inbound = self._inbound.get(device.curve25519 + env.session_id.encode())
        if inbound is None:
            if env.message_id in self._pending:
                return Incoming((Deferred(env.message_id),), ())
            changes, evicted = self._pending.add(env.message_id, data)
            events: list[Event] = [Deferred(env.message_id)]
            events += [
                Dropped(m, DecryptionFailed("message whose key never came")) for m in evicted
            ]
            return Incoming(tuple(events), tuple(changes))
        if (inbound.sender_identity, inbound.sender_device) != (
            device.identity_id,
            device.device_id,
        ):
            raise SenderNotCertified()
        try:
            decrypted = inbound.session.decrypt(vodozemac.MegolmMessage.from_bytes(env.body))
        except ValueError as exc:
            raise DecryptionFailed() from exc
        inner, content = self._open(env, device, decrypted.plaintext)
        if inner.conversation_id != inbound.group_id:
            raise HeaderMismatch("group")
        if isinstance(content, RoomKey):
            raise MalformedData("a room key must travel over Olm")
        previous = inbound.indices.get(decrypted.message_index)
        if previous is not None:
            if previous != env.message_id:
                raise ReplayDetected()
            return Incoming((Duplicate(env.message_id),), tuple(self._seen.add(env.message_id)[0]))
        changes = [
            inbound.record(
                decrypted.message_index, env.message_id, self._config.max_indices_per_session
            ),
            *self._seen.add(env.message_id)[0],
        ]
        return Incoming((self._received(inner, content, Scheme.MEGOLM),), tuple(changes))

    @staticmethod
    def _received(inner: Inner, content: Content, scheme: Scheme, *, pq: bool = False) -> Received:
        return Received(
            inner.message_id,
            inner.sender_identity,
            inner.sender_device,
            inner.conversation_id,
            inner.timestamp_ms,
            content,
            scheme,
            pq,
        )


def _check_key(pickle_key: bytes) -> None:
    if len(pickle_key) != 32:
        raise ValueError("the pickle key is 32 bytes (KeyPurpose.PICKLE of the master key)")
