"""The token index (``find_identity_by_token``), run against both backends,
and the migration that fills it in a relay database made before it existed."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from keybound.identity.document import (
    SignedDocument,
    TokenEntry,
    build_genesis,
    build_next,
    document_hash,
    encode_document,
)
from keybound.identity.testing import SoftwareDevice, SoftwareToken
from keybound.relay.storage import postgres_schema, sqlite_schema
from keybound.relay.storage.base import ChainConflict, RelayStorage
from tests.relay.storage.conftest import Backend

CREATED = 1_700_000_000


class Chain:
    """An identity's documents, built with software tokens."""

    def __init__(self, root: SoftwareToken, *listed: TokenEntry) -> None:
        self.root = root
        device = SoftwareDevice(b"device-0").certificate(root.entry.token_id, CREATED)
        genesis = build_genesis([root.entry, *listed], [device], CREATED)
        self.documents: list[SignedDocument] = [root.sign_document(genesis)]
        self.identity_id = document_hash(self.documents[0])

    def next(self, signer: SoftwareToken, tokens: list[TokenEntry]) -> bytes:
        doc = build_next(self.documents[-1], CREATED + len(self.documents), tokens=tokens)
        self.documents.append(signer.sign_document(doc))
        return encode_document(self.documents[-1])

    def encoded(self) -> list[bytes]:
        return [encode_document(d) for d in self.documents]


async def found(storage: RelayStorage, token: SoftwareToken) -> bytes | None:
    chain = await storage.find_identity_by_token(token.entry.token_id)
    return None if chain is None else chain.identity_id


def test_find_follows_the_head_token_set(backend: Backend) -> None:
    a, b = SoftwareToken("a"), SoftwareToken("b")
    chain = Chain(a)

    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            assert await found(s, a) is None
            await s.append_chain(chain.identity_id, -1, chain.encoded())
            got = await s.find_identity_by_token(a.entry.token_id)
            assert got is not None
            assert got.identity_id == chain.identity_id
            assert got.documents == tuple(chain.encoded())
            assert await found(s, b) is None

            await s.append_chain(chain.identity_id, 0, [chain.next(a, [a.entry, b.entry])])
            got = await s.find_identity_by_token(b.entry.token_id)
            assert got is not None and got.documents == tuple(chain.encoded())
            assert await found(s, a) == chain.identity_id

            await s.append_chain(chain.identity_id, 1, [chain.next(b, [b.entry])])
            assert await found(s, a) is None  # removed from the head: gone from the index
            assert await found(s, b) == chain.identity_id

            # re-listed later: found again; a conflicting append changes nothing
            await s.append_chain(chain.identity_id, 2, [chain.next(b, [b.entry, a.entry])])
            assert await found(s, a) == chain.identity_id
            with pytest.raises(ChainConflict):
                await s.append_chain(chain.identity_id, 1, [chain.next(b, [b.entry])])
            assert await found(s, a) == chain.identity_id

        async with backend.started() as node:  # the index is durable
            assert await found(node.storage, b) == chain.identity_id

    asyncio.run(body())


def test_a_token_that_signed_beats_a_mere_listing(backend: Backend) -> None:
    """Listing a token takes no signature of it: Mallory may list Alice's token.
    The identity in which the token signed wins; of unsigned listings, the first."""
    a, b, m = SoftwareToken("alice"), SoftwareToken("alice 2"), SoftwareToken("mallory")
    mallory = Chain(m, a.entry)  # lists Alice's root token before Alice even publishes
    alice = Chain(a)
    alice.next(a, [a.entry, b.entry])  # b is listed, has signed nothing yet

    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            await s.append_chain(mallory.identity_id, -1, mallory.encoded())
            assert await found(s, a) == mallory.identity_id  # the only lister so far
            await s.append_chain(alice.identity_id, -1, alice.encoded())
            assert await found(s, a) == alice.identity_id  # a signed Alice's genesis
            assert await found(s, b) == alice.identity_id
            await s.append_chain(
                mallory.identity_id, 0, [mallory.next(m, [m.entry, a.entry, b.entry])]
            )
            assert await found(s, b) == alice.identity_id  # Alice listed it first
            assert await found(s, m) == mallory.identity_id

    asyncio.run(body())


def test_opaque_documents_list_no_tokens(backend: Backend) -> None:
    a = SoftwareToken()
    chain = Chain(a)

    async def body() -> None:
        async with backend.started() as node:
            s = node.storage
            await s.append_chain(chain.identity_id, -1, chain.encoded())
            await s.append_chain(chain.identity_id, 0, [b"not a document"])
            assert await found(s, a) is None

    asyncio.run(body())


# --- the migration on a relay database made before the token index -------------------


def _v1_sqlite(path: Path, chains: list[Chain]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    v1 = sqlite_schema.MIGRATIONS[0]
    assert isinstance(v1, str)
    conn.executescript(v1)
    conn.execute("PRAGMA user_version = 1")
    for chain in chains:
        conn.executemany(
            "INSERT INTO chain_documents (identity_id, version, document) VALUES (?, ?, ?)",
            [(chain.identity_id, i, d) for i, d in enumerate(chain.encoded())],
        )
    conn.close()


async def _v1_postgres(dsn: str, chains: list[Chain]) -> None:
    import psycopg

    v1 = postgres_schema.MIGRATIONS[0]
    assert isinstance(v1, str)
    conn: Any = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    async with conn:
        await conn.execute(v1.encode())
        await conn.execute("CREATE TABLE keybound_schema_version (version integer NOT NULL)")
        await conn.execute("INSERT INTO keybound_schema_version (version) VALUES (1)")
        for chain in chains:
            for i, d in enumerate(chain.encoded()):
                await conn.execute(
                    "INSERT INTO chain_documents (identity_id, version, document)"
                    " VALUES (%s, %s, %s)",
                    (chain.identity_id, i, d),
                )


def test_the_migration_indexes_chains_stored_before_it(backend: Backend) -> None:
    a, b, c = SoftwareToken("a"), SoftwareToken("b"), SoftwareToken("c")
    first = Chain(a)
    first.next(a, [a.entry, b.entry])
    first.next(b, [b.entry])  # a removed again
    second = Chain(c)

    async def body() -> None:
        if backend.name == "sqlite":
            _v1_sqlite(Path(backend.location), [first, second])
        else:
            await _v1_postgres(backend.location, [first, second])
        async with backend.started() as node:
            s = node.storage
            assert await found(s, a) is None
            assert await found(s, b) == first.identity_id
            assert await found(s, c) == second.identity_id
            got = await s.find_identity_by_token(b.entry.token_id)
            assert got is not None and got.documents == tuple(first.encoded())

    asyncio.run(body())
