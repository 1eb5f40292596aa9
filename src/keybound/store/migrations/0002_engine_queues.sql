-- Keybound history database, schema version 2: what the client engine's queues need.
--
-- The relay addresses a device by (identity ID, device ID), so an outbox row
-- needs the recipient's identity as well as its device.  Rows written by
-- version 1 have none; the engine of version 1 never ran, so none exist in
-- practice, and the engine fails such a row with a reason instead of guessing.
ALTER TABLE outbox ADD COLUMN recipient_identity BLOB;

-- Messages waiting to be encrypted: the person pressed "send" (the message row
-- is already in `messages`, status 'sending'), but a recipient device has no
-- Olm session yet and the relay must first hand out one of its one-time keys.
-- Envelopes for control messages (receipts, device notices) wait here too.
-- `content` is the protocol content body; it is plaintext, like messages.body,
-- inside the encrypted database.  The row is deleted in the transaction that
-- writes its encrypted envelopes to `outbox`.
CREATE TABLE compose_queue (
    id               INTEGER PRIMARY KEY,
    message_id       BLOB NOT NULL UNIQUE CHECK (length(message_id) = 16),
    conversation_id  BLOB NOT NULL,
    scheme           TEXT NOT NULL CHECK (scheme IN ('direct', 'group')),
    recipients       BLOB NOT NULL,      -- canonical CBOR list of identity IDs
    content_type     INTEGER NOT NULL,
    content          BLOB NOT NULL,
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT
);
