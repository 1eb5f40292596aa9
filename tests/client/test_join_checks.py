"""Joining by token alone only accepts an identity the token has signed."""

from __future__ import annotations

import pytest

from keybound.client.account import check_token_in, check_token_signed
from keybound.errors import TokenNotCosigned, WrongToken
from keybound.identity.chain import verify_chain
from keybound.identity.document import build_genesis, build_next
from keybound.identity.testing import SoftwareDevice, SoftwareToken

NOW = 1_750_000_000


def test_a_token_merely_listed_by_a_stranger_is_refused() -> None:
    mine, stranger = SoftwareToken("mine"), SoftwareToken("stranger")
    root = stranger.entry.token_id
    device = SoftwareDevice(b"d").certificate(root, NOW)
    genesis = stranger.sign_document(build_genesis([stranger.entry], [device], NOW))
    listed = [stranger.entry, mine.entry]
    with pytest.raises(TokenNotCosigned):  # the current format needs my token's signature
        verify_chain(
            [genesis, stranger.sign_document(build_next(genesis, NOW, tokens=listed))], None, NOW
        )
    # an older chain (format 1) could list it without
    listing = stranger.sign_document(build_next(genesis, NOW, tokens=listed, doc_format=1))
    docs = [genesis, listing]
    check_token_in(verify_chain(docs, None, NOW), mine.public_key())  # listed, so "in" ...
    with pytest.raises(WrongToken, match="never signed"):
        check_token_signed(docs, mine.public_key())  # ... but never signed: not ours
    check_token_signed(docs, stranger.public_key())


def test_a_token_that_signed_a_document_is_accepted() -> None:
    first, spare = SoftwareToken("first"), SoftwareToken("spare")
    device = SoftwareDevice(b"d").certificate(first.entry.token_id, NOW)
    genesis = first.sign_document(build_genesis([first.entry], [device], NOW))
    both = [first.entry, spare.entry]
    added = first.sign_document(build_next(genesis, NOW, tokens=both, doc_format=1))
    with pytest.raises(WrongToken):
        check_token_signed([genesis, added], spare.public_key())
    by_spare = spare.sign_document(build_next(added, NOW, devices=[device]))
    check_token_signed([genesis, added, by_spare], spare.public_key())
    # format 2: the spare's co-signature on the document that adds it is its signature
    cosigned = spare.cosign(first.sign_document(build_next(genesis, NOW, tokens=both)))
    check_token_signed([genesis, cosigned], spare.public_key())
