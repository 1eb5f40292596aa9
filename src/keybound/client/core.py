"""The engine's state on the database thread: store, protocol machine, identities, queues.

Everything here is synchronous and runs only on the :class:`DbThread`, one
job at a time, so a job can encrypt, write and commit without locks.  The
messenger's asyncio tasks call these methods through ``DbThread.run`` and do
the network I/O in between.

The durable send path (ARCHITECTURE.md, "Message path"): :meth:`Core.compose`
writes the message row and, in the same transaction, either the encrypted
envelopes for every recipient device plus the ratchet state that produced
them, or (when a device still lacks an Olm session) a compose-queue row that
the composer encrypts once the relay has handed out the keys.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from keybound.client import conversations as convs
from keybound.client import events as ev
from keybound.client import settings as cfg
from keybound.client.env import Environment
from keybound.client.identities import IdentityBook
from keybound.client.outbox import QueuedEnvelope, advance
from keybound.client.queues import ComposeItem, Queues
from keybound.client.values import LockReason
from keybound.errors import KeyboundError, MissingSession
from keybound.protocol.content import Content, Encoded, content_type
from keybound.protocol.devices import DeviceKeys, KeyUpload, SignedKey
from keybound.protocol.ids import message_id_time, new_message_id
from keybound.protocol.machine import Machine, Outgoing
from keybound.protocol.pq.prekeys import SignedPqKey
from keybound.protocol.state import StateChange
from keybound.store.database import Database
from keybound.store.models import (
    Attachment,
    Conversation,
    ConversationKind,
    Message,
    MessageStatus,
)
from keybound.store.repository import Repository
from keybound.wire.frames import DeviceAddress

if TYPE_CHECKING:
    from keybound.client.verification import VerificationIn

log = logging.getLogger(__name__)


@dataclass
class Effects:
    """What a job changed that the asyncio side must act on after the commit."""

    events: list[ev.Event] = field(default_factory=list)
    envelopes: bool = False  # outbox rows were added: wake the flusher
    composing: bool = False  # compose rows were added: wake the composer
    refresh: set[bytes] = field(default_factory=set)  # identity chains to fetch again
    lock: LockReason | None = None
    verification: list[VerificationIn] = field(default_factory=list)  # SAS messages in

    def merge(self, other: Effects) -> Effects:
        self.events += other.events
        self.verification += other.verification
        self.envelopes |= other.envelopes
        self.composing |= other.composing
        self.refresh |= other.refresh
        self.lock = self.lock or other.lock
        return self


class Core:
    def __init__(
        self,
        db: Database,
        machine: Machine,
        book: IdentityBook,
        env: Environment,
        own_id: bytes,
        device_id: bytes,
    ) -> None:
        self.db = db
        self.repo = Repository(db)
        self.queues = Queues(db)
        self.machine = machine
        self.book = book
        self.env = env
        self.own_id = own_id
        self.device_id = device_id
        self.settings = cfg.load(self.repo)
        self._last_stamp = 0
        # protocol state of the open transaction, the last record per key (see write_state)
        self._state: dict[tuple[str, bytes], StateChange] = {}
        self._state_serial = -1

    def now(self) -> int:
        return self.env.now_ms()

    def stamp(self) -> int:
        """The time now, but strictly later than the last stamp: what is sent or received
        one after another sorts in that order even within one millisecond."""
        self._last_stamp = max(self.env.now_ms(), self._last_stamp + 1)
        return self._last_stamp

    def new_id(self) -> bytes:
        return new_message_id(self.stamp(), self.env.random)

    def close(self) -> None:
        self.db.close()

    # --- composing --------------------------------------------------------------------

    def item(
        self,
        conversation_id: bytes,
        content: Content,
        *,
        message_id: bytes | None = None,
        conv: Conversation | None = None,
    ) -> ComposeItem:
        """A compose item for ``conversation_id``'s current recipients (``conv``: its
        row, when the caller read it already)."""
        conv = conv or self.repo.conversation(conversation_id)
        if conv is None:
            raise LookupError("no such conversation")
        r = convs.route(self.repo, self.own_id, conv)
        return self.item_to(conversation_id, r.group, r.recipients, content, message_id=message_id)

    def item_to(
        self,
        conversation_id: bytes,
        group: bool,
        recipients: Iterable[bytes],
        content: Content,
        *,
        message_id: bytes | None = None,
    ) -> ComposeItem:
        mid = message_id or self.new_id()
        return ComposeItem(
            message_id=mid,
            conversation_id=conversation_id,
            group=group,
            recipients=tuple(dict.fromkeys(r for r in recipients if r != self.own_id)),
            content_type=content_type(content),
            content=content.encode(),
            created_at=self.now(),
        )

    def tx(self) -> AbstractContextManager[None]:
        """A transaction, or nothing when the caller already holds one.

        FTS5 writes an index segment at every savepoint, so the hot paths join the
        caller's transaction instead of nesting a savepoint per message.
        """
        return nullcontext() if self.db.in_transaction else self.db.transaction()

    def write_state(self, changes: Iterable[StateChange]) -> None:
        """Protocol state changes, in the caller's transaction (no savepoint).

        They are written just before it commits, the last record per key: a session
        that a batch of messages moved is pickled once per transaction, not once per
        message (its records defer their values: see ``keybound.protocol.state``).
        """
        with self.tx():
            if self._state_serial != self.db.serial:  # the first records of this transaction
                self._state_serial = self.db.serial
                self._state = {}
                self.db.before_commit(self._flush_state)
            for c in changes:
                self._state[(c.kind, c.key)] = c

    def _flush_state(self) -> None:
        changes, self._state = self._state, {}
        self.repo.apply_state_changes(changes.values())

    def compose(
        self,
        items: Sequence[ComposeItem],
        message: Message | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> Effects:
        """Queue ``items`` and store ``message`` (if any) in one transaction."""
        effects = Effects()
        waiting: set[bytes] = set()
        with self.tx():
            for item in items:
                self.queue(item, effects, waiting=waiting)
            if message is not None:  # last: its search terms are the only FTS write
                self.repo.insert_message(message)
                for a in attachments:
                    self.repo.add_attachment(a)
                if message.message_id not in waiting:  # nothing to send: sent already
                    effects.events += self._settle_messages([message.message_id])
        return effects

    def queue(
        self,
        item: ComposeItem,
        effects: Effects,
        *,
        queued: bool = False,
        waiting: set[bytes] | None = None,
    ) -> bool:
        """Encrypt ``item`` now if every recipient device has a session; else keep it in
        the compose queue.  Joins the caller's transaction.  True when encrypted.

        ``waiting`` collects the message IDs this left something to send for (envelopes
        or a compose entry), so that the caller need not ask the outbox (unindexed by
        message ID: a scan per message while a burst waits there).

        While anything waits in the compose queue, new items queue behind it, so
        envelopes reach the outbox (and each device) in the order they were sent.
        """
        try:
            if not queued and (
                self.queues.compose_count()
                or any(self.book.get(r) is None for r in item.recipients)
            ):
                raise MissingSession()  # wait behind the queue, or for someone's chain
            out = self._encrypt(item)
        except MissingSession:
            if not queued:
                self.queues.add_compose(item)
                effects.composing = True
                if waiting is not None:
                    waiting.add(item.message_id)
            return False
        items = [(DeviceAddress(d.identity_id, d.device_id), d.data) for d in out.deliveries]
        self.queues.add_envelopes(item.message_id, items, self.now())
        if items and waiting is not None:
            waiting.add(item.message_id)
        self.write_state(out.changes)
        if queued:
            self.queues.remove_compose(item.message_id)
        effects.envelopes |= bool(items)
        return True

    def _encrypt(self, item: ComposeItem) -> Outgoing:
        content = Encoded(item.content_type, item.content)  # made by ``item_to``: as is
        at = message_id_time(item.message_id)
        if item.group:
            return self.machine.encrypt_group(
                item.conversation_id, item.recipients, content, at, message_id=item.message_id
            )
        return self.machine.encrypt_direct(
            item.conversation_id, item.recipients, content, at, message_id=item.message_id
        )

    def ephemeral(self, item: ComposeItem) -> list[tuple[DeviceAddress, bytes]]:
        """Encrypt something not worth keeping (typing): the ratchet state is committed,
        the envelopes are returned to send at once and forgotten.  [] without sessions."""
        try:
            out = self._encrypt(item)
        except MissingSession:
            return []
        with self.db.transaction():
            self.write_state(out.changes)
        return [(DeviceAddress(d.identity_id, d.device_id), d.data) for d in out.deliveries]

    # --- the compose queue (waiting for keys) -------------------------------------------

    def backlog_devices(self) -> list[DeviceKeys]:
        """Devices that need a claimed one-time key before the queue can be encrypted."""
        needed: dict[tuple[bytes, bytes], DeviceKeys] = {}
        for item in self.queues.compose_items():
            for d in self.machine.devices_needing_session(item.recipients):
                needed.setdefault((d.identity_id, d.device_id), d)
        return list(needed.values())

    def backlog_strangers(self) -> list[bytes]:
        """Recipients in the compose queue whose identity chain we have not fetched yet."""
        out: dict[bytes, None] = {}
        for item in self.queues.compose_items():
            for r in item.recipients:
                if self.book.get(r) is None:
                    out[r] = None
        return list(out)

    def start_sessions(
        self,
        claimed: Sequence[tuple[DeviceKeys, SignedKey]],
        pq_keys: Mapping[tuple[bytes, bytes], SignedPqKey] | None = None,
    ) -> tuple[list[str], set[tuple[bytes, bytes]]]:
        """Open Olm sessions from claimed keys, each in the hybrid layer when a PQ prekey was
        claimed for its device; the reasons and devices of the refused ones."""
        errors, refused = [], set()
        pq_keys = pq_keys or {}
        with self.db.transaction():
            for device, key in claimed:
                pq_key = pq_keys.get((device.identity_id, device.device_id))
                try:
                    changes = self.machine.start_session(device, key, pq_key)
                    self.write_state(changes)
                except KeyboundError as exc:
                    errors.append(str(exc))
                    refused.add((device.identity_id, device.device_id))
        return errors, refused

    def encrypt_backlog(self, unreachable: set[tuple[bytes, bytes]]) -> Effects:
        """Encrypt what waits in the compose queue, leaving out ``unreachable`` devices
        (no key could be claimed for them: they never published any)."""
        effects = Effects()
        self.book.skip = set(unreachable)
        try:
            for item in self.queues.compose_items():
                with self.db.transaction():
                    if not self.queue(item, effects, queued=True):
                        break  # keep the order: later items wait behind this one
                    effects.events += self._settle_messages([item.message_id])
        finally:
            self.book.skip = set()
        return effects

    # --- the outbox ----------------------------------------------------------------------

    def pending(self, limit: int = 2000) -> list[QueuedEnvelope]:
        return self.queues.pending(limit)

    def next_attempt_at(self) -> int | None:
        return self.queues.next_attempt_at()

    def settle(
        self,
        sent: Sequence[QueuedEnvelope] = (),
        dropped: Sequence[QueuedEnvelope] = (),
        retry: Sequence[tuple[QueuedEnvelope, int, str]] = (),
        failed: Sequence[tuple[QueuedEnvelope, str]] = (),
    ) -> Effects:
        """Record what the relay said about envelopes, and move their messages on."""
        effects = Effects()
        with self.db.transaction():
            self.queues.remove([e.id for e in [*sent, *dropped]])
            for env, at, reason in retry:
                self.queues.retry_later([env.id], at, reason)
            for env, reason in failed:
                if env.message_id is not None:
                    self.queues.fail_message(env.message_id, reason)
                    effects.events += self._set_status(env.message_id, MessageStatus.FAILED, reason)
                else:
                    self.queues.fail([env.id], reason)
            done = [e.message_id for e in [*sent, *dropped] if e.message_id is not None]
            effects.events += self._settle_messages(done)
        return effects

    def retry_message(self, message_id: bytes) -> Effects:
        """Try a failed message again."""
        effects = Effects()
        with self.db.transaction():
            if self.queues.retry_failed(message_id, self.now()):
                effects.envelopes = True
                msg = self.repo.message(message_id)
                if msg is not None and msg.status is MessageStatus.FAILED:
                    self.repo.update_status(message_id, MessageStatus.SENDING)
                    effects.events.append(
                        ev.MessageStatusChanged(
                            message_id, msg.conversation_id, MessageStatus.SENDING
                        )
                    )
        return effects

    def _settle_messages(self, message_ids: Iterable[bytes]) -> list[ev.Event]:
        """Messages with no envelope left to send are sent (one query per few hundred)."""
        ids = set(message_ids)
        done = list(ids - self.queues.unsettled(ids))
        out: list[ev.Event] = []
        updates = []
        for i in range(0, len(done), 400):
            chunk = done[i : i + 400]
            marks = ", ".join("?" * len(chunk))
            sql = "SELECT message_id, conversation_id, status FROM messages WHERE outgoing = 1 "
            rows = self.db.query(sql + f"AND message_id IN ({marks})", chunk)
            for mid, cid, status in rows:
                if advance(MessageStatus(status), MessageStatus.SENT):
                    updates.append((bytes(mid),))
                    out.append(ev.MessageStatusChanged(bytes(mid), bytes(cid), MessageStatus.SENT))
        if updates:
            self.db.executemany(
                "UPDATE messages SET status = 'sent', failure_reason = NULL WHERE message_id = ?",
                updates,
            )
        return out

    def _set_status(
        self,
        message_id: bytes,
        status: MessageStatus,
        reason: str | None = None,
        msg: Message | None = None,
    ) -> list[ev.Event]:
        msg = msg or self.repo.message(message_id)
        if msg is None or not msg.outgoing or not advance(msg.status, status):
            return []
        self.repo.update_status(message_id, status, reason)
        return [ev.MessageStatusChanged(message_id, msg.conversation_id, status, reason)]

    def status_from_receipts(self, msg: Message, conv: Conversation | None) -> list[ev.Event]:
        """delivered / read once every recipient person has said so (any of their devices)."""
        if conv is None:
            return []
        if conv.kind is ConversationKind.DIRECT:
            wanted = {conv.peer_identity}
        else:
            wanted = {m.identity_id for m in self.repo.members(conv.conversation_id)}
            wanted.discard(self.own_id)
        if not wanted:
            return []
        receipts = [
            r for r in self.repo.receipts(msg.message_id) if r.recipient_identity != self.own_id
        ]
        delivered = {r.recipient_identity for r in receipts if r.delivered_at is not None}
        read = {r.recipient_identity for r in receipts if r.read_at is not None}
        if wanted <= read:
            return self._set_status(msg.message_id, MessageStatus.READ, msg=msg)
        if wanted <= delivered:
            return self._set_status(msg.message_id, MessageStatus.DELIVERED, msg=msg)
        return []

    # --- keys ------------------------------------------------------------------------------

    def prepare_keys(self, remaining: int, need_fallback: bool) -> KeyUpload | None:
        upload, changes = self.machine.prepare_key_upload(remaining, need_fallback=need_fallback)
        with self.db.transaction():
            self.write_state(changes)
        return upload

    def keys_published(self) -> None:
        with self.db.transaction():
            self.write_state(self.machine.mark_keys_published())

    def prepare_pq_keys(self, remaining: int, need_last_resort: bool) -> list[SignedPqKey]:
        keys, changes = self.machine.prepare_pq_key_upload(
            remaining, need_last_resort=need_last_resort
        )
        with self.db.transaction():
            self.write_state(changes)
        return keys

    def pq_keys_published(self) -> None:
        with self.db.transaction():
            self.write_state(self.machine.mark_pq_keys_published())

    # --- settings --------------------------------------------------------------------------

    def set_setting(self, key: str, value: bool | int | str | bytes) -> None:
        with self.db.transaction():
            cfg.put(self.repo, key, value)
        self.settings = cfg.load(self.repo)

    def get_setting(self, key: str, default: cfg.T) -> cfg.T:
        return cfg.get(self.repo, key, default)

    def expire(self) -> Effects:
        """Delete disappearing messages whose time is up (and their search text)."""
        now = self.now()
        rows = self.db.query(
            "SELECT message_id, conversation_id FROM messages "
            "WHERE expires_at IS NOT NULL AND expires_at <= ?",
            (now,),
        )
        effects = Effects()
        if rows:
            self.repo.purge_expired(now)
            effects.events.append(
                ev.MessagesExpired(
                    tuple(bytes(r[0]) for r in rows),
                    tuple(dict.fromkeys(bytes(r[1]) for r in rows)),
                )
            )
        return effects


def with_expiry(msg: Message, seconds: int | None, now: int) -> Message:
    return replace(msg, expires_at=now + seconds * 1000) if seconds else msg
