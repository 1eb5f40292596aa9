"""How history-v4.db was made (kept for the record; never re-run over the file).

Schema version 4 keeps a copy of the last message in each conversation row.  The file is
``history-v3.db`` opened (so upgraded, the copies filled in) by the code of schema
version 4, unchanged otherwise.  Run with the code of schema version 4
only:

    .venv/bin/python tests/data/store/make_history_v4.py OUT.db
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
    shutil.copyfile(HERE / "history-v3.db", out)
    with Database.open(out, KEY, memory_security=False) as db:
        assert db.schema_version == 4


if __name__ == "__main__":
    out = Path(sys.argv[1])
    if out.exists():
        sys.exit(f"{out} exists: shipped database files are never rebuilt")
    build(out)
