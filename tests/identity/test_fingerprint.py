"""Fingerprints, safety numbers, QR payloads and invite links."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keybound.errors import InvalidInvite, NewerIdentityFormat, WrongIdentity
from keybound.identity.chain import VerifiedIdentity, verify_chain
from keybound.identity.document import build_genesis, build_next
from keybound.identity.fingerprint import (
    FINGERPRINT_ITERATIONS,
    Invite,
    check_invite,
    decode_qr,
    encode_qr,
    fingerprint,
    fingerprint_of,
    invite_for,
    invite_uri,
    parse_invite,
    safety_number,
)
from keybound.identity.testing import SoftwareDevice, SoftwareToken, software_chain
from keybound.wire import cbor

from .helpers import NOW

RELAY = "wss://relay.example.org:8443/keybound"


@pytest.fixture(scope="module")
def alice() -> VerifiedIdentity:
    return verify_chain(software_chain(2), None, NOW)


@pytest.fixture(scope="module")
def bob() -> VerifiedIdentity:
    return verify_chain(software_chain(1), None, NOW)


def test_fingerprint_follows_the_documented_recipe(alice: VerifiedIdentity) -> None:
    keys = b"".join(sorted(alice.token_ids))
    h = hashlib.sha512(b"\x00\x00" + keys + alice.identity_id).digest()
    for _ in range(FINGERPRINT_ITERATIONS):
        h = hashlib.sha512(h + keys).digest()
    assert fingerprint(alice) == h[:32]
    assert fingerprint_of(alice.identity_id, alice.token_ids[::-1]) == h[:32]


def test_safety_number_is_symmetric_and_well_formed(
    alice: VerifiedIdentity, bob: VerifiedIdentity
) -> None:
    a, b = fingerprint(alice), fingerprint(bob)
    number = safety_number(a, b)
    assert number == safety_number(b, a)
    assert re.fullmatch(r"(\d{5} ){11}\d{5}", number)
    assert number != safety_number(a, a)


def test_fingerprint_changes_with_tokens_not_devices() -> None:
    card, spare = SoftwareToken(), SoftwareToken()
    device = SoftwareDevice(b"d").certificate(card.entry.token_id, NOW)
    g = card.sign_document(build_genesis([card.entry], [], NOW))
    d1 = card.sign_document(build_next(g, NOW, devices=[device]))
    d2 = spare.cosign(card.sign_document(build_next(d1, NOW, tokens=[card.entry, spare.entry])))
    fps = [fingerprint(verify_chain([g, d1, d2][: i + 1], None, NOW)) for i in range(3)]
    assert fps[0] == fps[1] != fps[2]


def test_invite_round_trip(alice: VerifiedIdentity) -> None:
    invite = invite_for(alice, RELAY)
    uri = invite_uri(invite)
    assert uri.startswith("keybound://invite?v=1&relay=wss%3A%2F%2F")
    assert parse_invite(uri) == invite
    assert parse_invite(uri + "&future=yes") == invite  # unknown parameters are ignored
    assert decode_qr(encode_qr(invite)) == invite
    check_invite(invite, alice)


def test_invite_names_one_identity(alice: VerifiedIdentity, bob: VerifiedIdentity) -> None:
    with pytest.raises(WrongIdentity):
        check_invite(invite_for(alice, RELAY), bob)


def test_qr_payload_rules(alice: VerifiedIdentity) -> None:
    invite = invite_for(alice, RELAY)
    m = cbor.decode_map(encode_qr(invite))
    assert decode_qr(cbor.encode({**m, "future": [1, 2]})) == invite
    with pytest.raises(NewerIdentityFormat, match="update Keybound"):
        decode_qr(cbor.encode({**m, "v": 2}))
    with pytest.raises(InvalidInvite, match="missing field fp"):
        decode_qr(cbor.encode({k: v for k, v in m.items() if k != "fp"}))
    with pytest.raises(InvalidInvite, match="wss"):
        decode_qr(cbor.encode({**m, "relay": "http://relay"}))


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("https://invite?v=1", "keybound://invite"),
        ("keybound://other?v=1", "keybound://invite"),
        ("keybound://invite", "missing"),
        ("keybound://invite?v=1&v=1&relay=wss://r&id=AA&fp=AA", "twice"),
        ("keybound://invite?v=x&relay=wss%3A%2F%2Fr&id=AA&fp=AA", "number"),
        ("keybound://invite?v=1&relay=wss%3A%2F%2Fr&id=A*&fp=AA", "base64url"),
        ("keybound://invite?v=1&relay=wss%3A%2F%2Fr&id=AB&fp=AA", "canonical"),
        ("keybound://invite?v=1&relay=wss%3A%2F%2Fr&id=AA&fp=AA", "32 bytes"),
        ("keybound://invite?v=1&relay=%ff&id=AA&fp=AA", "cannot be read"),
        ("keybound://invite?v=0&relay=wss%3A%2F%2Fr&id=AA&fp=AA", "version"),
    ],
)
def test_bad_invites_say_why(uri: str, reason: str) -> None:
    with pytest.raises(InvalidInvite, match=reason):
        parse_invite(uri)


def test_newer_invite_needs_an_update(alice: VerifiedIdentity) -> None:
    uri = invite_uri(invite_for(alice, RELAY)).replace("v=1", "v=7")
    with pytest.raises(NewerIdentityFormat):
        parse_invite(uri)


invites = st.builds(
    Invite,
    st.sampled_from(["wss://a.b", "ws://127.0.0.1:9000/x y", "wss://relay.example/é?x=1&y=2"]),
    st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
)


@given(invites)
def test_invite_codecs_round_trip(invite: Invite) -> None:
    assert parse_invite(invite_uri(invite)) == invite
    assert decode_qr(encode_qr(invite)) == invite


@given(st.text(max_size=300))
def test_garbage_links_are_refused_cleanly(text: str) -> None:
    for candidate in (text, "keybound://invite?" + text):
        with pytest.raises((InvalidInvite, NewerIdentityFormat)):
            parse_invite(candidate)


@given(st.binary(max_size=200))
def test_garbage_qr_is_refused_cleanly(data: bytes) -> None:
    with pytest.raises((InvalidInvite, NewerIdentityFormat)):
        decode_qr(data)


def test_an_invite_carries_a_suggested_name_cleaned_and_outside_the_proof(
    alice: VerifiedIdentity,
) -> None:
    from keybound.identity.fingerprint import MAX_INVITE_NAME

    invite = invite_for(alice, RELAY, "Alice Liddell")
    uri = invite_uri(invite)
    assert uri.endswith("&name=Alice%20Liddell")
    assert parse_invite(uri) == invite and decode_qr(encode_qr(invite)) == invite
    plain = invite_for(alice, RELAY)
    assert "name=" not in invite_uri(plain) and parse_invite(invite_uri(plain)).name == ""
    assert invite.fingerprint == plain.fingerprint  # the name is not part of what is checked
    noisy = parse_invite(invite_uri(plain) + "&name=%1B%5B31mEve%0A%20%20x" + "y" * 100)
    assert noisy.name.startswith("[31mEve x") and len(noisy.name) == MAX_INVITE_NAME


def test_safety_codes_round_trip_and_refuse_anything_else(
    alice: VerifiedIdentity, bob: VerifiedIdentity
) -> None:
    from keybound.errors import InvalidSafetyCode
    from keybound.identity.fingerprint import decode_safety_code, encode_safety_code

    a, b = fingerprint(alice), fingerprint(bob)
    code = decode_safety_code(encode_safety_code(a, b))
    assert (code.shower, code.scanner) == (a, b)
    for junk in (b"", encode_qr(invite_for(alice, RELAY)), cbor.encode({"v": 1, "safety": [a]})):
        with pytest.raises(InvalidSafetyCode):
            decode_safety_code(junk)
    with pytest.raises(NewerIdentityFormat):
        decode_safety_code(cbor.encode({"v": 2, "safety": [a, b]}))
