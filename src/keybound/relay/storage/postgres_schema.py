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
to one device), ``one_time_keys (device, seq)`` claims, ``blob_chunks (ref,
start_at)`` ranges.  ``*_expiry`` indices serve only the periodic sweep.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from keybound.relay.storage.base import StorageUnavailable

MIGRATIONS: tuple[str, ...] = (
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
            await conn.execute(MIGRATIONS[number].encode())
            await conn.execute(
                "INSERT INTO keybound_schema_version (version) VALUES (%s)", (number + 1,)
            )
    return len(MIGRATIONS)
