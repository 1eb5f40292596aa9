"""Receiving: decrypt, deduplicate, store, commit; then (the caller) acknowledge.

:func:`process` handles one batch pushed by the relay in one transaction on
the database thread: each envelope is decrypted by the protocol machine, its
content applied to the store together with the machine's state changes and
the processed message ID, and delivery receipts are queued in the same
transaction.  Only after the commit does the messenger acknowledge the
queue IDs to the relay, which then deletes them: a crash before the commit
means the relay delivers again; a crash after it means the message ID is
already processed and the repeat is acknowledged without a trace.

Envelopes from a device we do not (yet) know as certified are not
acknowledged: the messenger fetches the sender's identity chain and hands
them back (``retrying=True``).  Messages from contacts that can never be
read are stored as visible "could not decrypt" entries, never dropped
silently.  Someone who is not a contact is a message request (``requests``):
their direct texts and files are kept there, anything else they send is
dropped, and what cannot be read is counted, not stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from keybound.client import conversations as convs
from keybound.client import events as ev
from keybound.client import requests, rollback
from keybound.client import system as sysline
from keybound.client.core import Core, Effects, with_expiry
from keybound.client.identities import decode_chain
from keybound.client.sync import CONTACT_SYNC, ContactSync
from keybound.client.system import SystemEvent, SystemKind
from keybound.client.values import ATTACHMENT, TEXT, UNDECRYPTABLE, UNSUPPORTED
from keybound.client.verification import VERIFICATION, VerificationIn
from keybound.errors import (
    HistoryError,
    KeyboundError,
    MalformedData,
    ProtocolError,
    SenderNotCertified,
)
from keybound.protocol import content as c
from keybound.protocol.envelope import Envelope, Scheme
from keybound.protocol.machine import Deferred, Dropped, Duplicate, Received, RoomKeyAccepted
from keybound.store.models import (
    Attachment,
    Conversation,
    ConversationKind,
    InsertResult,
    Message,
    MessageStatus,
    Reaction,
)
from keybound.wire.frames import Incoming

log = logging.getLogger(__name__)

DISPLAYED = (c.Text, c.Reply, c.Attachment)


@dataclass
class InboxResult:
    effects: Effects = field(default_factory=Effects)
    ack: list[int] = field(default_factory=list)
    unknown: dict[bytes, list[Incoming]] = field(default_factory=dict)  # sender -> held back


@dataclass
class _Batch:
    core: Core
    result: InboxResult
    receipts: dict[tuple[bytes, bytes], list[bytes]] = field(
        default_factory=lambda: defaultdict(list)
    )
    read_upto: dict[bytes, Message] = field(default_factory=dict)
    conversations: dict[bytes, Conversation | None] = field(default_factory=dict)
    blocked: dict[bytes, bool] = field(default_factory=dict)
    strangers: dict[bytes, bool] = field(default_factory=dict)
    junk: int = 0  # unreadable envelopes from strangers: counted, not stored

    @property
    def events(self) -> list[ev.Event]:
        return self.result.effects.events

    def conversation(self, conversation_id: bytes) -> Conversation | None:
        """The conversation row, read once per batch (changes below forget it again)."""
        if conversation_id not in self.conversations:
            self.conversations[conversation_id] = self.core.repo.conversation(conversation_id)
        return self.conversations[conversation_id]

    def is_blocked(self, identity_id: bytes) -> bool:
        if identity_id not in self.blocked:
            row = self.core.repo.identity(identity_id)
            self.blocked[identity_id] = row is not None and row.blocked
        return self.blocked[identity_id]

    def is_stranger(self, identity_id: bytes) -> bool:
        """Not a contact (unknown, or a message request): see ``requests``."""
        if identity_id not in self.strangers:
            self.strangers[identity_id] = requests.is_stranger(self.core.repo.identity(identity_id))
        return self.strangers[identity_id]


def process(core: Core, batch: list[Incoming], *, retrying: bool = False) -> InboxResult:
    """Decrypt and store ``batch``; the queue IDs to acknowledge once this returns.

    If the transaction fails (the disk is full, the database is locked or cannot
    be written) the ratchets this batch moved in memory are reloaded from the
    database before the error goes on: nothing is acknowledged, the relay keeps
    the messages, and decrypting them again later works (see ``rollback``).
    """
    try:
        return _process(core, batch, retrying)
    except BaseException:
        with contextlib.suppress(Exception):  # keep the first error, not a second one
            rollback.reload(core)
        raise


def _process(core: Core, batch: list[Incoming], retrying: bool) -> InboxResult:
    work = _Batch(core, InboxResult())
    with core.db.transaction():
        for incoming in batch:
            # No savepoint per message: FTS5 flushes its index at every savepoint, which
            # would cost a segment write per message instead of one per batch.
            try:
                _one(work, incoming, retrying)
            except HistoryError:
                raise  # the database itself failed: roll the batch back, acknowledge nothing
            except Exception as exc:  # a bug must not make a message come back forever
                log.exception("failed to process an incoming message")
                work.events.append(
                    ev.EngineError(f"A message could not be processed: {exc}", "inbox")
                )
                _notice_raw(work, incoming, "This message could not be processed.")
                if incoming.queue_id not in work.result.ack:
                    work.result.ack.append(incoming.queue_id)
        requests.count_junk(core.repo, work.junk)
        _send_receipts(work)
        for conversation_id, msg in work.read_upto.items():
            core.repo.mark_read(conversation_id, msg.message_id)
            work.events.append(ev.ConversationChanged(conversation_id))
    return work.result


def _one(work: _Batch, incoming: Incoming, retrying: bool) -> None:
    core, result = work.core, work.result
    try:
        env = Envelope.decode(incoming.payload)
    except (MalformedData, ProtocolError) as exc:
        _notice_raw(work, incoming, str(exc))
        result.ack.append(incoming.queue_id)
        return
    if (env.sender_identity, env.sender_device) != (
        incoming.sender.identity_id,
        incoming.sender.device_id,
    ):
        log.info("an envelope's sender differs from the device the relay authenticated")
        _notice_raw(work, incoming, "This message claims another sender than the one that sent it.")
        result.ack.append(incoming.queue_id)
        return
    if work.is_blocked(env.sender_identity):
        core.repo.mark_processed(env.message_id, core.now())
        result.ack.append(incoming.queue_id)
        return
    try:
        # the machine recognises duplicates itself (its recent window, then the store)
        decrypted = core.machine.decrypt(incoming.payload, env)
    except SenderNotCertified as exc:
        if not retrying:
            result.unknown.setdefault(env.sender_identity, []).append(incoming)
            return
        _notice(work, env, str(exc))
    except (ProtocolError, MalformedData) as exc:
        _notice(work, env, str(exc))
    else:
        core.write_state(decrypted.changes)  # written once per key, at the commit
        for event in decrypted.events:
            match event:
                case Received():
                    _received(work, event)
                    core.repo.mark_processed(event.message_id, core.now())
                case Dropped(message_id=mid, error=error):
                    core.repo.mark_processed(mid, core.now())
                    work.events.append(
                        ev.EngineError(f"A group message could not be read: {error}", "inbox")
                    )
                case Duplicate() | Deferred() | RoomKeyAccepted():
                    pass
    result.ack.append(incoming.queue_id)


# --- notices for what cannot be read ------------------------------------------------------


def _notice(work: _Batch, env: Envelope, reason: str) -> None:
    core = work.core
    if env.sender_identity != core.own_id and work.is_stranger(env.sender_identity):
        work.junk += 1  # junk from strangers is counted, never stored row by row
        return
    core.repo.mark_processed(env.message_id, core.now())
    if env.sender_identity == core.own_id:
        work.events.append(ev.EngineError(f"A message from another device of ours: {reason}"))
        return
    conv = convs.ensure_direct(core.repo, core.own_id, env.sender_identity, core.now())
    _store(
        work,
        Message(
            message_id=env.message_id,
            conversation_id=conv.conversation_id,
            sender_identity=env.sender_identity,
            sender_device=env.sender_device,
            outgoing=False,
            sent_at=env.timestamp_ms,
            body=None,
            content_type=UNDECRYPTABLE,
            received_at=core.stamp(),
            failure_reason=reason,
        ),
    )


def _notice_raw(work: _Batch, incoming: Incoming, reason: str) -> None:
    """A notice for bytes without a readable envelope: its ID comes from the bytes."""
    core = work.core
    sender = incoming.sender.identity_id
    if sender != core.own_id and work.is_stranger(sender):
        work.junk += 1
        return
    digest = hashlib.sha256(incoming.payload).digest()
    mid = min(incoming.received_ms, (1 << 48) - 1).to_bytes(6, "big") + digest[:10]
    if not core.repo.mark_processed(mid, core.now()):
        return
    env = Envelope(
        mid,
        incoming.sender.identity_id,
        incoming.sender.device_id,
        incoming.received_ms,
        0,
        Scheme.OLM,
        b"",
    )
    if env.sender_identity == core.own_id:
        return
    _notice(work, env, reason)


def _store(work: _Batch, msg: Message) -> bool:
    core = work.core
    conv = work.conversation(msg.conversation_id)
    if conv is not None:
        msg = with_expiry(msg, conv.disappearing_seconds, core.now())
    if core.repo.insert_message(msg) is InsertResult.DUPLICATE:
        return False
    work.events.append(ev.MessageReceived(msg))
    return True


# --- content --------------------------------------------------------------------------------


def _conversation(work: _Batch, r: Received) -> Conversation | None:
    """Where ``r`` belongs, or None if its sender may not post there."""
    core = work.core
    own = r.sender_identity == core.own_id
    conv = work.conversation(r.conversation_id)
    if conv is None and r.scheme is Scheme.OLM:
        if own:
            conv = convs.find_direct(core.repo, core.own_id, r.conversation_id)
        elif r.conversation_id == convs.direct_id(core.own_id, r.sender_identity):
            conv = convs.ensure_direct(core.repo, core.own_id, r.sender_identity, core.now())
            work.events.append(ev.ConversationChanged(conv.conversation_id))
    if conv is None and r.scheme is Scheme.MEGOLM:
        # a group we have not heard of yet (its snapshot may come later from an admin)
        conv = convs.upsert_group(
            core.repo, r.conversation_id, "", [r.sender_identity, core.own_id], [], core.now()
        )
        work.events.append(ev.ConversationChanged(conv.conversation_id))
    if conv is None or own:
        return conv
    if conv.kind is ConversationKind.DIRECT:
        return conv if conv.peer_identity == r.sender_identity else None
    return conv if convs.is_member(core.repo, conv.conversation_id, r.sender_identity) else None


def _received(work: _Batch, r: Received) -> None:
    core = work.core
    own = r.sender_identity == core.own_id
    content = r.content
    if isinstance(content, c.Unsupported) and content.type == CONTACT_SYNC:
        if own:
            work.conversations.clear()
            work.blocked.clear()
            _contact_sync(work, content.raw)
        return
    if isinstance(content, c.DeviceListNotice):
        if core.repo.identity(content.identity_id) is not None:
            work.result.effects.refresh.add(content.identity_id)
        return
    if isinstance(content, c.DeliveryReceipt | c.ReadReceipt):
        _receipt(work, r, content)
        return
    if not own and work.is_stranger(r.sender_identity) and not _request_message(work, r):
        return  # a message request holds direct messages only: no groups, edits or timers
    if isinstance(content, c.Unsupported) and content.type == VERIFICATION:
        if not own:  # never stored: the session's verifications take it after the commit
            work.result.effects.verification.append(
                VerificationIn(r.sender_identity, r.sender_device, content.raw, r.timestamp_ms)
            )
        return
    if isinstance(content, c.GroupCreate):  # a snapshot: may also come over Olm
        work.conversations.clear()
        _group_create(work, r, content)
        return
    conv = _conversation(work, r)
    work.conversations.pop(r.conversation_id, None)  # it may have been created just now
    if conv is None:
        log.info("dropped a message from someone who may not post in that conversation")
        return
    cid = conv.conversation_id
    if not isinstance(content, DISPLAYED):
        work.conversations.pop(cid, None)  # group and timer changes edit the row
    match content:
        case c.Text() | c.Reply() | c.Attachment() | c.Unsupported():
            _message(work, r, conv, content)
        case c.Edit(target=target, text=text):
            if _authored(core, target, r, cid) and core.repo.edit_message(
                target, text, r.timestamp_ms
            ):
                work.events.append(ev.MessageEdited(target, cid, r.timestamp_ms))
        case c.Delete(target=target):
            if _authored(core, target, r, cid) and core.repo.delete_for_everyone(
                target, r.timestamp_ms
            ):
                work.events.append(ev.MessageDeleted(target, cid))
        case c.Reaction(target=target, emoji=emoji, remove=remove):
            m = core.repo.message(target)
            if m and m.conversation_id == cid:
                if remove:
                    core.repo.remove_reaction(target, r.sender_identity)
                else:
                    core.repo.set_reaction(
                        Reaction(target, r.sender_identity, emoji, r.timestamp_ms)
                    )
                work.events.append(
                    ev.ReactionChanged(target, cid, r.sender_identity, None if remove else emoji)
                )
        case c.Typing(started=started):
            if not own:
                work.events.append(ev.TypingChanged(cid, r.sender_identity, started))
        case c.GroupAdd(members=members):
            if own or convs.is_admin(core.repo, cid, r.sender_identity):
                convs.add_members(core.repo, cid, members, core.now())
                _meet(work, members)
                _system_line(work, r, cid, SystemEvent(SystemKind.ADDED, r.sender_identity,
                                                       tuple(members)))  # fmt: skip
                work.events.append(ev.ConversationChanged(cid))
        case c.GroupRemove(members=members):
            allowed = own or convs.is_admin(core.repo, cid, r.sender_identity)
            leaving = set(members) == {r.sender_identity}
            if allowed or leaving:
                convs.remove_members(core.repo, cid, members)
                kind = SystemKind.LEFT if leaving else SystemKind.REMOVED
                subjects = () if leaving else tuple(members)
                _system_line(work, r, cid, SystemEvent(kind, r.sender_identity, subjects))
                work.events.append(ev.ConversationChanged(cid))
        case c.GroupRename(name=name):
            convs.rename(core.repo, cid, name)
            _system_line(
                work, r, cid, SystemEvent(SystemKind.RENAMED, r.sender_identity, name=name)
            )
            work.events.append(ev.ConversationChanged(cid))
        case c.GroupLeave():
            convs.remove_members(core.repo, cid, [r.sender_identity])
            _system_line(work, r, cid, SystemEvent(SystemKind.LEFT, r.sender_identity))
            work.events.append(ev.ConversationChanged(cid))
        case c.DisappearingTimer(seconds=seconds):
            convs.set_timer(core.repo, cid, seconds)
            event = SystemEvent(SystemKind.TIMER, r.sender_identity, seconds=seconds or 0)
            _system_line(work, r, cid, event)
            work.events.append(ev.ConversationChanged(cid))
        case _:
            pass


def _system_line(work: _Batch, r: Received, conversation_id: bytes, event: SystemEvent) -> None:
    """The history's line for a change ``r`` made (see ``system``): never expiring, no
    receipt; a repeat (the row we wrote ourselves when acting) is a duplicate."""
    core = work.core
    own = r.sender_identity == core.own_id
    msg = sysline.row(
        event, message_id=r.message_id, conversation_id=conversation_id,
        sender_device=r.sender_device, outgoing=own, received_at=None if own else core.stamp(),
    )  # fmt: skip
    if core.repo.insert_message(msg) is InsertResult.INSERTED:
        work.events.append(ev.MessageReceived(msg))


def _request_message(work: _Batch, r: Received) -> bool:
    """What a stranger may leave in a message request: a direct text or file."""
    direct = convs.direct_id(work.core.own_id, r.sender_identity)
    return (
        isinstance(r.content, DISPLAYED)
        and r.scheme is Scheme.OLM
        and (r.conversation_id == direct)
    )


def _authored(core: Core, target: bytes, r: Received, conversation_id: bytes) -> bool:
    """Only a message's own sender may edit or delete it, in its own conversation."""
    m = core.repo.message(target)
    return (
        m is not None
        and m.sender_identity == r.sender_identity
        and m.conversation_id == conversation_id
    )


