-- Keybound history database, schema version 1.
--
-- Conventions: times are integer milliseconds since the Unix epoch (UTC);
-- identity, device, conversation and message IDs are opaque BLOBs chosen by
-- the protocol layer; booleans are 0/1 integers.  Triggers keep the full-text
-- index and the denormalised conversation columns (last message, unread
-- count) in step with `messages`, inside the writer's own transaction.

-- People: our own identity (is_self = 1, at most one) and every contact or
-- group member we have seen.  Rows are never deleted: messages refer to them.
CREATE TABLE identities (
    identity_id      BLOB PRIMARY KEY,
    is_self          INTEGER NOT NULL DEFAULT 0 CHECK (is_self IN (0, 1)),
    display_name     TEXT NOT NULL DEFAULT '',
    chain            BLOB,              -- the pinned, signed identity chain (CBOR)
    verification     TEXT NOT NULL DEFAULT 'unverified'
                     CHECK (verification IN ('unverified', 'verified', 'changed')),
    blocked          INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX identities_self ON identities (is_self) WHERE is_self = 1;

CREATE TABLE devices (
    device_id        BLOB PRIMARY KEY,
    identity_id      BLOB NOT NULL REFERENCES identities (identity_id),
    name             TEXT NOT NULL DEFAULT '',
    curve25519       BLOB NOT NULL,
    ed25519          BLOB NOT NULL,
    certificate      BLOB,
    is_current       INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),
    added_at         INTEGER NOT NULL,
    removed_at       INTEGER
);
CREATE INDEX devices_identity ON devices (identity_id);
CREATE UNIQUE INDEX devices_current ON devices (is_current) WHERE is_current = 1;

CREATE TABLE conversations (
    conversation_id       BLOB PRIMARY KEY,
    kind                  TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    name                  TEXT NOT NULL DEFAULT '',
    peer_identity         BLOB REFERENCES identities (identity_id),
    disappearing_seconds  INTEGER CHECK (disappearing_seconds IS NULL OR disappearing_seconds > 0),
    muted                 INTEGER NOT NULL DEFAULT 0 CHECK (muted IN (0, 1)),
    archived              INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at            INTEGER NOT NULL,
    -- read position: messages sorting after (last_read_sort_at, last_read_message_id) are unread
    last_read_sort_at     INTEGER NOT NULL DEFAULT 0,
    last_read_message_id  BLOB NOT NULL DEFAULT x'',
    -- denormalised by triggers so the conversation list never scans messages
    last_sort_at          INTEGER NOT NULL,
    last_message_id       BLOB,
    unread_count          INTEGER NOT NULL DEFAULT 0,
    CHECK ((kind = 'direct') = (peer_identity IS NOT NULL))
);
CREATE INDEX conversations_recent
    ON conversations (archived, last_sort_at DESC, conversation_id DESC);
CREATE UNIQUE INDEX conversations_direct ON conversations (peer_identity) WHERE kind = 'direct';

CREATE TABLE conversation_members (
    conversation_id  BLOB NOT NULL REFERENCES conversations (conversation_id) ON DELETE CASCADE,
    identity_id      BLOB NOT NULL REFERENCES identities (identity_id),
    role             TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
    joined_at        INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, identity_id)
) WITHOUT ROWID;
CREATE INDEX conversation_members_identity ON conversation_members (identity_id);

-- Messages.  message_id is the stable 16-byte ID (48-bit ms time, then
-- random: bytewise order is time order); rowid is local and exists for FTS5.
-- sort_at = received_at for incoming, sent_at for outgoing (both our clock);
-- (conversation_id, sort_at, message_id) is the unique keyset-pagination key.
CREATE TABLE messages (
    rowid            INTEGER PRIMARY KEY,
    message_id       BLOB NOT NULL UNIQUE CHECK (length(message_id) = 16),
    conversation_id  BLOB NOT NULL REFERENCES conversations (conversation_id) ON DELETE CASCADE,
    sender_identity  BLOB NOT NULL REFERENCES identities (identity_id),
    sender_device    BLOB NOT NULL,
    outgoing         INTEGER NOT NULL CHECK (outgoing IN (0, 1)),
    sort_at          INTEGER NOT NULL,
    sent_at          INTEGER NOT NULL,
    received_at      INTEGER,
    edited_at        INTEGER,
    content_type     TEXT NOT NULL,
    body             TEXT,              -- NULL once deleted for everyone
    reply_to         BLOB,              -- a message ID; that message may not be here
    status           TEXT NOT NULL
                     CHECK (status IN ('sending', 'sent', 'delivered', 'read', 'failed', 'received')),
    failure_reason   TEXT,
    expires_at       INTEGER,
    deleted          INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))
);
CREATE INDEX messages_page ON messages (conversation_id, sort_at, message_id);
CREATE INDEX messages_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE reactions (
    message_id       BLOB NOT NULL REFERENCES messages (message_id) ON DELETE CASCADE,
    sender_identity  BLOB NOT NULL REFERENCES identities (identity_id),
    emoji            TEXT NOT NULL,
    reacted_at       INTEGER NOT NULL,
    PRIMARY KEY (message_id, sender_identity)
) WITHOUT ROWID;

