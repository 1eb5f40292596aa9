-- Keybound history database, schema version 3: message requests.
--
-- Someone who is not a contact can still write to us (anyone who knows a
-- device address can).  Their identity chain is pinned (it is needed to
-- decrypt and to check the sender), but the person is a *request*, not a
-- contact: not listed among contacts, their conversation not in the
-- conversation list, until we accept (the flag is cleared), block, or delete.
ALTER TABLE identities ADD COLUMN is_request INTEGER NOT NULL DEFAULT 0
    CHECK (is_request IN (0, 1));
