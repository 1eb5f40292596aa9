-- Keybound history database, schema version 4: the conversation list reads one table.
--
-- The list showed each conversation's last message by joining `messages` on
-- last_message_id: 1,000 conversations meant 1,000 message rows on as many
-- pages, each page decrypted on a cache miss, which made the list the slowest
-- read the app does at start.  The conversation row now keeps a copy of its
-- last message's columns (last_message_id and last_sort_at already were
-- there), and the triggers keep that copy in step inside the writer's own
-- transaction: on insert (a newer message), on any update of the last message
-- (status, edit, delete for everyone: its text leaves the copy in the same
-- statement), and on delete (the next newest takes its place).  The copy is
-- all NULL when the conversation has no messages.
ALTER TABLE conversations ADD COLUMN last_sender_identity BLOB;
ALTER TABLE conversations ADD COLUMN last_sender_device BLOB;
ALTER TABLE conversations ADD COLUMN last_outgoing INTEGER;
ALTER TABLE conversations ADD COLUMN last_sent_at INTEGER;
ALTER TABLE conversations ADD COLUMN last_body TEXT;
ALTER TABLE conversations ADD COLUMN last_content_type TEXT;
ALTER TABLE conversations ADD COLUMN last_received_at INTEGER;
ALTER TABLE conversations ADD COLUMN last_edited_at INTEGER;
ALTER TABLE conversations ADD COLUMN last_reply_to BLOB;
ALTER TABLE conversations ADD COLUMN last_status TEXT;
ALTER TABLE conversations ADD COLUMN last_failure_reason TEXT;
ALTER TABLE conversations ADD COLUMN last_expires_at INTEGER;
ALTER TABLE conversations ADD COLUMN last_deleted INTEGER;

UPDATE conversations
   SET (last_sender_identity, last_sender_device, last_outgoing, last_sent_at, last_body,
        last_content_type, last_received_at, last_edited_at, last_reply_to, last_status,
        last_failure_reason, last_expires_at, last_deleted)
     = (SELECT sender_identity, sender_device, outgoing, sent_at, body, content_type,
               received_at, edited_at, reply_to, status, failure_reason, expires_at, deleted
          FROM messages WHERE messages.message_id = conversations.last_message_id)
 WHERE last_message_id IS NOT NULL;

-- The list leaves out conversations with message requests: a seek in this index
-- (usually empty) per row instead of a lookup of the peer's identity row.
CREATE INDEX identities_requests ON identities (identity_id) WHERE is_request = 1;

DROP TRIGGER messages_ai;
CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) SELECT NEW.rowid, NEW.body WHERE NEW.body IS NOT NULL;
    UPDATE conversations SET unread_count = unread_count + 1
     WHERE conversation_id = NEW.conversation_id AND NEW.outgoing = 0 AND NEW.deleted = 0
       AND (NEW.sort_at, NEW.message_id) > (last_read_sort_at, last_read_message_id);
    UPDATE conversations
       SET (last_sort_at, last_message_id, last_sender_identity, last_sender_device,
            last_outgoing, last_sent_at, last_body, last_content_type, last_received_at,
            last_edited_at, last_reply_to, last_status, last_failure_reason, last_expires_at,
            last_deleted)
         = (NEW.sort_at, NEW.message_id, NEW.sender_identity, NEW.sender_device,
            NEW.outgoing, NEW.sent_at, NEW.body, NEW.content_type, NEW.received_at,
            NEW.edited_at, NEW.reply_to, NEW.status, NEW.failure_reason, NEW.expires_at,
            NEW.deleted)
     WHERE conversation_id = NEW.conversation_id
       AND (last_message_id IS NULL OR (NEW.sort_at, NEW.message_id) > (last_sort_at, last_message_id));
END;

-- Any change to the last message (a message's ID, conversation and sort_at never change).
CREATE TRIGGER messages_au_last AFTER UPDATE ON messages BEGIN
    UPDATE conversations
       SET (last_sender_identity, last_sender_device, last_outgoing, last_sent_at, last_body,
            last_content_type, last_received_at, last_edited_at, last_reply_to, last_status,
            last_failure_reason, last_expires_at, last_deleted)
         = (NEW.sender_identity, NEW.sender_device, NEW.outgoing, NEW.sent_at, NEW.body,
            NEW.content_type, NEW.received_at, NEW.edited_at, NEW.reply_to, NEW.status,
            NEW.failure_reason, NEW.expires_at, NEW.deleted)
     WHERE conversation_id = NEW.conversation_id AND last_message_id = NEW.message_id;
END;

DROP TRIGGER messages_ad;
CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body)
        SELECT 'delete', OLD.rowid, OLD.body WHERE OLD.body IS NOT NULL;
    UPDATE conversations SET unread_count = unread_count - 1
     WHERE conversation_id = OLD.conversation_id AND OLD.outgoing = 0 AND OLD.deleted = 0
       AND (OLD.sort_at, OLD.message_id) > (last_read_sort_at, last_read_message_id);
    UPDATE conversations
       SET (last_message_id, last_sender_identity, last_sender_device, last_outgoing,
            last_sent_at, last_body, last_content_type, last_received_at, last_edited_at,
            last_reply_to, last_status, last_failure_reason, last_expires_at, last_deleted)
         = (SELECT message_id, sender_identity, sender_device, outgoing, sent_at, body,
                   content_type, received_at, edited_at, reply_to, status, failure_reason,
                   expires_at, deleted
              FROM messages WHERE conversation_id = OLD.conversation_id
             ORDER BY sort_at DESC, message_id DESC LIMIT 1),
           last_sort_at = coalesce((SELECT sort_at FROM messages WHERE conversation_id = OLD.conversation_id
                                    ORDER BY sort_at DESC, message_id DESC LIMIT 1), created_at)
     WHERE conversation_id = OLD.conversation_id AND last_message_id = OLD.message_id;
END;
