"""``find_identity``: a joining device finds its identity by its token, end to end
against a relay process, before it can authenticate."""

from __future__ import annotations

from typing import Any

from keybound.identity.document import TokenEntry, build_next
from keybound.identity.testing import SoftwareToken
from keybound.wire import frames as f
from keybound.wire.frames import ErrorCode
from tests.helpers.relay_process import (
    Person,
    RelayClient,
    RelayProcess,
    publish,
    relay_factory,
    run,
    shared_relay,
)

__all__ = ["relay_factory", "shared_relay"]  # fixtures, imported for pytest


def _retoken(
    person: Person,
    signer: SoftwareToken,
    tokens: list[TokenEntry],
    *cosigners: SoftwareToken,
    doc_format: int | None = None,
) -> None:
    """Append a document with a new token set, signed by ``signer``, co-signed by the
    tokens it adds (``doc_format=1``: as an older chain, without co-signatures)."""
    created = person.created + len(person.documents)
    doc = build_next(person.documents[-1], created, tokens=tokens, doc_format=doc_format)
    signed = signer.sign_document(doc)
    for cosigner in cosigners:
        signed = cosigner.cosign(signed)
    person.documents.append(signed)


async def _find(url: str, token: SoftwareToken) -> f.Frame:
    """Ask on a fresh, unauthenticated connection (as a joining device does)."""
    client = await RelayClient.connect(url)
    try:
        return await client.request(f.FindIdentity(token.entry.token_id))
    finally:
        await client.close()


def test_find_identity_follows_the_token_set(shared_relay: RelayProcess) -> None:
    async def scenario() -> None:
        url = shared_relay.url
        alice = Person()
        a, b = alice.token, SoftwareToken("second token")
        assert await _find(url, a) == f.Error(ErrorCode.NOT_FOUND, "no identity lists this token")

        await publish(url, alice)  # genesis lists token a
        assert await _find(url, a) == f.IdentityChain(alice.chain())
        assert isinstance(await _find(url, b), f.Error)

        _retoken(alice, a, [a.entry, b.entry], b)  # add token b, which co-signs
        await publish(url, alice)
        assert await _find(url, b) == f.IdentityChain(alice.chain())
        assert await _find(url, a) == f.IdentityChain(alice.chain())

        _retoken(alice, b, [b.entry])  # remove token a (b signs)
        await publish(url, alice)
        gone = await _find(url, a)
        assert isinstance(gone, f.Error) and gone.code is ErrorCode.NOT_FOUND
        assert await _find(url, b) == f.IdentityChain(alice.chain())

        # an authenticated device may ask too
        async with await RelayClient.login(url, alice.device) as client:
            chain = await client.call(f.FindIdentity(b.entry.token_id), f.IdentityChain)
            assert chain.documents == alice.chain()

    run(scenario())


def test_a_mere_listing_does_not_capture_someone_elses_token(shared_relay: RelayProcess) -> None:
    """Mallory lists Alice's token in his own chain (no signature of it is needed):
    the relay still answers with Alice's identity, whose token signed it."""

    async def scenario() -> None:
        url = shared_relay.url
        alice, mallory = Person(), Person()
        listed = [mallory.token.entry, alice.token.entry]
        _retoken(mallory, mallory.token, listed, doc_format=1)  # format 2 would refuse it
        await publish(url, mallory)
        await publish(url, alice)
        assert await _find(url, alice.token) == f.IdentityChain(alice.chain())

    run(scenario())


def test_unauthenticated_finds_are_rate_limited_per_ip(relay_factory: Any) -> None:
    relay = relay_factory("limited", args=["--connect-rate", "0.2/6"])

    async def scenario() -> None:
        client = await RelayClient.connect(relay.url)  # costs one of six
        token_id = SoftwareToken().entry.token_id
        codes = []
        for _ in range(8):
            reply = await client.request(f.FindIdentity(token_id))
            assert isinstance(reply, f.Error)
            codes.append(reply.code)
        assert codes[:5] == [ErrorCode.NOT_FOUND] * 5
        assert codes[5:] == [ErrorCode.RATE_LIMITED] * 3
        await client.close()

    run(scenario())
