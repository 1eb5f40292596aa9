"""After a failed transaction the engine forgets what only its memory holds.

Decrypting advances Olm and Megolm ratchets in memory; the new state reaches
the database only with the transaction that stores the message.  When that
transaction fails (disk full, database locked, I/O error) the database is
rolled back but the ratchets in memory are not: a message key used in memory
is gone, and the relay's copy, delivered again, could never be read.  So
every job that decrypts or encrypts and then fails to commit reloads the
protocol machine and the identity book from the database, which is the one
source of truth.  Loading them is what unlocking does anyway.
"""

from __future__ import annotations

import logging

from keybound.client.account import STATE_KINDS
from keybound.client.core import Core
from keybound.client.identities import IdentityBook
from keybound.protocol.state import StateChange

log = logging.getLogger(__name__)


def reload(core: Core) -> None:
    """Database thread: rebuild ``core``'s machine and identity book from what is stored."""
    book = IdentityBook()
    book.load(core.repo, core.env.now_s())
    records = [
        StateChange(kind, key, value)
        for kind in STATE_KINDS
        for key, value in core.repo.crypto_states(kind).items()
    ]
    core.machine = core.machine.reloaded(records, book.lookup)
    core.book = book
    log.info("protocol state reloaded from the database after a failed transaction")
