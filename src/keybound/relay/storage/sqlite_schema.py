"""The SQLite relay schema as numbered migrations (``PRAGMA user_version``).

Kept in Python rather than ``.sql`` files so the schema ships inside any
install without package-data rules.  Append a migration; never edit one that
shipped.  A migration is SQL, or a function of the connection for steps SQL
cannot do (filling the token index from the stored chains).

Indices, each led by the device key so every hot query touches one device:
``queue (recipient, queue_id)`` for fetch/ack, ``sender_stats (recipient,
sender)`` for the per-sender cap, ``one_time_keys (device, seq)``
for claims, ``blob_chunks (ref, start_at)`` for ranges; the ``*_expiry``
indices serve only the periodic sweep.  The token index (``identity_tokens``,
directory only, off the hot path) is keyed by token id, with an index by
identity for keeping it in step with the head.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from keybound.relay.storage.base import StorageUnavailable
from keybound.relay.storage.common import ChainTokens, chain_tokens

Migration = str | Callable[[sqlite3.Connection], None]


def index_chain_tokens(conn: sqlite3.Connection, identity_id: bytes, tokens: ChainTokens) -> None:
    """Bring the token index of ``identity_id`` to its new head (``tokens`` of
    the documents just appended).  Runs inside the appending write."""
    held = conn.execute(
        "SELECT token_id FROM identity_tokens WHERE identity_id = ?", (identity_id,)
    ).fetchall()
    conn.executemany(
        "DELETE FROM identity_tokens WHERE token_id = ? AND identity_id = ?",
        [(row[0], identity_id) for row in held if bytes(row[0]) not in tokens.head],
    )
    conn.executemany(
        "INSERT INTO identity_tokens (token_id, identity_id, signed) VALUES (?, ?, ?)"
        " ON CONFLICT (token_id, identity_id) DO UPDATE SET"
        " signed = max(signed, excluded.signed)",
        [(t, identity_id, int(t in tokens.signers)) for t in tokens.head],
    )


def _add_token_index(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE identity_tokens (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- listing order: the first lister wins a tie
            token_id BLOB NOT NULL,
            identity_id BLOB NOT NULL,
            signed INTEGER NOT NULL DEFAULT 0,  -- the token signed a document of this chain
            UNIQUE (token_id, identity_id)
        )"""
    )
    conn.execute("CREATE INDEX identity_tokens_identity ON identity_tokens (identity_id)")
    identities = [
        row[0] for row in conn.execute("SELECT DISTINCT identity_id FROM chain_documents")
    ]
    for identity_id in identities:
        documents = [
            bytes(row[0])
            for row in conn.execute(
                "SELECT document FROM chain_documents WHERE identity_id = ? ORDER BY version",
                (identity_id,),
            )
        ]
        index_chain_tokens(conn, bytes(identity_id), chain_tokens(documents))


MIGRATIONS: tuple[Migration, ...] = (
    # 1: queues, directory, blobs
    """
    CREATE TABLE queue (
        queue_id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: fetch pages by id
        recipient BLOB NOT NULL,
        sender BLOB NOT NULL,
        received_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        payload BLOB NOT NULL
    );
    CREATE INDEX queue_recipient ON queue (recipient, queue_id);
    CREATE INDEX queue_expiry ON queue (expires_ms);
    CREATE TABLE queue_stats (
        recipient BLOB PRIMARY KEY,
        messages INTEGER NOT NULL,
        bytes INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE chain_documents (
        identity_id BLOB NOT NULL,
        version INTEGER NOT NULL,
        document BLOB NOT NULL,
        PRIMARY KEY (identity_id, version)
    ) WITHOUT ROWID;

    CREATE TABLE one_time_keys (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        device BLOB NOT NULL,
        key_id BLOB NOT NULL,
        key BLOB NOT NULL,
        signature BLOB NOT NULL,
        UNIQUE (device, key_id)
    );
    CREATE INDEX one_time_keys_order ON one_time_keys (device, seq);
    CREATE TABLE claimed_keys (  -- tombstones: a republished, already claimed key stays dead
        device BLOB NOT NULL,
        key_id BLOB NOT NULL,
        claimed_ms INTEGER NOT NULL,
        PRIMARY KEY (device, key_id)
    ) WITHOUT ROWID;
    CREATE INDEX claimed_keys_expiry ON claimed_keys (claimed_ms);
    CREATE TABLE fallback_keys (
        device BLOB PRIMARY KEY,
        key_id BLOB NOT NULL,
        key BLOB NOT NULL,
        signature BLOB NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE blobs (  -- an upload until blob_id is set, then a published blob
        ref INTEGER PRIMARY KEY AUTOINCREMENT,
        upload_id BLOB NOT NULL UNIQUE,
        blob_id BLOB UNIQUE,
        owner BLOB NOT NULL,
        size INTEGER NOT NULL,
        written INTEGER NOT NULL DEFAULT 0,
        sha256 BLOB,
        expires_ms INTEGER NOT NULL
    );
    CREATE INDEX blobs_expiry ON blobs (expires_ms);
    CREATE TABLE blob_chunks (  -- a rowid table: rows of up to 512 KiB suit it better
        ref INTEGER NOT NULL,
        start_at INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (ref, start_at)
    );
    CREATE TABLE blob_usage (
        owner BLOB PRIMARY KEY,
        bytes INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    # 2: the token index (which identities list a token), filled from the stored chains
    _add_token_index,
    # 3: what each sender has queued for each recipient (the per-sender cap)
    """
    CREATE TABLE sender_stats (
        recipient BLOB NOT NULL,
        sender BLOB NOT NULL,
        messages INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        PRIMARY KEY (recipient, sender)
    ) WITHOUT ROWID;
    INSERT INTO sender_stats (recipient, sender, messages, bytes)
        SELECT recipient, sender, count(*), sum(length(payload)) FROM queue
        GROUP BY recipient, sender;
    """,
    # 4: ML-KEM-768 prekeys (docs/post-quantum.md); claimed ones leave a tombstone in
    # claimed_keys under the key id prefixed "pq:"
    """
    CREATE TABLE pq_one_time_keys (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        device BLOB NOT NULL,
        key_id BLOB NOT NULL,
        key BLOB NOT NULL,
        signature BLOB NOT NULL,
        UNIQUE (device, key_id)
    );
    CREATE INDEX pq_one_time_keys_order ON pq_one_time_keys (device, seq);
    CREATE TABLE pq_last_resort_keys (
        device BLOB PRIMARY KEY,
        key_id BLOB NOT NULL,
        key BLOB NOT NULL,
        signature BLOB NOT NULL
    ) WITHOUT ROWID;
    """,
)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema to the latest version in one transaction; return it.

    ``BEGIN IMMEDIATE`` takes the write lock first, so two processes opening
    the same file at once migrate one after the other.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version > len(MIGRATIONS):
            raise StorageUnavailable(
                f"the relay database has schema {version}, newer than this relay knows"
            )
        for number in range(version, len(MIGRATIONS)):
            migration = MIGRATIONS[number]
            if callable(migration):
                migration(conn)
                continue
            for statement in migration.split(";"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)
