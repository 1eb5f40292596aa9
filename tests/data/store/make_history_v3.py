"""How history-v3.db was made (kept for the record; never re-run over the file).

Schema version 3 adds message requests (``identities.is_request``).  The file is
``history-v2.db`` opened (so upgraded) by the code of schema version 3, plus
one identity that is a message request.  Run with the code of schema version 3
only:

    .venv/bin/python tests/data/store/make_history_v3.py OUT.db
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from keybound.store.database import Database

HERE = Path(__file__).parent
KEY = bytes.fromhex("6b6579626f756e64207465737420686973746f7279206b65792076312e2e2e21")
T0 = 1_700_000_000_000


def build(out: Path) -> None:
    shutil.copyfile(HERE / "history-v2.db", out)
    with Database.open(out, KEY, memory_security=False) as db, db.transaction():
        assert db.schema_version == 3
        db.execute(
            "INSERT INTO identities (identity_id, created_at, updated_at, is_request) "
            "VALUES (?, ?, ?, 1)",
            (b"identity-stranger", T0 + 6000, T0 + 6000),
        )


if __name__ == "__main__":
    out = Path(sys.argv[1])
    if out.exists():
        sys.exit(f"{out} exists: shipped database files are never rebuilt")
    build(out)