def _message(
    work: _Batch,
    r: Received,
    conv: Conversation,
    content: c.Text | c.Reply | c.Attachment | c.Unsupported,
) -> None:
    core = work.core
    own = r.sender_identity == core.own_id
    body: str | None
    kind, body, reply_to = TEXT, None, None
    if isinstance(content, c.Text):
        body = content.text
    elif isinstance(content, c.Reply):
        body, reply_to = content.text, content.reply_to
    elif isinstance(content, c.Attachment):
        kind, body = ATTACHMENT, content.file_name
    else:
        kind = UNSUPPORTED
    msg = Message(
        message_id=r.message_id,
        conversation_id=conv.conversation_id,
        sender_identity=r.sender_identity,
        sender_device=r.sender_device,
        outgoing=own,
        sent_at=r.timestamp_ms,
        body=body,
        content_type=kind,
        received_at=None if own else core.stamp(),
        reply_to=reply_to,
        status=MessageStatus.SENT if own else MessageStatus.RECEIVED,
    )
    if not _store(work, msg):
        return
    if isinstance(content, c.Attachment):
        core.repo.add_attachment(
            Attachment(
                r.message_id,
                0,
                content.blob_id,
                content.key,
                content.digest,
                content.size,
                content.media_type,
                content.file_name,
                content.thumbnail,
            )
        )
    if not own and not work.is_stranger(r.sender_identity):  # no receipts to strangers
        work.receipts[(r.sender_identity, conv.conversation_id)].append(r.message_id)


