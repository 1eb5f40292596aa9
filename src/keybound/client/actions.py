"""What the person does, as jobs on the database thread: each changes the local
history and queues the messages that tell the other devices, in one transaction.

The messenger runs these through ``DbThread.run`` and then acts on the
returned :class:`~keybound.client.core.Effects` (events, waking the flusher).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from keybound.client import conversations as convs
from keybound.client import events as ev
from keybound.client import identity_alerts
from keybound.client import system as sysline
from keybound.client.core import Core, Effects, with_expiry
from keybound.client.queues import ComposeItem
from keybound.client.sync import build as build_sync
from keybound.client.system import SystemEvent, SystemKind
from keybound.client.values import TEXT
from keybound.errors import NotAllowed, UnknownConversation, UnknownMessage
from keybound.protocol import content as c
from keybound.protocol.ids import message_id_time
from keybound.store.models import (
    Attachment,
    Conversation,
    ConversationKind,
    Message,
    MessageStatus,
    Reaction,
    Role,
)

GROUP_ID_SIZE = 16


def _conv(core: Core, conversation_id: bytes) -> Conversation:
    conv = core.repo.conversation(conversation_id)
    if conv is None:
        raise UnknownConversation()
    if conv.kind is ConversationKind.GROUP and not convs.is_member(
        core.repo, conversation_id, core.own_id
    ):
        raise NotAllowed("You are no longer a member of this group.")
    return conv


def _system_line(core: Core, item: ComposeItem, event: SystemEvent) -> ev.Event:
    """Our own system line for the change ``item`` tells the others (in the caller's
    transaction; the others file theirs under the same message ID)."""
    msg = sysline.row(
        event, message_id=item.message_id, conversation_id=item.conversation_id,
        sender_device=core.device_id, outgoing=True, received_at=None,
    )  # fmt: skip
    core.repo.insert_message(msg)
    return ev.MessageReceived(msg)


def _own_message(core: Core, message_id: bytes) -> Message:
    msg = core.repo.message(message_id)
    if msg is None:
        raise UnknownMessage()
    if not msg.outgoing or msg.sender_identity != core.own_id:
        raise NotAllowed("Only your own messages can be changed.")
    if msg.deleted:
        raise NotAllowed("This message was deleted.")
    return msg


# --- messages ---------------------------------------------------------------------------


def send(
    core: Core,
    conversation_id: bytes,
    content: c.Text | c.Reply | c.Attachment,
    attachments: Sequence[Attachment] = (),
    *,
    content_kind: str = TEXT,
    message_id: bytes | None = None,
) -> tuple[Message, Effects]:
    """Store the message as "sending" and queue it for every recipient device
    (``SendingHeld`` while a verified recipient's keys changed unseen)."""
    conv = _conv(core, conversation_id)
    identity_alerts.check_send(core, conversation_id, conv)
    item = core.item(conversation_id, content, message_id=message_id, conv=conv)
    body: str | None
    reply_to = None
    if isinstance(content, c.Reply):
        body, reply_to = content.text, content.reply_to
    elif isinstance(content, c.Text):
        body = content.text
    else:
        body = content.file_name
    msg = Message(
        message_id=item.message_id,
        conversation_id=conversation_id,
        sender_identity=core.own_id,
        sender_device=core.device_id,
        outgoing=True,
        sent_at=message_id_time(item.message_id),
        body=body,
        content_type=content_kind,
        reply_to=reply_to,
        status=MessageStatus.SENDING,
    )
    msg = with_expiry(msg, conv.disappearing_seconds, core.now())
    attachments = [replace(a, message_id=item.message_id) for a in attachments]
    effects = core.compose([item], msg, attachments)
    return msg, effects


def edit(core: Core, message_id: bytes, text: str) -> Effects:
    msg = _own_message(core, message_id)
    item = core.item(_conv(core, msg.conversation_id).conversation_id, c.Edit(message_id, text))
    with core.db.transaction():
        core.repo.edit_message(message_id, text, message_id_time(item.message_id))
        effects = core.compose([item])
    effects.events.append(ev.MessageEdited(message_id, msg.conversation_id, core.now()))
    return effects


def delete_for_everyone(core: Core, message_id: bytes) -> Effects:
    msg = _own_message(core, message_id)
    item = core.item(_conv(core, msg.conversation_id).conversation_id, c.Delete(message_id))
    with core.db.transaction():
        core.repo.delete_for_everyone(message_id, message_id_time(item.message_id))
        effects = core.compose([item])
    effects.events.append(ev.MessageDeleted(message_id, msg.conversation_id))
    return effects


def react(core: Core, message_id: bytes, emoji: str, remove: bool) -> Effects:
    msg = core.repo.message(message_id)
    if msg is None:
        raise UnknownMessage()
    conv = _conv(core, msg.conversation_id)
    item = core.item(conv.conversation_id, c.Reaction(message_id, emoji, remove))
    with core.db.transaction():
        if remove:
            core.repo.remove_reaction(message_id, core.own_id)
        else:
            core.repo.set_reaction(Reaction(message_id, core.own_id, emoji, core.now()))
        effects = core.compose([item])
    effects.events.append(
        ev.ReactionChanged(message_id, conv.conversation_id, core.own_id, None if remove else emoji)
    )
    return effects


def mark_read(core: Core, conversation_id: bytes, up_to: bytes | None) -> Effects:
    """Move the read position; tell the senders (if read receipts are on) and our devices."""
    conv = core.repo.conversation(conversation_id)
    if conv is None:
        raise UnknownConversation()
    latest = core.repo.latest(conversation_id, 1)
    target = core.repo.message(up_to) if up_to is not None else (latest[0] if latest else None)
    effects = Effects()
    if target is None or target.conversation_id != conversation_id:
        return effects
    rows = core.db.query(
        "SELECT m.message_id, m.sender_identity FROM messages AS m JOIN conversations AS c "
        "ON c.conversation_id = m.conversation_id WHERE m.conversation_id = ? "
        "AND m.outgoing = 0 AND m.deleted = 0 AND m.content_type <> 'system' "
        "AND (m.sort_at, m.message_id) > (c.last_read_sort_at, c.last_read_message_id) "
        "AND (m.sort_at, m.message_id) <= (?, ?)",
        (conversation_id, target.sort_at, target.message_id),
    )
    by_sender: dict[bytes, list[bytes]] = defaultdict(list)
    for mid, sender in rows:
        by_sender[bytes(sender)].append(bytes(mid))
    items: list[ComposeItem] = []
    for sender, ids in by_sender.items():
        recipients = [sender] if core.settings.read_receipts else []
        for i in range(0, len(ids), 512):
            receipt = c.ReadReceipt(tuple(ids[i : i + 512]))
            items.append(core.item_to(conversation_id, False, recipients, receipt))
    with core.db.transaction():
        core.repo.mark_read(conversation_id, target.message_id)
        effects = core.compose(items)
    effects.events.append(ev.ConversationChanged(conversation_id))
    return effects


def typing_item(core: Core, conversation_id: bytes, started: bool) -> ComposeItem | None:
    """Typing goes over Olm even in groups: it is sent once and may be lost, and a
    Megolm send could carry room-key shares that must not be lost."""
    if not core.settings.typing_indicators:
        return None
    conv = _conv(core, conversation_id)
    r = convs.route(core.repo, core.own_id, conv)
    return core.item_to(conversation_id, False, r.recipients, c.Typing(started))


def set_timer(core: Core, conversation_id: bytes, seconds: int | None) -> Effects:
    _conv(core, conversation_id)
    item = core.item(conversation_id, c.DisappearingTimer(seconds or 0))
    event = SystemEvent(SystemKind.TIMER, core.own_id, seconds=seconds or 0)
    with core.db.transaction():
        convs.set_timer(core.repo, conversation_id, seconds)
        effects = core.compose([item])
        effects.events.append(_system_line(core, item, event))
    effects.events.append(ev.ConversationChanged(conversation_id))
    return effects


def default_timer(core: Core, conversation_id: bytes) -> Effects:
    """A conversation we just started takes the default disappearing timer (if one is set),
    told to the others like any timer change."""
    seconds = core.settings.default_timer_seconds
    return set_timer(core, conversation_id, seconds) if seconds > 0 else Effects()


def retry(core: Core, message_id: bytes) -> Effects:
    _own_message(core, message_id)
    return core.retry_message(message_id)


# --- groups --------------------------------------------------------------------------------


def create_group(core: Core, name: str, members: Sequence[bytes]) -> tuple[bytes, Effects]:
    name = name.strip()
    if not name:
        raise NotAllowed("A group needs a name.")
    others = [m for m in dict.fromkeys(members) if m != core.own_id]
    for m in others:
        if core.book.get(m) is None:
            raise NotAllowed("Add every member as a contact first.")
    group_id = core.env.random(GROUP_ID_SIZE)
    everyone = [core.own_id, *others]
    with core.db.transaction():
        convs.upsert_group(core.repo, group_id, name, everyone, [core.own_id], core.now())
        create = core.item_to(group_id, True, others, c.GroupCreate(name, tuple(everyone)))
        lines = [(create, SystemEvent(SystemKind.CREATED, core.own_id, name=name))]
        timer = core.settings.default_timer_seconds  # a group we start takes the default
        if timer > 0:
            convs.set_timer(core.repo, group_id, timer)
            item = core.item(group_id, c.DisappearingTimer(timer))
            lines.append((item, SystemEvent(SystemKind.TIMER, core.own_id, seconds=timer)))
        effects = core.compose([item for item, _event in lines])
        for item, event in lines:
            effects.events.append(_system_line(core, item, event))
    effects.events.append(ev.ConversationChanged(group_id))
    return group_id, effects


def _admin(core: Core, group_id: bytes) -> Conversation:
    conv = _conv(core, group_id)
    if conv.kind is not ConversationKind.GROUP:
        raise NotAllowed("This is not a group.")
    if not convs.is_admin(core.repo, group_id, core.own_id):
        raise NotAllowed("Only the group's admins can change its members.")
    return conv


def add_members(core: Core, group_id: bytes, members: Sequence[bytes]) -> Effects:
    conv = _admin(core, group_id)
    current = [m.identity_id for m in core.repo.members(group_id)]
    new = [m for m in dict.fromkeys(members) if m not in current]
    for m in new:
        if core.book.get(m) is None:
            raise NotAllowed("Add every member as a contact first.")
    everyone = [*current, *new]
    with core.db.transaction():
        convs.add_members(core.repo, group_id, new, core.now())
        snapshot = core.item_to(group_id, False, new, c.GroupCreate(conv.name, tuple(everyone)))
        notice = core.item(group_id, c.GroupAdd(tuple(new)))
        effects = core.compose([snapshot, notice])
        event = SystemEvent(SystemKind.ADDED, core.own_id, tuple(new))
        effects.events.append(_system_line(core, notice, event))
    effects.events.append(ev.ConversationChanged(group_id))
    return effects


def remove_members(core: Core, group_id: bytes, members: Sequence[bytes]) -> Effects:
    """Tell everyone (the removed too), then forget them: the next message goes out
    under a new group session they never get."""
    _admin(core, group_id)
    current = {m.identity_id for m in core.repo.members(group_id)}
    gone = [m for m in dict.fromkeys(members) if m != core.own_id and m in current]
    if not gone:
        return Effects()
    with core.db.transaction():
        notice = core.item(group_id, c.GroupRemove(tuple(gone)))
        effects = core.compose([notice])
        event = SystemEvent(SystemKind.REMOVED, core.own_id, tuple(gone))
        effects.events.append(_system_line(core, notice, event))
        convs.remove_members(core.repo, group_id, gone)
    effects.events.append(ev.ConversationChanged(group_id))
    return effects


def rename_group(core: Core, group_id: bytes, name: str) -> Effects:
    conv = _conv(core, group_id)
    if conv.kind is not ConversationKind.GROUP:
        raise NotAllowed("This is not a group.")
    name = name.strip()
    if not name:
        raise NotAllowed("A group needs a name.")
    with core.db.transaction():
        item = core.item(group_id, c.GroupRename(name))
        effects = core.compose([item])
        event = SystemEvent(SystemKind.RENAMED, core.own_id, name=name)
        effects.events.append(_system_line(core, item, event))
        convs.rename(core.repo, group_id, name)
    effects.events.append(ev.ConversationChanged(group_id))
    return effects


def leave_group(core: Core, group_id: bytes) -> Effects:
    conv = _conv(core, group_id)
    if conv.kind is not ConversationKind.GROUP:
        raise NotAllowed("This is not a group.")
    with core.db.transaction():
        item = core.item(group_id, c.GroupLeave())
        effects = core.compose([item])
        effects.events.append(_system_line(core, item, SystemEvent(SystemKind.LEFT, core.own_id)))
        convs.remove_members(core.repo, group_id, [core.own_id])
    effects.events.append(ev.ConversationChanged(group_id))
    return effects


def members(core: Core, conversation_id: bytes) -> list[tuple[bytes, Role]]:
    return [(m.identity_id, m.role) for m in core.repo.members(conversation_id)]


# --- our own devices -------------------------------------------------------------------------


def announce_devices(core: Core, with_sync: bool) -> Effects:
    """Our device list changed: tell every contact and our devices (a hint to refetch
    our chain); with ``with_sync``, also send our devices the contact list."""
    verified = core.book.get(core.own_id)
    if verified is None:
        return Effects()
    notice = c.DeviceListNotice(core.own_id, verified.head, verified.version)
    people = [p.identity_id for p in core.repo.contacts() if core.book.get(p.identity_id)]
    items = [core.item_to(core.own_id, False, people, notice)]
    if with_sync:
        syncs = build_sync(core.repo, core.own_id)
        items += [core.item_to(core.own_id, False, [], s.content()) for s in syncs]
    return core.compose(items)
