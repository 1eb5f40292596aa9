"""Identity format 2: a token added to an identity co-signs the document that adds it."""

from __future__ import annotations

import pytest

from keybound.errors import (
    IdentitySignatureInvalid,
    MalformedData,
    TokenNotCosigned,
)
from keybound.identity.chain import verify_chain
from keybound.identity.document import (
    COSIGNED_FORMAT,
    SignedDocument,
    attach_cosignature,
    build_genesis,
    build_next,
    decode_document,
    document_hash,
    encode_document,
)
from keybound.identity.testing import SoftwareDevice, SoftwareToken
from keybound.wire import cbor

from .helpers import NOW, SoftwareFido2


def _genesis(card: SoftwareToken) -> SignedDocument:
    device = SoftwareDevice(b"laptop").certificate(card.entry.token_id, NOW)
    return card.sign_document(build_genesis([card.entry], [device], NOW))


def test_adding_a_token_needs_its_cosignature() -> None:
    card, spare = SoftwareToken("card"), SoftwareFido2("spare")
    g = _genesis(card)
    body = build_next(g, NOW + 1, tokens=[card.entry, spare.entry])
    assert body.format == COSIGNED_FORMAT
    unsigned_by_spare = card.sign_document(body)
    with pytest.raises(TokenNotCosigned, match=r"Version 1 .* adds a security key that did not"):
        verify_chain([g, unsigned_by_spare], None, NOW)
    cosigned = spare.cosign(unsigned_by_spare)
    fetched = decode_document(encode_document(cosigned))  # as a relay hands it back
    assert fetched == cosigned
    assert document_hash(fetched) == document_hash(unsigned_by_spare)  # signatures not hashed
    verified = verify_chain([g, fetched], None, NOW)
    assert verified.token_ids == (card.entry.token_id, spare.entry.token_id)


def test_a_cosignature_must_verify_and_come_from_the_added_token() -> None:
    card, spare, other = SoftwareToken("card"), SoftwareToken("spare"), SoftwareToken("other")
    g = _genesis(card)
    signed = card.sign_document(build_next(g, NOW + 1, tokens=[card.entry, spare.entry]))
    forged = attach_cosignature(signed, spare.public_key(), spare.sign(b"something else"))
    with pytest.raises(IdentitySignatureInvalid, match="Version 1"):
        verify_chain([g, forged], None, NOW)
    by_other = other.cosign(spare.cosign(signed))
    with pytest.raises(TokenNotCosigned, match="does not add"):
        verify_chain([g, by_other], None, NOW)
    with pytest.raises(TokenNotCosigned):  # the signer itself is no co-signer either
        verify_chain([g, card.cosign(signed)], None, NOW)


def test_a_genesis_with_two_tokens_is_cosigned_by_the_second() -> None:
    card, spare = SoftwareToken("card"), SoftwareToken("spare")
    device = SoftwareDevice(b"laptop").certificate(card.entry.token_id, NOW)
    g = card.sign_document(build_genesis([card.entry, spare.entry], [device], NOW))
    with pytest.raises(TokenNotCosigned, match="Version 0"):
        verify_chain([g], None, NOW)
    assert verify_chain([spare.cosign(g)], None, NOW).version == 0


def test_older_chains_stay_readable_and_format_1_carries_no_cosignatures() -> None:
    card, spare = SoftwareToken("card"), SoftwareToken("spare")
    g = _genesis(card)
    assert g.body.format == 1 and cbor.decode_map(encode_document(g))["body"]["v"] == 1  # type: ignore[index]
    old = card.sign_document(build_next(g, NOW + 1, tokens=[card.entry, spare.entry], doc_format=1))
    assert verify_chain([g, decode_document(encode_document(old))], None, NOW).version == 1
    with pytest.raises(MalformedData, match="format 2"):
        spare.cosign(old)
    m = cbor.decode_map(encode_document(spare.cosign(card.sign_document(build_next(
        g, NOW + 1, tokens=[card.entry, spare.entry]
    )))))  # fmt: skip
    m["body"]["v"] = 1  # type: ignore[index]
    with pytest.raises(MalformedData, match="unknown fields"):
        decode_document(cbor.encode(m))


def test_a_document_that_adds_nothing_stays_format_1_until_a_token_is_added() -> None:
    card, spare = SoftwareToken("card"), SoftwareToken("spare")
    g = _genesis(card)
    more = card.sign_document(build_next(g, NOW + 1, devices=[]))
    assert more.body.format == 1  # an app that knows only format 1 still reads it
    added = spare.cosign(
        card.sign_document(build_next(more, NOW + 2, tokens=[card.entry, spare.entry]))
    )
    later = spare.sign_document(build_next(added, NOW + 3, tokens=[spare.entry]))
    assert later.body.format == COSIGNED_FORMAT  # never back to format 1
    assert verify_chain([g, more, added, later], None, NOW).token_ids == (spare.entry.token_id,)
    back = spare.sign_document(build_next(later, NOW + 4, devices=[], doc_format=1))
    with pytest.raises(TokenNotCosigned, match="older format"):
        verify_chain([g, more, added, later, back], None, NOW)
