"""Full-text search: kept in step with edits and deletes, ranked, snippets, any input is safe."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keybound.store.database import HISTORY_FILE, Database
from keybound.store.models import (
    Conversation,
    ConversationKind,
    Identity,
    Message,
    SnippetPart,
    new_message_id,
)
from keybound.store.repository import Repository
from keybound.store.search import fts_query

KEY = bytes(range(32))
C1, C2 = b"conv-1", b"conv-2"


def setup(db: Database) -> Repository:
    repo = Repository(db)
    repo.upsert_identity(Identity(b"alice", 1, "Alice"))
    repo.upsert_conversation(Conversation(C1, ConversationKind.DIRECT, 1, peer_identity=b"alice"))
    repo.upsert_conversation(Conversation(C2, ConversationKind.GROUP, 1, "G"))
    return repo


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repository]:
    repo = setup(Database.open(tmp_path_factory.mktemp("fts") / HISTORY_FILE, KEY))
    add(repo, "the quick brown fox jumps over the lazy dog")
    yield repo
    repo.db.close()


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    r = setup(Database.open(tmp_path / HISTORY_FILE, KEY))
    yield r
    r.db.close()


_clock = iter(range(10_000, 10**9))


def add(repo: Repository, body: str, conv: bytes = C1) -> bytes:
    t = next(_clock)
    m = Message(new_message_id(t), conv, b"alice", b"d", False, t, body, received_at=t)
    repo.insert_message(m)
    return m.message_id


def found(repo: Repository, text: str) -> list[bytes]:
    return [h.message.message_id for h in repo.search(text)]


def test_query_building_quotes_every_word() -> None:
    assert fts_query("hello world") == '"hello" "world"*'
    assert fts_query('NEAR(a b) AND "x" OR y*') == '"NEAR" "a" "b" "AND" "x" "OR" "y"'
    assert fts_query("col:value -minus ^caret") == '"col" "value" "minus" "caret"*'
    assert fts_query("  !!! ... ") is None


@pytest.mark.parametrize(
    "text",
    ['"', '""', "'", "AND", "OR NOT", "NEAR(", "*", "-", ":", "body:fox", "^fox", "(", ")",
     "fox AND", '"unterminated', "\x00", "🦊", "a" * 5000, "fox " * 100, "ü", "Straße", "\\"],
)  # fmt: skip
def test_any_text_is_a_safe_query(shared: Repository, text: str) -> None:
    shared.search(text)
    shared.search(text, conversation_id=C1)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=80))
def test_arbitrary_text_never_raises(shared: Repository, text: str) -> None:
    for hit in shared.search(text):
        assert hit.message.body is not None


def test_finds_words_with_snippet_and_prefix(repo: Repository) -> None:
    fox = add(repo, "the quick brown fox jumps over the lazy dog")
    add(repo, "nothing to see here")
    assert found(repo, "brown fox") == [fox]
    assert found(repo, "FOX") == [fox]
    assert found(repo, "jum") == [fox]  # last word as prefix: results follow typing
    assert found(repo, "fox cat") == []  # every word must match
    (hit,) = repo.search("lazy")
    assert SnippetPart("lazy", True) in hit.snippet
    assert "".join(p.text for p in hit.snippet) == "the quick brown fox jumps over the lazy dog"
    accent = add(repo, "un café crème")
    assert found(repo, "cafe creme") == [accent]  # diacritics are folded


def test_best_match_first(repo: Repository) -> None:
    weak = add(repo, "kayak " + " ".join(["filler"] * 40))
    strong = add(repo, "kayak kayak kayak trip")
    middle = add(repo, "a kayak and some other words here")
    assert found(repo, "kayak") == [strong, middle, weak]


def test_limit_and_conversation_filter(repo: Repository) -> None:
    in_c1 = [add(repo, f"meeting number {i}") for i in range(5)]
    in_c2 = [add(repo, f"meeting notes {i}", C2) for i in range(5)]
    assert len(repo.search("meeting", limit=3)) == 3
    c2 = [h.message.message_id for h in repo.search("meeting", 50, conversation_id=C2)]
    assert sorted(c2) == sorted(in_c2)
    assert set(found(repo, "meeting")) == set(in_c1 + in_c2)


def test_edit_and_delete_keep_the_index_in_step(repo: Repository) -> None:
    mid = add(repo, "see you at the lighthouse")
    assert repo.edit_message(mid, "see you at the harbour", edited_at=1)
    assert found(repo, "lighthouse") == []
    assert found(repo, "harbour") == [mid]
    assert repo.delete_for_everyone(mid, at=2)
    assert found(repo, "harbour") == []
    gone = add(repo, "delete me locally, zeppelin")
    repo.delete_message(gone)
    assert found(repo, "zeppelin") == []
    assert repo.db.query("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')") == []


def _words(rng: random.Random, n: int) -> list[str]:
    """Distinct random ten-letter words."""
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(10)))
    return sorted(words)


def _deleted_text_leaves_no_trace(db: Database, raw_scan: bool) -> None:
    repo = setup(db)
    rng = random.Random(7)
    words = _words(rng, 600)
    kept, edited, deleted, purged, local = (words[i::5] for i in range(5))
    ids = {}
    with db.transaction():
        for w in words:
            ids[w] = add(repo, f"{w} number {rng.randrange(1000)}")
    db.checkpoint()
    with db.transaction():
        for w in edited:
            repo.edit_message(ids[w], "replaced text", edited_at=1)
        for w in deleted:
            repo.delete_for_everyone(ids[w], at=1)
        for w in purged:
            repo.set_expiry(ids[w], 5)
        for w in local:
            repo.delete_message(ids[w])
    repo.purge_expired(now=10)
    db.checkpoint()
    gone = [w for w in words if w not in kept]
    # Logically: no shadow table of the index holds a removed term.
    blocks = b"".join(bytes(r[0]) for r in db.query("SELECT block FROM messages_fts_data"))
    blocks += b"".join(str(r).encode() for r in db.query("SELECT * FROM messages_fts_idx"))
    for w in gone:
        # Terms are prefix-compressed; the last six letters are stored whole in any case.
        assert w[4:].encode() not in blocks, w
    assert all(found(repo, w) == [ids[w]] for w in kept[:20])
    if raw_scan:
        data = db.path.read_bytes()
        assert any(w.encode() in data for w in kept)  # the scan can see text at all
        for w in gone:
            assert w[4:].encode() not in data, w


def test_deleted_text_leaves_the_encrypted_index(tmp_path: Path) -> None:
    with Database.open(tmp_path / HISTORY_FILE, KEY) as db:
        _deleted_text_leaves_no_trace(db, raw_scan=False)


def test_deleted_text_leaves_the_file(tmp_path: Path) -> None:
    """Without encryption the raw file shows what secure_delete and FTS5 secure-delete achieve."""
    with Database.open_unencrypted(tmp_path / HISTORY_FILE) as db:
        _deleted_text_leaves_no_trace(db, raw_scan=True)


def test_search_hits_carry_the_message(repo: Repository) -> None:
    mid = add(repo, "bring the maps", C2)
    (hit,) = repo.search("maps")
    assert hit.message == replace(hit.message, message_id=mid, conversation_id=C2)
    assert hit.message.body == "bring the maps"
