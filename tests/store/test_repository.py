"""The repository API: messages, pagination against a model, the conversation list, CRUD."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keybound.protocol.state import StateChange
from keybound.store.database import HISTORY_FILE, Database
from keybound.store.models import (
    Attachment,
    AttachmentState,
    Conversation,
    ConversationKind,
    Device,
    Identity,
    InsertResult,
    Message,
    MessageStatus,
    OutboxState,
    Reaction,
    Role,
    Verification,
    new_message_id,
)
from keybound.store.repository import Repository

KEY = bytes(range(32))
ME, ALICE, BOB = b"me", b"alice", b"bob"
C1, C2 = b"conv-1", b"conv-2"


def open_repo(directory: Path) -> Repository:
    repo = Repository(Database.open(directory / HISTORY_FILE, KEY))
    repo.upsert_identity(Identity(ME, 1, "Me", is_self=True))
    repo.upsert_identity(Identity(ALICE, 1, "Alice"))
    repo.upsert_identity(Identity(BOB, 1, "Bob"))
    repo.upsert_conversation(Conversation(C1, ConversationKind.DIRECT, 5, peer_identity=ALICE))
    repo.upsert_conversation(Conversation(C2, ConversationKind.GROUP, 7, "Group"))
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    r = open_repo(tmp_path)
    yield r
    r.db.close()


def msg(
    n: int, conv: bytes = C1, *, outgoing: bool = False, at: int | None = None, body: str = ""
) -> Message:
    t = 1000 + n if at is None else at
    return Message(
        new_message_id(t),
        conv,
        ME if outgoing else ALICE,
        b"device",
        outgoing,
        t,
        body or f"message {n}",
        received_at=None if outgoing else t + 1,
        status=MessageStatus.SENT if outgoing else MessageStatus.RECEIVED,
    )


def test_insert_is_idempotent_by_message_id(repo: Repository) -> None:
    m = msg(1)
    assert repo.insert_message(m) is InsertResult.INSERTED
    assert repo.insert_message(replace(m, body="a different body")) is InsertResult.DUPLICATE
    assert repo.message(m.message_id) == m
    unread = {s.conversation.conversation_id: s.unread_count for s in repo.conversations()}
    assert unread == {C1: 1, C2: 0}  # the duplicate was not counted again


def test_message_round_trips_every_field(repo: Repository) -> None:
    m = Message(
        new_message_id(5), C2, BOB, b"bob-phone", False, 5, "hi", "text/markdown", 9, None,
        b"r" * 16, MessageStatus.RECEIVED, None, 99_999, False,
    )  # fmt: skip
    repo.insert_message(m)
    loaded = repo.message(m.message_id)
    assert loaded == m
    assert repo.message(bytes(16)) is None
    # loaded without the dataclass __init__, yet the same kind of value: typed, frozen, hashable
    assert loaded is not None and type(loaded.status) is MessageStatus
    assert type(loaded.outgoing) is bool and hash(loaded) == hash(m)
    with pytest.raises(FrozenInstanceError):
        loaded.body = "changed"  # type: ignore[misc]
    (summary,) = [s for s in repo.conversations() if s.conversation.conversation_id == C2]
    assert summary.last_message == m and summary.unread_count == 1
    with pytest.raises(FrozenInstanceError):
        summary.unread_count = 0  # type: ignore[misc]


def test_status_edit_and_delete_for_everyone(repo: Repository) -> None:
    m = msg(1, outgoing=True)
    repo.insert_message(m)
    assert repo.update_status(m.message_id, MessageStatus.FAILED, "relay refused")
    got = repo.message(m.message_id)
    assert got is not None
    assert (got.status, got.failure_reason) == (MessageStatus.FAILED, "relay refused")
    assert repo.edit_message(m.message_id, "second", edited_at=20)
    assert not repo.edit_message(m.message_id, "older edit arrives late", edited_at=10)
    got = repo.message(m.message_id)
    assert got is not None
    assert (got.body, got.edited_at) == ("second", 20)
    repo.set_reaction(Reaction(m.message_id, ALICE, "❤", 30))
    repo.add_attachment(Attachment(m.message_id, 0, b"blob", b"k" * 32, b"d", 10, "image/png"))
    assert repo.delete_for_everyone(m.message_id, at=40)
    assert not repo.delete_for_everyone(m.message_id, at=41)
    assert not repo.edit_message(m.message_id, "edit after delete", edited_at=50)
    got = repo.message(m.message_id)
    assert got is not None
    assert (got.deleted, got.body, got.edited_at) == (True, None, 40)
    assert repo.reactions(m.message_id) == []
    assert repo.attachments(m.message_id) == []


def test_reactions_receipts_attachments(repo: Repository) -> None:
    m = msg(1, C2, outgoing=True)
    repo.insert_message(m)
    repo.set_reaction(Reaction(m.message_id, ALICE, "👍", 10))
    repo.set_reaction(Reaction(m.message_id, ALICE, "😂", 11))  # replaces Alice's
    repo.set_reaction(Reaction(m.message_id, BOB, "👍", 12))
    assert [(r.sender_identity, r.emoji) for r in repo.reactions(m.message_id)] == [
        (ALICE, "😂"),
        (BOB, "👍"),
    ]
    repo.remove_reaction(m.message_id, BOB)
    assert len(repo.reactions(m.message_id)) == 1

    repo.add_receipt(m.message_id, ALICE, b"alice-1", delivered_at=100)
    repo.add_receipt(m.message_id, ALICE, b"alice-1", delivered_at=90)  # earlier wins
    repo.add_receipt(m.message_id, ALICE, b"alice-1", read_at=200)
    repo.add_receipt(m.message_id, BOB, b"bob-1", read_at=150)  # read implies delivered
    receipts = {r.recipient_device: r for r in repo.receipts(m.message_id)}
    assert (receipts[b"alice-1"].delivered_at, receipts[b"alice-1"].read_at) == (90, 200)
    assert (receipts[b"bob-1"].delivered_at, receipts[b"bob-1"].read_at) == (150, 150)

    a = Attachment(m.message_id, 0, b"blob", b"k" * 32, b"d" * 32, 1234, "image/jpeg", "a.jpg")
    repo.add_attachment(a)
    repo.add_attachment(replace(a, position=1, file_name="b.jpg"))
    repo.set_attachment_state(m.message_id, 0, AttachmentState.LOCAL, "/cache/a")
    got = repo.attachments(m.message_id)
    assert got[0] == replace(a, local_state=AttachmentState.LOCAL, local_path="/cache/a")
    assert got[1].file_name == "b.jpg"


def test_identities_devices_conversations_members(repo: Repository) -> None:
    me = repo.own_identity()
    assert me is not None
    assert me.identity_id == ME
    assert [c.identity_id for c in repo.contacts()] == [ALICE, BOB]
    alice = repo.identity(ALICE)
    assert alice is not None
    repo.upsert_identity(
        replace(alice, verification=Verification.CHANGED, blocked=True, updated_at=9)
    )
    assert repo.identity(ALICE) == replace(
        alice, verification=Verification.CHANGED, blocked=True, updated_at=9
    )

    d1 = Device(b"a1", ALICE, b"c" * 32, b"e" * 32, 10, "phone")
    d2 = Device(b"a2", ALICE, b"C" * 32, b"E" * 32, 11, "laptop", b"cert")
    mine = Device(b"m1", ME, b"x" * 32, b"y" * 32, 1, "this", None, is_current=True)
    for d in (d1, d2, mine):
        repo.upsert_device(d)
    repo.upsert_device(replace(d1, removed_at=20))
    assert repo.devices(ALICE) == [d2]
    assert repo.devices(ALICE, include_removed=True) == [replace(d1, removed_at=20), d2]
    assert repo.current_device() == mine

    conv = repo.conversation(C2)
    assert conv is not None
    repo.upsert_conversation(replace(conv, name="Renamed", muted=True, disappearing_seconds=60))
    assert repo.conversation(C2) == replace(
        conv, name="Renamed", muted=True, disappearing_seconds=60
    )
    repo.set_member(C2, ME, Role.ADMIN, 1)
    repo.set_member(C2, ALICE, Role.MEMBER, 2)
    repo.set_member(C2, ALICE, Role.ADMIN, 3)  # promotion keeps the join time
    repo.set_member(C2, BOB, Role.MEMBER, 4)
    repo.remove_member(C2, BOB)
    assert [(m.identity_id, m.role, m.joined_at) for m in repo.members(C2)] == [
        (ME, Role.ADMIN, 1),
        (ALICE, Role.ADMIN, 2),
    ]
    repo.upsert_conversation(replace(conv, archived=True))
    assert [s.conversation.conversation_id for s in repo.conversations()] == [C1]
    assert [s.conversation.conversation_id for s in repo.conversations(archived=True)] == [C2]
    repo.insert_message(msg(1, C2))
    repo.delete_conversation(C2)
    assert repo.conversation(C2) is None
    assert repo.search("message") == []


def test_outbox_queue(repo: Repository) -> None:
    a = repo.enqueue(b"dev-a", b"payload-a", now=100, message_id=b"m" * 16)
    b = repo.enqueue(b"dev-b", b"payload-b", now=100)
    c = repo.enqueue(b"dev-c", b"payload-c", now=300)
    assert [i.id for i in repo.due(now=200)] == [a, b]
    repo.retry_later(a, next_attempt_at=250, error="offline")
    due = repo.due(now=260)
    assert [i.id for i in due] == [b, a]
    assert (due[1].attempts, due[1].last_error, due[1].state) == (1, "offline", OutboxState.PENDING)
    repo.mark_sent(b)
    repo.mark_failed(c, "recipient device removed")
    assert [i.id for i in repo.due(now=10_000)] == [a]
    assert repo.due(now=10_000, limit=0) == []


def test_state_changes_commit_with_the_message_or_not_at_all(repo: Repository) -> None:
    db = repo.db
    repo.apply_state_changes([StateChange("olm", b"s1", b"v1"), StateChange("olm", b"s2", b"v2")])
    m = msg(1)

    def receive(fail: bool) -> None:
        with db.transaction():
            repo.insert_message(m)
            repo.apply_state_changes(
                [StateChange("olm", b"s1", b"v1b"), StateChange("olm", b"s2", None)]
            )
            repo.enqueue(b"dev-a", b"receipt", now=5)
            if fail:
                raise OSError("crash before commit")

    with pytest.raises(OSError, match="crash"):
        receive(fail=True)
    assert repo.message(m.message_id) is None
    assert repo.crypto_states("olm") == {b"s1": b"v1", b"s2": b"v2"}
    assert repo.due(now=10) == []
    receive(fail=False)
    assert repo.message(m.message_id) == m
    assert repo.crypto_state("olm", b"s1") == b"v1b"
    assert repo.crypto_state("olm", b"s2") is None
    assert repo.crypto_states("megolm") == {}
    assert len(repo.due(now=10)) == 1


def test_processed_ids_and_settings(repo: Repository) -> None:
    assert repo.mark_processed(b"env-1", now=10)
    assert not repo.mark_processed(b"env-1", now=11)
    assert repo.is_processed(b"env-1")
    assert repo.forget_processed(before=11) == 1
    assert not repo.is_processed(b"env-1")
    assert repo.setting("theme") is None
    repo.set_setting("theme", b"dark")
    repo.set_setting("theme", b"light")
    assert repo.setting("theme") == b"light"
    repo.delete_setting("theme")
    assert repo.setting("theme") is None


def test_before_an_unknown_message_is_an_error(repo: Repository) -> None:
    with pytest.raises(LookupError):
        repo.before(C1, bytes(16), 10)


def test_purge_expired_updates_list_and_search(repo: Repository) -> None:
    keep = msg(1, body="keep this walrus")
    gone = replace(msg(2, body="vanishing walrus"), expires_at=500)
    later = replace(msg(3, body="later walrus"), expires_at=5000)
    for m in (keep, gone, later):
        repo.insert_message(m)
    assert repo.purge_expired(now=499) == 0
    assert repo.purge_expired(now=500) == 1
    assert repo.message(gone.message_id) is None
    assert {h.message.message_id for h in repo.search("walrus")} == {
        keep.message_id,
        later.message_id,
    }
    repo.set_expiry(keep.message_id, 600)
    assert repo.purge_expired(now=10_000) == 2
    summary = next(s for s in repo.conversations() if s.conversation.conversation_id == C1)
    assert (summary.last_message, summary.unread_count, summary.last_activity) == (None, 0, 5)


# --- pagination and the conversation list against a model --------------------------

message_specs = st.lists(
    st.tuples(
        st.sampled_from([C1, C2]),
        st.integers(0, 30),  # few distinct times: ties must be broken by message ID
        st.booleans(),  # outgoing
        st.binary(min_size=16, max_size=16),
    ),
    min_size=0,
    max_size=60,
    unique_by=lambda t: t[3],
)


def spec_message(conv: bytes, t: int, outgoing: bool, mid: bytes) -> Message:
    return Message(
        mid, conv, ME if outgoing else ALICE, b"d", outgoing, t + 100, "x",
        received_at=None if outgoing else t,
    )  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=message_specs, page=st.integers(1, 7))
def test_pages_walk_the_whole_conversation_in_order(
    specs: list[tuple[bytes, int, bool, bytes]], page: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = open_repo(Path(tmp))
        with repo.db.transaction():
            for spec in specs:
                repo.insert_message(spec_message(*spec))
        for conv in (C1, C2):
            model = sorted(
                (spec_message(*s) for s in specs if s[0] == conv),
                key=lambda m: (m.sort_at, m.message_id),
            )
            shown = repo.latest(conv, page)
            assert shown == model[-page:] if model else shown == []
            walked = list(shown)
            while shown:
                shown = repo.before(conv, shown[0].message_id, page)
                assert len(shown) <= page
                walked[:0] = shown
            assert walked == model
        repo.db.close()


operations = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.sampled_from([C1, C2]), st.integers(0, 40), st.booleans()),
        st.tuples(st.just("read"), st.integers(0, 100)),
        st.tuples(st.just("delete_for_everyone"), st.integers(0, 100)),
        st.tuples(st.just("delete"), st.integers(0, 100)),
        st.tuples(st.just("expire"), st.integers(0, 100), st.integers(0, 40)),
        st.tuples(st.just("purge"), st.integers(0, 40)),
        st.tuples(st.just("status"), st.integers(0, 100), st.sampled_from(list(MessageStatus))),
        st.tuples(st.just("edit"), st.integers(0, 100), st.integers(0, 40)),
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
def test_conversation_list_matches_a_model(ops: list[tuple[object, ...]]) -> None:
    """Last message (the conversation row's copy of it) and unread count, kept by
    triggers, equal what a plain model computes."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = open_repo(Path(tmp))
        model: dict[bytes, Message] = {}
        read_marker = {C1: (0, b""), C2: (0, b"")}
        order: list[bytes] = []  # every ID ever inserted, to pick targets from

        def key(m: Message) -> tuple[int, bytes]:
            return (m.sort_at, m.message_id)

        for op in ops:
            if op[0] == "insert":
                _, conv, t, outgoing = op
                assert isinstance(conv, bytes) and isinstance(t, int) and isinstance(outgoing, bool)
                m = spec_message(conv, t, outgoing, new_message_id(t))
                repo.insert_message(m)
                model[m.message_id] = m
                order.append(m.message_id)
                continue
            if op[0] == "purge":
                assert isinstance(op[1], int)
                repo.purge_expired(op[1])
                for mid in [
                    i
                    for i, m in model.items()
                    if m.expires_at is not None and m.expires_at <= op[1]
                ]:
                    del model[mid]
                continue
            if not order:
                continue
            assert isinstance(op[1], int)
            mid = order[op[1] % len(order)]
            target = model.get(mid)
            if op[0] == "read":
                conv = target.conversation_id if target else C1
                repo.mark_read(conv, mid)
                if target and key(target) > read_marker[conv]:
                    read_marker[conv] = key(target)
            elif op[0] == "delete_for_everyone":
                repo.delete_for_everyone(mid, at=1)
                if target:
                    model[mid] = replace(target, deleted=True, body=None, edited_at=1)
            elif op[0] == "delete":
                repo.delete_message(mid)
                model.pop(mid, None)
            elif op[0] == "expire":
                assert isinstance(op[2], int)
                repo.set_expiry(mid, op[2])
                if target:
                    model[mid] = replace(target, expires_at=op[2])
            elif op[0] == "status":
                assert isinstance(op[2], MessageStatus)
                repo.update_status(mid, op[2], "why" if op[2] is MessageStatus.FAILED else None)
                if target:
                    reason = "why" if op[2] is MessageStatus.FAILED else None
                    model[mid] = replace(target, status=op[2], failure_reason=reason)
            elif op[0] == "edit":
                assert isinstance(op[2], int)
                applied = repo.edit_message(mid, f"edited {op[2]}", op[2])
                fresh = target is not None and not target.deleted
                if target and fresh and (target.edited_at is None or target.edited_at < op[2]):
                    model[mid] = replace(target, body=f"edited {op[2]}", edited_at=op[2])
                    assert applied

        summaries = {s.conversation.conversation_id: s for s in repo.conversations()}
        for conv, created in ((C1, 5), (C2, 7)):
            mine = [m for m in model.values() if m.conversation_id == conv]
            last = max(mine, key=key) if mine else None
            unread = sum(
                1 for m in mine if not m.outgoing and not m.deleted and key(m) > read_marker[conv]
            )
            s = summaries[conv]
            assert s.last_message == last
            assert s.unread_count == unread
            assert s.last_activity == (last.sort_at if last else created)
        order_seen = [s.conversation.conversation_id for s in repo.conversations()]
        assert order_seen == sorted(
            order_seen, key=lambda c: (summaries[c].last_activity, c), reverse=True
        )
        repo.db.close()


def test_unread_total_counts_what_the_list_shows(repo: Repository) -> None:
    """The tray's total: the listed conversations only (not archived, not a request's)."""
    stranger = b"stranger-identity"
    repo.upsert_identity(Identity(stranger, 1, "", is_request=True))
    c3 = b"conversation-three"
    repo.upsert_conversation(Conversation(c3, ConversationKind.DIRECT, 8, peer_identity=stranger))
    for n, conv in enumerate((C1, C1, C2, c3, c3, c3)):
        repo.insert_message(msg(n, conv))
    assert repo.unread_total() == 3 == sum(s.unread_count for s in repo.conversations())
    conv = repo.conversation(C2)
    assert conv is not None
    repo.upsert_conversation(replace(conv, archived=True))
    assert repo.unread_total() == 2
    repo.upsert_identity(Identity(stranger, 1, "", is_request=False))  # accepted
    assert repo.unread_total() == 5 == sum(s.unread_count for s in repo.conversations())


def test_settings_with_prefix_and_identities_of(repo: Repository) -> None:
    for key in ("alert:aa", "alert:bb", "alert;", "alerts", "alert"):
        repo.set_setting(key, key.encode())
    assert repo.settings_with_prefix("alert:") == {"alert:aa": b"alert:aa", "alert:bb": b"alert:bb"}
    with pytest.raises(ValueError, match="needs a prefix"):
        repo.settings_with_prefix("")
    found = repo.identities_of([ALICE, b"nobody", ALICE, BOB])
    assert sorted(i.identity_id for i in found) == sorted([ALICE, BOB])
    assert found == [repo.identity(i.identity_id) for i in found]
    assert repo.identities_of([]) == []
