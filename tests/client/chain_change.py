"""Changing a person's identity chain in tests: a spare token added, or a rival history.

Adds a software token (``identity.testing.SoftwareToken``) to the token set, signed by
the person's card and co-signed by the new token as the real flow
(``client.token_admin``) does; contacts see "their security keys changed".
"""

from __future__ import annotations

from keybound.client import account
from keybound.client.messenger import Messenger
from keybound.client.token_admin import publish_own
from keybound.identity.document import SignedDocument, build_next
from keybound.identity.testing import SoftwareToken

from .harness import Someone, prompter


async def _sign(person: Someone, previous: SignedDocument) -> SignedDocument:
    m: Messenger = person.m
    spare = SoftwareToken()
    unsigned = build_next(previous, m._env.now_s(), tokens=[*previous.body.tokens, spare.entry])
    signed = await m._worker.run(
        account.sign_with_present_token, person.options.tokens, prompter(),
        previous.body.tokens, unsigned,
    )  # fmt: skip
    return spare.cosign(signed)  # the added token agrees (identity format 2)


async def add_spare_token(person: Someone) -> None:
    """A new token in ``person``'s chain, published and announced to their contacts."""
    s = person.m._need()
    docs = await s.db.run(s.core.book.documents, s.core.own_id)
    await publish_own(s, docs, await _sign(person, docs[-1]))  # as `Messenger.add_token`


async def rival_head(person: Someone) -> bytes:
    """Another document at the version of ``person``'s head (a fork), never published:
    what a relay (or a thief of the card) could offer contacts instead."""
    from keybound.identity.document import encode_document

    s = person.m._need()
    docs = await s.db.run(s.core.book.documents, s.core.own_id)
    assert len(docs) >= 2, "a fork needs a head after the genesis"
    return encode_document(await _sign(person, docs[-2]))
