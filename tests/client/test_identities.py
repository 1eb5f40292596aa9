"""The engine's pinned identity chains: growth, token changes, forks, reload."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from keybound.client.identities import IdentityBook
from keybound.errors import IdentityFork
from keybound.identity.document import build_genesis, build_next
from keybound.identity.testing import SoftwareDevice, SoftwareToken
from keybound.store.database import Database
from keybound.store.models import Verification
from keybound.store.repository import Repository

NOW_S = 1_750_000_000
NOW_MS = NOW_S * 1000


def test_a_token_change_asks_for_reverification_and_devices_are_mirrored(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "h.db", b"k" * 32, memory_security=False)
    repo = Repository(db)
    token = SoftwareToken("first")
    root = token.entry.token_id
    phone = SoftwareDevice(b"phone").certificate(root, NOW_S)
    genesis = token.sign_document(build_genesis([token.entry], [phone], NOW_S))
    book = IdentityBook()

    first = book.accept(repo, [genesis], NOW_S, NOW_MS, display_name="bob")
    bob = first.identity_id
    assert first.is_new and not first.tokens_changed
    assert [d.device_id for d in repo.devices(bob)] == [b"phone"]
    row = repo.identity(bob)
    assert row is not None and row.display_name == "bob"
    repo.upsert_identity(replace(row, verification=Verification.VERIFIED))

    laptop = SoftwareDevice(b"laptop").certificate(root, NOW_S)
    v1 = token.sign_document(build_next(genesis, NOW_S + 1, devices=[phone, laptop]))
    grown = book.accept(repo, [v1], NOW_S, NOW_MS + 1, expected=bob)
    assert grown.added_devices == (b"laptop",) and not grown.tokens_changed
    assert repo.identity(bob).verification is Verification.VERIFIED  # type: ignore[union-attr]

    spare = SoftwareToken("spare")
    v2 = spare.cosign(
        token.sign_document(build_next(v1, NOW_S + 2, tokens=[token.entry, spare.entry]))
    )
    changed = book.accept(repo, [v2], NOW_S, NOW_MS + 2, expected=bob)
    assert changed.tokens_changed
    assert repo.identity(bob).verification is Verification.CHANGED  # type: ignore[union-attr]

    v3 = token.sign_document(build_next(v2, NOW_S + 3, devices=[laptop]))
    shrunk = book.accept(repo, [v3], NOW_S, NOW_MS + 3, expected=bob)
    assert shrunk.removed_devices == (b"phone",)
    [gone] = [d for d in repo.devices(bob, include_removed=True) if d.device_id == b"phone"]
    assert gone.removed_at == NOW_MS + 3
    assert [d.device_id for d in book.lookup(bob)] == [b"laptop"]

    rival = token.sign_document(build_next(v2, NOW_S + 9, devices=[phone]))
    with pytest.raises(IdentityFork):
        book.accept(repo, [rival], NOW_S, NOW_MS + 4, expected=bob)
    assert book.get(bob).version == 3  # type: ignore[union-attr]

    again = IdentityBook()
    again.load(repo, NOW_S)
    assert again.get(bob).head == book.get(bob).head  # type: ignore[union-attr]
    assert len(again.documents(bob)) == 4
    db.close()