CREATE TABLE receipts (
    message_id          BLOB NOT NULL REFERENCES messages (message_id) ON DELETE CASCADE,
    recipient_device    BLOB NOT NULL,
    recipient_identity  BLOB NOT NULL REFERENCES identities (identity_id),
    delivered_at        INTEGER,
    read_at             INTEGER,
    PRIMARY KEY (message_id, recipient_device)
) WITHOUT ROWID;

CREATE TABLE attachments (
    message_id   BLOB NOT NULL REFERENCES messages (message_id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    blob_id      BLOB NOT NULL,        -- the relay's blob ID
    key          BLOB NOT NULL,        -- the attachment's own encryption key
    digest       BLOB NOT NULL,        -- of the encrypted blob
    size         INTEGER NOT NULL,
    media_type   TEXT NOT NULL,
    file_name    TEXT,
    thumbnail    BLOB,
    local_state  TEXT NOT NULL DEFAULT 'remote'
                 CHECK (local_state IN ('remote', 'downloading', 'local', 'failed')),
    local_path   TEXT,
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;

-- Durable queue of outgoing envelopes (already encrypted per recipient device).
CREATE TABLE outbox (
    id                INTEGER PRIMARY KEY,
    message_id        BLOB,            -- NULL for envelopes that carry no message (receipts, key shares)
    recipient_device  BLOB NOT NULL,
    payload           BLOB NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    state             TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
    last_error        TEXT,
    created_at        INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';

-- Olm/Megolm pickles, already encrypted with the pickle key by vodozemac.
CREATE TABLE crypto_state (
    kind   TEXT NOT NULL,
    key    BLOB NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;

-- Envelope IDs already handled: at-least-once on the wire, exactly-once here.
CREATE TABLE processed_messages (
    message_id    BLOB PRIMARY KEY,
    processed_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX processed_messages_age ON processed_messages (processed_at);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  BLOB NOT NULL
) WITHOUT ROWID;

-- Full-text index over message bodies.  External content: the text lives
-- only in messages.body; the index holds terms.  'secure-delete' makes FTS5
-- remove a deleted row's terms from the index at once instead of leaving
-- them in older segments until a merge.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body, content = 'messages', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) SELECT NEW.rowid, NEW.body WHERE NEW.body IS NOT NULL;
    UPDATE conversations SET unread_count = unread_count + 1
     WHERE conversation_id = NEW.conversation_id AND NEW.outgoing = 0 AND NEW.deleted = 0
       AND (NEW.sort_at, NEW.message_id) > (last_read_sort_at, last_read_message_id);
    UPDATE conversations SET last_sort_at = NEW.sort_at, last_message_id = NEW.message_id
     WHERE conversation_id = NEW.conversation_id
       AND (last_message_id IS NULL OR (NEW.sort_at, NEW.message_id) > (last_sort_at, last_message_id));
END;

CREATE TRIGGER messages_au_body AFTER UPDATE OF body ON messages
WHEN OLD.body IS NOT NEW.body BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body)
        SELECT 'delete', OLD.rowid, OLD.body WHERE OLD.body IS NOT NULL;
    INSERT INTO messages_fts (rowid, body) SELECT NEW.rowid, NEW.body WHERE NEW.body IS NOT NULL;
END;

CREATE TRIGGER messages_au_deleted AFTER UPDATE OF deleted ON messages
WHEN OLD.deleted = 0 AND NEW.deleted = 1 AND OLD.outgoing = 0 BEGIN
    UPDATE conversations SET unread_count = unread_count - 1
     WHERE conversation_id = OLD.conversation_id
       AND (OLD.sort_at, OLD.message_id) > (last_read_sort_at, last_read_message_id);
END;

CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body)
        SELECT 'delete', OLD.rowid, OLD.body WHERE OLD.body IS NOT NULL;
    UPDATE conversations SET unread_count = unread_count - 1
     WHERE conversation_id = OLD.conversation_id AND OLD.outgoing = 0 AND OLD.deleted = 0
       AND (OLD.sort_at, OLD.message_id) > (last_read_sort_at, last_read_message_id);
    UPDATE conversations
       SET last_message_id = (SELECT message_id FROM messages WHERE conversation_id = OLD.conversation_id
                               ORDER BY sort_at DESC, message_id DESC LIMIT 1),
           last_sort_at = coalesce((SELECT sort_at FROM messages WHERE conversation_id = OLD.conversation_id
                                    ORDER BY sort_at DESC, message_id DESC LIMIT 1), created_at)
     WHERE conversation_id = OLD.conversation_id AND last_message_id = OLD.message_id;
END;
