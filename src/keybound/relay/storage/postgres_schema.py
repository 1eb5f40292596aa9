"""The PostgreSQL relay schema as numbered migrations.

Tables live in the connection's current schema (``search_path``), so several
relay deployments (or test runs) can share one database.  Every node runs
:func:`migrate` on start; a transaction-scoped advisory lock keyed on the
schema name makes nodes that start together take turns, and DDL being
transactional means a node that dies mid-migration leaves nothing half done.

Indices, each led by the device key so every hot query touches one device
(and a table could be distributed by that column, e.g. with Citus):
``queue (recipient, queue_id)`` serves fetch and ack, ``queue_stats``'s key
the per-device caps (its row is also the lock that orders concurrent sends
to one device, and guards that device's ``sender_stats`` rows, the
per-sender caps), ``one_time_keys (device, seq)`` claims, ``blob_chunks (ref,
start_at)`` ranges.  ``*_expiry`` indices serve only the periodic sweep.
The token index (``identity_tokens``, directory only, off the hot path) is
keyed by token id, with an index by identity for keeping it in step with
the head.

A migration is SQL, or a coroutine of the connection for steps SQL cannot
do (filling the token index from the stored chains).  Append a migration;
never edit one that shipped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from psycopg import AsyncConnection

from keybound.relay.storage.base import StorageUnavailable
from keybound.relay.storage.common import ChainTokens, chain_tokens

Migration = str | Callable[[AsyncConnection[Any]], Awaitable[None]]


async def index_chain_tokens(
    conn: AsyncConnection[Any], identity_id: bytes, tokens: ChainTokens
) -> None:
    """Bring the token index of ``identity_id`` to its new head (``tokens`` of
    the documents just appended).  Runs inside the appending transaction."""
    head = list(tokens.head)
    await conn.execute(
        "DELETE FROM identity_tokens WHERE identity_id = %s AND NOT token_id = ANY(%s::bytea[])",
        (identity_id, head),
    )
    if head:
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO identity_tokens (token_id, identity_id, signed) VALUES (%s, %s, %s)"
                " ON CONFLICT (token_id, identity_id) DO UPDATE SET"
                " signed = identity_tokens.signed OR excluded.signed",
                [(t, identity_id, t in tokens.signers) for t in head],
            )


async def _add_token_index(conn: AsyncConnection[Any]) -> None:
    await conn.execute(
        b"""
        CREATE TABLE identity_tokens (
            token_id bytea NOT NULL,
            identity_id bytea NOT NULL,
            signed boolean NOT NULL DEFAULT false,  -- the token signed a document of this chain
            seq bigint GENERATED ALWAYS AS IDENTITY,  -- listing order: the first lister wins a tie
            PRIMARY KEY (token_id, identity_id)
        );
        CREATE INDEX identity_tokens_identity ON identity_tokens (identity_id);
        """
    )
    cursor = await conn.execute(
        "SELECT identity_id, array_agg(document ORDER BY version) FROM chain_documents"
        " GROUP BY identity_id"
    )
    for identity_id, documents in await cursor.fetchall():
        tokens = chain_tokens([bytes(d) for d in documents])
        await index_chain_tokens(conn, bytes(identity_id), tokens)


MIGRATIONS: tuple[Migration, ...] = (
    # 1: queues, directory, blobs
    """
    CREATE TABLE queue (
        queue_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        recipient bytea NOT NULL,
        sender bytea NOT NULL,
        received_ms bigint NOT NULL,
        expires_ms bigint NOT NULL,
        payload bytea NOT NULL
    );
    CREATE INDEX queue_recipient ON queue (recipient, queue_id);
    CREATE INDEX queue_expiry ON queue (expires_ms);
    CREATE TABLE queue_stats (
        recipient bytea PRIMARY KEY,
        messages bigint NOT NULL,
        bytes bigint NOT NULL
    );

    CREATE TABLE chain_documents (
        identity_id bytea NOT NULL,
        version integer NOT NULL,
        document bytea NOT NULL,
        PRIMARY KEY (identity_id, version)
    );

    CREATE TABLE one_time_keys (
        device bytea NOT NULL,
        key_id bytea NOT NULL,
        key bytea NOT NULL,
        signature bytea NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (device, key_id)
    );
    CREATE INDEX one_time_keys_order ON one_time_keys (device, seq);
    CREATE TABLE claimed_keys (
        device bytea NOT NULL,
        key_id bytea NOT NULL,
        claimed_ms bigint NOT NULL,
        PRIMARY KEY (device, key_id)
    );
    CREATE INDEX claimed_keys_expiry ON claimed_keys (claimed_ms);
    CREATE TABLE fallback_keys (
        device bytea PRIMARY KEY,
        key_id bytea NOT NULL,
        key bytea NOT NULL,
        signature bytea NOT NULL
    );

    CREATE TABLE blobs (
        ref bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        upload_id bytea NOT NULL UNIQUE,
        blob_id bytea UNIQUE,
        owner bytea NOT NULL,
        size bigint NOT NULL,
        written bigint NOT NULL DEFAULT 0,
        sha256 bytea,
        expires_ms bigint NOT NULL
    );
    CREATE INDEX blobs_expiry ON blobs (expires_ms);
    CREATE TABLE blob_chunks (
        ref bigint NOT NULL REFERENCES blobs (ref) ON DELETE CASCADE,
        start_at bigint NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (ref, start_at)
    );
    ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;  -- ciphertext: no compression
    CREATE TABLE blob_usage (
        owner bytea PRIMARY KEY,
        bytes bigint NOT NULL
    );
    """,
    # 2: the token index (which identities list a token), filled from the stored chains
    _add_token_index,
    # 3: what each sender has queued for each recipient (the per-sender cap); its
    # rows are only touched while the recipient's queue_stats row is locked
    """
    CREATE TABLE sender_stats (
        recipient bytea NOT NULL,
        sender bytea NOT NULL,
        messages bigint NOT NULL,
        bytes bigint NOT NULL,
        PRIMARY KEY (recipient, sender)
    );
    INSERT INTO sender_stats (recipient, sender, messages, bytes)
        SELECT recipient, sender, count(*), sum(length(payload)) FROM queue
        GROUP BY recipient, sender;
    """,
    # 4: ML-KEM-768 prekeys (docs/post-quantum.md); claimed ones leave a tombstone in
    # claimed_keys under the key id prefixed "pq:"
    """
    CREATE TABLE pq_one_time_keys (
        device bytea NOT NULL,
        key_id bytea NOT NULL,
        key bytea NOT NULL,
        signature bytea NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (device, key_id)
    );
    CREATE INDEX pq_one_time_keys_order ON pq_one_time_keys (device, seq);
    CREATE TABLE pq_last_resort_keys (
        device bytea PRIMARY KEY,
        key_id bytea NOT NULL,
        key bytea NOT NULL,
        signature bytea NOT NULL
    );
    """,
)

# pg_advisory_xact_lock(int, int): this constant plus a hash of the schema name
_LOCK_CLASS = 0x4B42  # "KB"


async def migrate(conn: AsyncConnection[Any]) -> int:
    """Bring the current schema to the latest version; return that version."""
    async with conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", (_LOCK_CLASS,)
        )
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS keybound_schema_version (version integer NOT NULL)"
        )
        cursor = await conn.execute("SELECT max(version) FROM keybound_schema_version")
        row = await cursor.fetchone()
        version = 0 if row is None or row[0] is None else int(row[0])
        if version > len(MIGRATIONS):
            raise StorageUnavailable(
                f"the relay database has schema {version}, newer than this relay knows"
            )
        for number in range(version, len(MIGRATIONS)):
            migration = MIGRATIONS[number]
            if callable(migration):
                await migration(conn)
            else:
                await conn.execute(migration.encode())
            await conn.execute(
                "INSERT INTO keybound_schema_version (version) VALUES (%s)", (number + 1,)
            )
    return len(MIGRATIONS)