def _receipt(work: _Batch, r: Received, content: c.DeliveryReceipt | c.ReadReceipt) -> None:
    core = work.core
    read = isinstance(content, c.ReadReceipt)
    for mid in content.message_ids:
        m = core.repo.message(mid)
        if m is None:
            continue
        if r.sender_identity == core.own_id:
            # another device of ours read it: so have we
            if read and not m.outgoing:
                best = work.read_upto.get(m.conversation_id)
                if best is None or (m.sort_at, m.message_id) > (best.sort_at, best.message_id):
                    work.read_upto[m.conversation_id] = m
            continue
        if not m.outgoing:
            continue
        at = r.timestamp_ms
        core.repo.add_receipt(
            mid,
            r.sender_identity,
            r.sender_device,
            delivered_at=None if read else at,
            read_at=at if read else None,
        )
        work.events.append(
            ev.ReceiptReceived(mid, m.conversation_id, r.sender_identity, r.sender_device, read, at)
        )
        work.events.extend(core.status_from_receipts(m, work.conversation(m.conversation_id)))


def _group_create(work: _Batch, r: Received, content: c.GroupCreate) -> None:
    core = work.core
    gid = r.conversation_id
    existing = core.repo.conversation(gid)
    if existing is not None:
        if existing.kind is not ConversationKind.GROUP:
            return
        admins = {m.identity_id for m in core.repo.members(gid) if m.role.value == "admin"}
        if admins and r.sender_identity not in admins and r.sender_identity != core.own_id:
            return
    members = set(content.members) | {r.sender_identity}
    convs.upsert_group(core.repo, gid, content.name, members, [r.sender_identity], core.now())
    _meet(work, members)
    if existing is None and r.scheme is Scheme.MEGOLM:
        # the creator's own message; a new member's snapshot (over Olm) is followed
        # by the "added" line instead
        event = SystemEvent(SystemKind.CREATED, r.sender_identity, name=content.name)
        _system_line(work, r, gid, event)
    work.events.append(ev.ConversationChanged(gid))


