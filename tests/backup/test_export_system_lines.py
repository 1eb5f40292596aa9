"""A readable export shows a system line ("Alice added Bob") as its sentence, not its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keybound.backup.export import export_history
from keybound.backup.values import Control
from keybound.client import system
from keybound.client.system import SystemEvent, SystemKind
from keybound.store.models import Conversation, ConversationKind, Identity, Role, new_message_id

from .history import ALICE, BOB, GROUP, ME, new_history


@pytest.mark.parametrize("fmt", ["html", "json"])
def test_system_lines_export_as_sentences(tmp_path: Path, fmt: str) -> None:
    repo = new_history(tmp_path / "history.db")
    try:
        repo.upsert_identity(Identity(ALICE, 2, "Alice"))
        repo.upsert_identity(Identity(BOB, 3, ""))  # met in the group, never named
        repo.upsert_conversation(Conversation(GROUP, ConversationKind.GROUP, 7, "Hikers"))
        repo.set_member(GROUP, ALICE, Role.ADMIN, 8)
        events = [
            SystemEvent(SystemKind.ADDED, ALICE, (BOB, ME)),
            SystemEvent(SystemKind.TIMER, ME, seconds=3600),
        ]
        for n, event in enumerate(events):
            mid = new_message_id(10_000 + n)
            repo.insert_message(
                system.row(event, message_id=mid, conversation_id=GROUP, sender_device=b"d",
                           outgoing=event.actor == ME, received_at=None)
            )  # fmt: skip
        reader = repo.db.reader()
        try:
            dest = tmp_path / "export"
            export_history(reader, dest, fmt=fmt, conversation_id=None, control=Control())
        finally:
            reader.close()
        folder = next(dest.glob("Hikers-*"))
        wanted = ["Alice added 33333333, you", "You set disappearing messages to 1 hour"]
        if fmt == "json":
            data = json.loads((folder / "messages.json").read_text())
            assert [m["system_text"] for m in data["messages"]] == wanted
            assert json.loads(data["messages"][0]["body"])["kind"] == "added"  # the change kept
        else:
            page = (folder / "messages.html").read_text()
            assert all(w in page for w in wanted) and '"kind"' not in page
    finally:
        repo.db.close()
