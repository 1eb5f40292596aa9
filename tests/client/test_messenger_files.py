"""Attachments: stream-encrypted upload, download with digest check, on both sides."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

from PIL import Image

from keybound.client import events as ev
from keybound.client.thumbnails import EDGE
from keybound.client.values import AttachmentState
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import befriend, people, run, until


def test_a_file_travels_encrypted_and_arrives_intact(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    original = tmp_path / "trail map.pdf"
    original.write_bytes(os.urandom(3 * 1024 * 1024 + 12345))  # several blob chunks

    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            a_conv, _ = await befriend(alice, bob)
            mid = await alice.m.send_file(a_conv, original)
            await until(lambda: bob.m.message(mid), what="the attachment message")
            msg = await bob.m.message(mid)
            assert msg is not None and msg.content_type == "attachment"
            assert msg.body == "trail map.pdf"
            [att] = await bob.m.attachments(mid)
            assert att.size == original.stat().st_size
            assert att.media_type == "application/pdf"
            assert att.local_state is AttachmentState.REMOTE

            dest = tmp_path / "downloads"
            dest.mkdir()
            path = await bob.m.download(mid, dest / "map.pdf")
            assert (
                hashlib.sha256(path.read_bytes()).digest()
                == hashlib.sha256(original.read_bytes()).digest()
            )
            [att] = await bob.m.attachments(mid)
            assert att.local_state is AttachmentState.LOCAL and att.local_path == str(path)
            ups = [e for e in alice.events_of(ev.AttachmentProgress) if e.upload]
            downs = [e for e in bob.events_of(ev.AttachmentProgress) if not e.upload]
            assert ups and ups[-1].done == ups[-1].total
            assert downs
            assert not list((alice.profile / "outgoing").iterdir())  # no ciphertext left over
            assert att.thumbnail is None  # not an image

            photo = tmp_path / "summit.png"
            Image.new("RGB", (1600, 900), (30, 90, 160)).save(photo)
            pid = await alice.m.send_file(a_conv, photo)
            await until(lambda: bob.m.message(pid), what="the photo message")
            [pic] = await bob.m.attachments(pid)
            assert pic.media_type == "image/png" and pic.thumbnail is not None
            with Image.open(io.BytesIO(pic.thumbnail)) as thumb:
                assert thumb.format == "JPEG" and max(thumb.size) == EDGE

    run(scenario())