def _meet(work: _Batch, people: Iterable[bytes]) -> None:
    """Fetch the chains of group members we do not know yet (to send to them)."""
    for identity_id in people:
        if identity_id != work.core.own_id and work.core.book.get(identity_id) is None:
            work.result.effects.refresh.add(identity_id)


def _contact_sync(work: _Batch, raw: bytes) -> None:
    core = work.core
    try:
        sync = ContactSync.decode(raw)
    except MalformedData:
        log.warning("a contact sync from another device of ours was malformed")
        return
    for contact in sync.contacts:
        if contact.identity_id == core.own_id:
            continue
        try:
            update = core.book.accept(
                core.repo,
                decode_chain(contact.chain),
                core.env.now_s(),
                core.now(),
                expected=contact.identity_id,
            )
        except KeyboundError as exc:
            log.warning("a synced contact's chain was refused: %s", type(exc).__name__)
            continue
        row = core.repo.identity(contact.identity_id)
        if row is None:
            continue
        from dataclasses import replace

        core.repo.upsert_identity(
            replace(
                row,
                display_name=row.display_name or contact.display_name,
                verification=contact.verification if update.is_new else row.verification,
                blocked=contact.blocked,
            )
        )
        convs.ensure_direct(core.repo, core.own_id, contact.identity_id, core.now())
    for group in sync.groups:
        if core.repo.conversation(group.group_id) is None:
            convs.upsert_group(
                core.repo, group.group_id, group.name, group.members, group.admins, core.now()
            )
            convs.set_timer(core.repo, group.group_id, group.timer)
            work.events.append(ev.ConversationChanged(group.group_id))
    for peer, seconds in sync.direct_timers:
        if core.repo.identity(peer) is not None:
            conv = convs.ensure_direct(core.repo, core.own_id, peer, core.now())
            convs.set_timer(core.repo, conv.conversation_id, seconds)
    if sync.contacts:
        work.events.append(ev.ConversationChanged(b""))


def _send_receipts(work: _Batch) -> None:
    core = work.core
    for (sender, conversation_id), ids in work.receipts.items():
        for i in range(0, len(ids), 512):
            item = core.item_to(
                conversation_id, False, [sender], c.DeliveryReceipt(tuple(ids[i : i + 512]))
            )
            core.queue(item, work.result.effects)
