"""Message requests: what people who are not contacts write to us (database thread).

Anyone who knows a device address can send to it.  A message from someone we
have no contact for never makes them a contact: their identity chain is
pinned (it is what authenticates the sender and opens the message), the row is
marked ``is_request``, and the conversation stays out of the contact and
conversation lists until the person decides:

- **accept**: they become a contact under the name given;
- **block**: their messages are deleted, and what they send later is dropped;
- **delete**: their messages are deleted; if they write again, a new request.

Undecryptable junk from strangers is not kept row by row: the inbox counts
it (:data:`STRANGER_JUNK`) and drops it, so a flood cannot fill the history.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from keybound.client import conversations as convs
from keybound.client import settings as cfg
from keybound.client.contacts import contact_info
from keybound.client.core import Core
from keybound.client.values import ContactInfo
from keybound.errors import UnknownContact, UserFacingError
from keybound.store.models import Identity
from keybound.store.repository import Repository

STRANGER_JUNK = "stranger_junk_dropped"  # settings key: how many were counted and dropped


@dataclass(frozen=True)
class RequestInfo:
    """One message request as a list shows it."""

    identity_id: bytes
    conversation_id: bytes
    messages: int
    first_at: int  # when the first message arrived (ms)
    last_at: int
    preview: str | None  # the newest message's text, if it has one
    safety_number: str


def is_request(core: Core, identity_id: bytes) -> bool:
    row = core.repo.identity(identity_id)
    return row is not None and row.is_request


def is_stranger(row: Identity | None) -> bool:
    """Not a contact: unknown, or a message request not accepted yet."""
    return row is None or (row.is_request and not row.is_self)


def count_junk(repo: Repository, n: int) -> None:
    """In the caller's transaction: ``n`` more unreadable envelopes from strangers."""
    if n:
        cfg.put(repo, STRANGER_JUNK, cfg.get(repo, STRANGER_JUNK, 0) + n)


def junk_count(core: Core) -> int:
    return cfg.get(core.repo, STRANGER_JUNK, 0)


def list_requests(core: Core) -> list[RequestInfo]:
    out = []
    for row in core.repo.requests():
        if row.blocked:
            continue
        cid = convs.direct_id(core.own_id, row.identity_id)
        if core.repo.conversation(cid) is None:
            continue  # deleted, nothing new since
        stats = core.db.query_one(
            "SELECT count(*), min(sort_at), max(sort_at) FROM messages WHERE conversation_id = ?",
            (cid,),
        )
        latest = core.repo.latest(cid, 1)
        if stats is None or not stats[0]:
            continue
        out.append(
            RequestInfo(
                identity_id=row.identity_id,
                conversation_id=cid,
                messages=int(stats[0]),
                first_at=int(stats[1]),
                last_at=int(stats[2]),
                preview=latest[-1].body if latest else None,
                safety_number=core.book.safety_number(core.own_id, row.identity_id),
            )
        )
    return out


def find(core: Core, identity_or_prefix: bytes | str) -> bytes:
    """A request's identity ID from the ID or a hex prefix of at least 8 digits."""
    rows = [r for r in core.repo.requests() if not r.blocked]
    if isinstance(identity_or_prefix, bytes):
        matches = [r for r in rows if r.identity_id == identity_or_prefix]
    else:
        text = identity_or_prefix.lower()
        if len(text) < 8 or any(ch not in "0123456789abcdef" for ch in text):
            raise UserFacingError("Name a message request by its ID (8 or more hex digits).")
        matches = [r for r in rows if r.identity_id.hex().startswith(text)]
    if len(matches) == 1:
        return matches[0].identity_id
    if len(matches) > 1:
        raise UnknownContact("Several message requests start with that ID; give more of it.")
    raise UnknownContact("There is no such message request.")


def accept(core: Core, identity_id: bytes, name: str) -> ContactInfo:
    """They become a contact named ``name``; their messages stay."""
    name = name.strip()
    if not name:
        raise UserFacingError("Give the new contact a name.")
    with core.db.transaction():
        row = _request(core, identity_id)
        core.repo.upsert_identity(
            replace(row, is_request=False, display_name=name, updated_at=core.now())
        )
    return contact_info(core, identity_id)


def block(core: Core, identity_id: bytes) -> None:
    """Delete what they sent; drop whatever they send from now on."""
    with core.db.transaction():
        row = _request(core, identity_id)
        core.repo.delete_conversation(convs.direct_id(core.own_id, identity_id))
        core.repo.upsert_identity(replace(row, blocked=True, updated_at=core.now()))


def delete(core: Core, identity_id: bytes) -> None:
    """Delete what they sent; if they write again it is a new request."""
    with core.db.transaction():
        _request(core, identity_id)
        core.repo.delete_conversation(convs.direct_id(core.own_id, identity_id))


def _request(core: Core, identity_id: bytes) -> Identity:
    row = core.repo.identity(identity_id)
    if row is None or not row.is_request:
        raise UnknownContact("There is no such message request.")
    return row
