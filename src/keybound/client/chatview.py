"""What the chat views show, read in one database job per screenful.

The GUI's timeline pages a bounded window of history by keyset; each page
comes with what its rows need to be drawn (reactions, attachments, the quoted
message of a reply, the sender's name), so a page costs one trip to the
database thread instead of several per row.  The conversation list likewise
gets whole rows (title, whether the peer's identity changed), and one row at a
time when an event says it changed.

These functions run on the database thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from keybound.client import identity_alerts, requests, system
from keybound.client.core import Core
from keybound.client.system import SystemNotice
from keybound.client.values import (
    Attachment,
    ConversationKind,
    ConversationSummary,
    Message,
    Reaction,
    Role,
    Verification,
)
from keybound.errors import UnknownConversation, UnknownMessage


@dataclass(frozen=True)
class TimelineEntry:
    """One message with everything its row in the timeline draws."""

    message: Message
    sender_name: str  # "" for our own messages
    reactions: tuple[Reaction, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    quoted: Message | None = None  # the message this one replies to, if still here
    quoted_sender: str = ""
    system: SystemNotice | None = None  # a system line ("Alice added Carol"): drawn centred


@dataclass(frozen=True)
class ConversationRow:
    """One row of the conversation list."""

    summary: ConversationSummary
    title: str  # the group's name, or the contact's name for a direct conversation
    identity_changed: bool  # an identity alert to look at (keys changed, attack, suspect)
    last_sender: str = ""  # who wrote the last message ("" for us or a direct peer)
    last_notice: SystemNotice | None = None  # the last message, if it is a system line

    @property
    def conversation_id(self) -> bytes:
        return self.summary.conversation.conversation_id


class _Names:
    """Display names of identities, looked up once per job."""

    def __init__(self, core: Core) -> None:
        self._core = core
        self._known: dict[bytes, str] = {}

    def __call__(self, identity_id: bytes) -> str:
        if identity_id == self._core.own_id:
            return ""
        name = self._known.get(identity_id)
        if name is None:
            row = self._core.repo.identity(identity_id)
            name = row.display_name if row and row.display_name else identity_id.hex()[:8]
            self._known[identity_id] = name
        return name


def entries(core: Core, messages: list[Message]) -> list[TimelineEntry]:
    """``messages`` with their reactions, attachments and quoted messages (three queries
    for the whole page, not three per message: this runs while the person scrolls)."""
    names = _Names(core)
    repo = core.repo
    ids = [m.message_id for m in messages]
    reactions: dict[bytes, list[Reaction]] = {}
    for r in repo.reactions_of(ids):
        reactions.setdefault(r.message_id, []).append(r)
    files: dict[bytes, list[Attachment]] = {}
    with_files = [m.message_id for m in messages if m.content_type == "attachment"]
    for a in repo.attachments_of(with_files):
        files.setdefault(a.message_id, []).append(a)
    quoted = {
        q.message_id: q for q in repo.messages_of([m.reply_to for m in messages if m.reply_to])
    }
    out: list[TimelineEntry] = []
    for m in messages:
        q = quoted.get(m.reply_to) if m.reply_to else None
        out.append(
            TimelineEntry(
                m, names(m.sender_identity), tuple(reactions.get(m.message_id, ())),
                tuple(files.get(m.message_id, ())), q, names(q.sender_identity) if q else "",
                _notice(m, names),
            )
        )  # fmt: skip
    return out


def _notice(m: Message, names: _Names) -> SystemNotice | None:
    event = system.event_of(m)
    return system.notice(event, names) if event is not None else None


def page(
    core: Core,
    conversation_id: bytes,
    limit: int,
    *,
    before: bytes | None = None,
    after: bytes | None = None,
    around: bytes | None = None,
) -> list[TimelineEntry]:
    """A page of the timeline, oldest first: the latest ``limit`` messages, or those just
    before/after an anchor, or about ``limit`` centred on ``around``."""
    repo = core.repo
    try:
        if around is not None:
            found = repo.message(around)
            if found is None or found.conversation_id != conversation_id:
                raise UnknownMessage()
            half = max(1, limit // 2)
            rows = [
                *repo.before(conversation_id, around, half),
                found,
                *repo.after(conversation_id, around, half),
            ]
        elif before is not None:
            rows = repo.before(conversation_id, before, limit)
        elif after is not None:
            rows = repo.after(conversation_id, after, limit)
        else:
            rows = repo.latest(conversation_id, limit)
    except LookupError:
        raise UnknownMessage() from None
    return entries(core, rows)


class _Peers:
    """What the list's rows need to know of the direct conversations' peers, read once
    per job: their identity rows and which of them have an alert (two queries for the
    whole list instead of three per row)."""

    def __init__(self, core: Core, summaries: list[ConversationSummary]) -> None:
        ids = [
            s.conversation.peer_identity
            for s in summaries
            if s.conversation.peer_identity is not None
        ]
        self.rows = {i.identity_id: i for i in core.repo.identities_of(ids)} if ids else {}
        self.alerted = identity_alerts.alerted(core) if ids else set()


def _row(summary: ConversationSummary, names: _Names, peers: _Peers) -> ConversationRow:
    conv = summary.conversation
    title, changed = conv.name, False
    if conv.kind is ConversationKind.DIRECT and conv.peer_identity is not None:
        peer = peers.rows.get(conv.peer_identity)
        title = conv.name or (peer.display_name if peer else "") or conv.peer_identity.hex()[:8]
        changed = peer is not None and (
            peer.verification is Verification.CHANGED
            or conv.peer_identity in peers.alerted  # banner shown
        )
    last = summary.last_message
    sender = ""
    if last is not None and conv.kind is ConversationKind.GROUP:
        sender = names(last.sender_identity)
    notice = _notice(last, names) if last is not None else None
    return ConversationRow(summary, title, changed, sender, notice)


def _rows(core: Core, summaries: list[ConversationSummary]) -> list[ConversationRow]:
    names, peers = _Names(core), _Peers(core, summaries)
    return [_row(s, names, peers) for s in summaries]


def conversation_rows(core: Core, limit: int | None = None) -> list[ConversationRow]:
    """The conversation list, most recent first (``limit``: its first rows only)."""
    return _rows(core, core.repo.conversations(limit=limit))


def conversation_row(core: Core, conversation_id: bytes) -> ConversationRow | None:
    """One row of the list (None: the conversation is gone or archived)."""
    found = core.repo.conversations(only=conversation_id)
    if not found or found[0].conversation.archived:
        return None
    return _rows(core, found)[0]


@dataclass(frozen=True)
class MemberRow:
    """One member of a group as its page lists them."""

    identity_id: bytes
    name: str  # "" for us
    role: Role
    verification: Verification  # of their security keys (ours: verified)
    is_self: bool
    # False: someone another member added, whom we never added (or named) ourselves
    is_contact: bool


def member_rows(core: Core, conversation_id: bytes) -> list[MemberRow]:
    """The members, admins first, then by name (we come first among equals)."""
    if core.repo.conversation(conversation_id) is None:
        raise UnknownConversation()
    out = []
    for m in core.repo.members(conversation_id):
        me = m.identity_id == core.own_id
        row = core.repo.identity(m.identity_id)
        if me:
            out.append(MemberRow(m.identity_id, "", m.role, Verification.VERIFIED, True, True))
            continue
        name = row.display_name if row is not None and row.display_name else ""
        verification = row.verification if row is not None else Verification.UNVERIFIED
        out.append(
            MemberRow(
                m.identity_id, name or m.identity_id.hex()[:8], m.role, verification,
                False, bool(name) and not requests.is_stranger(row),
            )
        )  # fmt: skip
    out.sort(key=lambda r: (r.role is not Role.ADMIN, not r.is_self, r.name.casefold()))
    return out
