"""Invites looked at before adding, by link and by QR image; a contact's keys; safety
numbers with both halves and their QR code (real relay, real profiles)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from PIL import Image

from keybound.client import contact_details as details
from keybound.client.qr_codes import decode_image, invite_link_from_image, render_png
from keybound.client.values import Verification
from keybound.errors import (
    InvalidInvite,
    InvalidSafetyCode,
    NoQrCode,
    SafetyCodeMismatch,
    TamperedInvite,
)
from keybound.token.worker import TokenWorker
from tests.helpers.relay_process import RelayProcess

from .harness import befriend, people, run


def with_param(uri: str, key: str, value: str) -> str:
    """``uri`` with one query parameter replaced (what a tampered link looks like)."""
    parts = urlsplit(uri)
    params = dict(parse_qsl(parts.query))
    params[key] = value
    return f"{parts.scheme}://{parts.netloc}?{urlencode(params)}"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def flipped(uri: str, key: str) -> str:
    raw = dict(parse_qsl(urlsplit(uri).query))[key]
    data = bytearray(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    data[5] ^= 0x40
    return with_param(uri, key, b64(bytes(data)))


def test_an_invite_is_previewed_added_and_refused_when_tampered(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            link = await bob.m.invite()
            assert "&name=bob" in link  # the name they call themselves travels along
            seen = await alice.m.preview_invite(link)
            assert seen.identity_id == bob.m.identity_id
            assert seen.suggested_name == "bob" and seen.contact_name == ""
            assert seen.relay == shared_relay.url
            assert seen.token_kinds == (details.OPENPGP,) and seen.devices == 1
            assert re.fullmatch(r"[0-9a-f]{4}( [0-9a-f]{4}){3}", seen.short_id)
            assert seen.short_id.replace(" ", "") == bob.m.identity_id[:8].hex()
            assert await alice.m.contacts() == []  # a preview stores nothing

            for bad, unknown in ((flipped(link, "fp"), False), (flipped(link, "id"), True)):
                with pytest.raises(TamperedInvite, match="changed or mistyped") as refused:
                    await alice.m.preview_invite(bad)
                assert refused.value.unknown is unknown
                with pytest.raises(TamperedInvite):
                    await alice.m.add_contact(bad, "bob")
            with pytest.raises(InvalidInvite, match="parameter fp is missing"):
                await alice.m.preview_invite(link.split("&fp=")[0])
            assert await alice.m.contacts() == []

            # a renamed link still finds bob: the name is a suggestion, not part of the proof
            renamed = with_param(link, "name", "Robert \x07Smith")
            assert (await alice.m.preview_invite(renamed)).suggested_name == "Robert Smith"
            info = await alice.m.add_contact(link, "bobby")
            assert info.display_name == "bobby"
            assert (await alice.m.preview_invite(link)).contact_name == "bobby"

    run(scenario())


def test_invites_read_back_from_qr_images(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "bob") as bob:
            link = await bob.m.invite()
            png = render_png(await bob.m.invite_qr_payload())
            assert invite_link_from_image(png) == link
            assert invite_link_from_image(render_png(link.encode())) == link  # a text code
            photo = Image.open(io.BytesIO(png)).convert("RGB").resize((900, 900))
            jpeg = io.BytesIO()
            photo.save(jpeg, format="JPEG", quality=80)
            assert invite_link_from_image(jpeg.getvalue()) == link

    run(scenario())
    blank = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(blank, format="PNG")
    with pytest.raises(NoQrCode, match="No QR code could be read in this image"):
        decode_image(blank.getvalue())
    with pytest.raises(NoQrCode, match="clipboard"):
        decode_image(b"not an image at all", "clipboard")
    with pytest.raises(InvalidInvite):
        invite_link_from_image(render_png(b"https://example.org/"))


def test_safety_numbers_halves_tokens_and_verification_by_code(
    shared_relay: RelayProcess, tmp_path: Path, worker: TokenWorker
) -> None:
    async def scenario() -> None:
        async with people(tmp_path, shared_relay.url, worker, "alice", "bob") as (alice, bob):
            await befriend(alice, bob)
            a = await alice.m.safety_numbers(bob.m.identity_id)
            b = await bob.m.safety_numbers(alice.m.identity_id)
            assert a.number == b.number
            assert re.fullmatch(r"(\d{5} ){11}\d{5}", a.number)
            assert (a.own, a.theirs) == (b.theirs, b.own)  # each half is one person's
            first, second = (a.own, a.theirs) if a.own_first else (a.theirs, a.own)
            assert a.number == f"{first} {second}" and a.own_first is not b.own_first
            assert a.number == (await alice.m.contact(bob.m.identity_id)).safety_number

            tokens = await alice.m.contact_tokens(bob.m.identity_id)
            assert [t.kind for t in tokens] == [details.OPENPGP]
            assert tokens[0].added_at > 1_600_000_000

            with pytest.raises(SafetyCodeMismatch, match="not marked verified"):
                await alice.m.verify_by_code(bob.m.identity_id, a.code)  # her own code
            with pytest.raises(InvalidSafetyCode):
                await alice.m.verify_by_code(bob.m.identity_id, await bob.m.invite_qr_payload())
            contact = await alice.m.contact(bob.m.identity_id)
            assert contact.verification is Verification.UNVERIFIED
            scanned = decode_image(render_png(b.code))[0]  # bob's screen, through a camera
            info = await alice.m.verify_by_code(bob.m.identity_id, scanned)
            assert info.verification is Verification.VERIFIED

    run(scenario())
