"""The document codec: round trips, garbage, the unknown-field rule, and tampering."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keybound.errors import (
    BrokenChain,
    IdentitySignatureInvalid,
    MalformedData,
    NewerIdentityFormat,
    TokenNotCosigned,
    UnknownSigner,
)
from keybound.identity.chain import verify_chain
from keybound.identity.document import (
    DOC_DOMAIN,
    DeviceCertificate,
    SignedDocument,
    TokenEntry,
    UnsignedDocument,
    build_genesis,
    build_next,
    decode_document,
    document_hash,
    encode_document,
    signing_bytes,
    token_id,
)
from keybound.identity.testing import SoftwareDevice, SoftwareToken
from keybound.token.base import PublicKey, Signature, SignatureScheme
from keybound.wire import cbor

from .helpers import NOW, SoftwareFido2

# --- strategies -----------------------------------------------------------------------

openpgp_keys = st.builds(
    PublicKey, st.just(SignatureScheme.OPENPGP_ED25519), st.binary(min_size=32, max_size=32)
)
fido2_keys = st.builds(
    PublicKey,
    st.sampled_from([SignatureScheme.FIDO2_EDDSA]),
    st.binary(min_size=32, max_size=32),
    st.text(max_size=20),
    st.binary(max_size=40),
    st.booleans(),
) | st.builds(
    PublicKey,
    st.just(SignatureScheme.FIDO2_ES256),
    st.binary(min_size=65, max_size=65),
    st.text(max_size=20),
    st.binary(max_size=40),
    st.booleans(),
)
tokens = st.builds(TokenEntry, openpgp_keys | fido2_keys, st.text(max_size=64))
certs = st.builds(
    DeviceCertificate,
    device_id=st.binary(max_size=64),
    curve25519=st.binary(min_size=32, max_size=32),
    ed25519=st.binary(min_size=32, max_size=32),
    mailbox=st.text(max_size=40),
    created=st.integers(0, 2**40),
    expires=st.none() | st.integers(0, 2**40),
    name=st.text(max_size=64),
    signature=st.binary(min_size=64, max_size=64),
)
signatures = st.builds(
    Signature, st.just(SignatureScheme.OPENPGP_ED25519), st.binary(max_size=128)
) | st.builds(
    Signature, st.just(SignatureScheme.FIDO2_ES256), st.binary(max_size=128), st.binary(max_size=64)
)


@st.composite
def documents(draw: st.DrawFn) -> SignedDocument:
    version = draw(st.integers(0, 2**40))
    body = UnsignedDocument(
        version,
        None if version == 0 else draw(st.binary(min_size=32, max_size=32)),
        draw(st.integers(0, 2**40)),
        tuple(draw(st.lists(tokens, min_size=1, max_size=4, unique_by=lambda t: t.token_id))),
        tuple(
            draw(
                st.lists(
                    certs, max_size=4, unique_by=(lambda c: c.device_id, lambda c: c.curve25519)
                )
            )
        ),
    )
    return SignedDocument(body, draw(st.binary(min_size=32, max_size=32)), draw(signatures))


@given(documents())
@settings(max_examples=150)
def test_round_trip(doc: SignedDocument) -> None:
    data = encode_document(doc)
    assert decode_document(data) == doc
    assert encode_document(decode_document(data)) == data
    assert signing_bytes(doc).startswith(DOC_DOMAIN)


@given(st.binary(max_size=300))
def test_garbage_is_refused_cleanly(data: bytes) -> None:
    with pytest.raises((MalformedData, NewerIdentityFormat)):
        decode_document(data)


@given(documents(), st.data())
@settings(max_examples=150)
def test_mutated_bytes_decode_or_fail_cleanly(doc: SignedDocument, data: st.DataObject) -> None:
    raw = bytearray(encode_document(doc))
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    try:
        decoded = decode_document(bytes(raw))
    except (MalformedData, NewerIdentityFormat):
        return
    assert encode_document(decoded) == bytes(raw)


@given(st.recursive(st.none() | st.integers() | st.binary() | st.text(), st.lists, max_leaves=8))
def test_valid_cbor_of_the_wrong_shape_is_malformed(value: object) -> None:
    for wrapped in (value, {"body": value, "signer": b"x", "sig": value}):
        with pytest.raises(MalformedData):
            decode_document(cbor.encode(wrapped))


# --- rules ---------------------------------------------------------------------------


def _map(doc: SignedDocument) -> dict[str, Any]:
    value = cbor2.loads(encode_document(doc))
    assert isinstance(value, dict)
    return value


@pytest.fixture(scope="module")
def chain() -> tuple[SoftwareToken, SoftwareFido2, list[SignedDocument]]:
    card, key = SoftwareToken("card"), SoftwareFido2("key")
    root = card.entry.token_id
    devices = [
        SoftwareDevice(b"laptop").certificate(root, NOW, expires=NOW + 10**6, name="Laptop"),
        SoftwareDevice(b"desktop").certificate(root, NOW),
    ]
    genesis = key.cosign(card.sign_document(build_genesis([card.entry, key.entry], devices, NOW)))
    second = key.sign_document(build_next(genesis, NOW + 1, devices=devices[:1]))
    return card, key, [genesis, second]


def test_unknown_fields_are_rejected_and_newer_versions_need_an_update(
    chain: tuple[SoftwareToken, SoftwareFido2, list[SignedDocument]],
) -> None:
    doc = chain[2][1]
    for path in ([], ["body"], ["body", "tokens", 0], ["body", "devices", 0], ["sig"]):
        m = _map(doc)
        _at(m, path)["future"] = 1
        with pytest.raises(MalformedData, match="unknown fields"):
            decode_document(cbor.encode(m))
    m = _map(doc)
    m["body"]["v"] = 3
    m["body"]["future"] = 1
    with pytest.raises(NewerIdentityFormat, match="update Keybound") as err:
        decode_document(cbor.encode(m))
    assert err.value.version == 3
    m["body"]["v"] = 0
    with pytest.raises(MalformedData, match="version"):
        decode_document(cbor.encode(m))


def test_document_rules(chain: tuple[SoftwareToken, SoftwareFido2, list[SignedDocument]]) -> None:
    card, _, docs = chain
    with pytest.raises(MalformedData, match="at least one token"):
        build_genesis([], [], NOW)
    with pytest.raises(MalformedData, match="same token"):
        build_genesis([card.entry, card.entry], [], NOW)
    device = docs[0].body.devices[0]
    with pytest.raises(MalformedData, match="same device ID"):
        build_genesis([card.entry], [device, device], NOW)
    m = _map(docs[1])
    del m["body"]["prev"]
    with pytest.raises(MalformedData, match="prev"):
        decode_document(cbor.encode(m))
    m = _map(docs[0])
    m["sig"]["auth"] = b"x"  # OpenPGP signatures carry no authenticator data
    with pytest.raises(MalformedData, match="unknown fields"):
        decode_document(cbor.encode(m))
    assert document_hash(docs[0]) == document_hash(docs[0].body)
    assert len(token_id(card.public_key())) == 32


def _at(m: Any, path: list[Any]) -> Any:
    for key in path:
        m = m[key]
    return m


def _leaves(value: Any, path: list[Any]) -> Iterator[list[Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, [*path, key])
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, [*path, i])
    else:
        yield path


def _flip(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, bytes):
        return bytes([value[0] ^ 1]) + value[1:] if value else b"\x01"
    assert isinstance(value, str)
    return value + "x" if value else "x"


def test_every_field_flip_is_refused(
    chain: tuple[SoftwareToken, SoftwareFido2, list[SignedDocument]],
) -> None:
    """Each leaf of each document, changed: the chain no longer verifies."""
    docs = chain[2]
    verify_chain(docs, None, NOW)
    checked = 0
    for index in range(2):
        for path in _leaves(_map(docs[index]), []):
            m = _map(docs[index])
            parent = _at(m, path[:-1])
            parent[path[-1]] = _flip(parent[path[-1]])
            try:
                tampered = decode_document(cbor.encode(m))
            except (MalformedData, NewerIdentityFormat):
                continue  # refused even earlier
            pile = list(docs)
            pile[index] = tampered
            expected = {"signer": UnknownSigner, "prev": BrokenChain, "seq": BrokenChain}
            if path[0] == "cosig" and path[-1] == "signer":
                expected["signer"] = TokenNotCosigned  # a co-signer the document does not add
            if index == 0 and path == ["body", "tokens", 0, "key"]:
                expected["key"] = UnknownSigner  # another root token: not the genesis signer
            with pytest.raises(expected.get(path[-1], IdentitySignatureInvalid)):
                verify_chain(pile, None, NOW)
            checked += 1
    assert checked > 30
