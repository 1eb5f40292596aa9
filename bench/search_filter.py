"""What leaving system lines out of search costs: the global search query before and after.

Run: `.venv/bin/python bench/search_filter.py [--messages N] [--json PATH]`
(default 300,000 messages over 1,000 conversations, a few thousand of them
system lines such as "alice added carol").

System lines (``keybound.client.system``) are history rows whose body is a
JSON object; search must not find them, so the global search now joins each
full-text match to its message row and drops ``content_type = 'system'``
before the LIMIT, as the one-conversation search always did.  This builds
one SQLCipher history with the store benchmark's synthetic data (Zipf words
and conversations, bench/store.py) and times the same query set, interleaved,
with the old SQL (the baseline) and with ``Repository.search``.  Prints a
table and writes JSON.
"""

# Imports come after the sys.path fix below.
# ruff: noqa: E402, S608

from __future__ import annotations

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
sys.path.insert(0, os.path.dirname(_here))

import argparse
import json
import platform
import random
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.store import SEED, START_MS, generate, open_db, pct, vocabulary

from keybound.store import search as fts
from keybound.store.keys import MasterKey
from keybound.store.models import Conversation, ConversationKind, Identity
from keybound.store.repository import _MESSAGE, Repository

ROUNDS = 300
CONTENT_TYPE = _MESSAGE.fields.index("content_type")
SYSTEM_EVERY = 100  # one message in a hundred is a system line


def old_sql(columns: str) -> str:
    """The global search as it was before system lines (the baseline)."""
    snippet = f"snippet(messages_fts, 0, char(2), char(3), '…', {fts.SNIPPET_TOKENS})"
    inner = (
        f"SELECT rowid, rank, {snippet} AS snip FROM messages_fts "
        "WHERE messages_fts MATCH ? ORDER BY rank LIMIT ?"
    )
    return (
        f"SELECT {columns}, hits.snip FROM ({inner}) AS hits "
        "JOIN messages ON messages.rowid = hits.rowid ORDER BY hits.rank"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=Path(_here) / "results" / "search_filter.json")
    args = parser.parse_args()
    rng = random.Random(SEED)
    vocab = vocabulary(rng)
    with tempfile.TemporaryDirectory(prefix="keybound-bench-") as tmp:
        db = open_db("sqlcipher", Path(tmp) / "h.db", MasterKey(bytes(range(32))))
        repo = Repository(db)
        convs = [i.to_bytes(4, "big") + b"conversation" for i in range(args.conversations)]
        with db.transaction():
            repo.upsert_identity(Identity(b"self", START_MS, "Me", is_self=True))
            for conv in convs:
                peer = b"peer" + conv
                repo.upsert_identity(Identity(peer, START_MS, "Peer"))
                repo.upsert_conversation(
                    Conversation(conv, ConversationKind.DIRECT, START_MS, peer_identity=peer)
                )
        n = 0
        for batch in generate(args.messages, convs, rng, vocab):
            rows = []
            for m in batch:
                n += 1
                if n % SYSTEM_EVERY == 0:  # a line whose JSON holds words people search for
                    body = json.dumps({"kind": "renamed", "actor": "00", "name": m.body})
                    m = replace(m, content_type="system", body=body)
                rows.append(m)
            repo.insert_messages(rows)
        db.checkpoint()
        queries = []
        for _ in range(ROUNDS):
            mid = vocab[rng.randrange(200, 5000)]
            queries.append(mid if rng.random() < 0.8 else f"{vocab[rng.randrange(20, 200)]} {mid}")
        before_sql = old_sql(_MESSAGE.columns)
        after_sql = fts.search_sql(_MESSAGE.columns, False)
        samples: dict[str, list[float]] = {"before": [], "after": []}
        found = {"before": 0, "after": 0}
        for q in queries[:10]:  # warm the cache for both
            query = fts.fts_query(q)
            db.query(before_sql, (query, 20))
            db.query(after_sql, (query, 20))
        for i, q in enumerate(queries):
            query = fts.fts_query(q)
            order = (("before", before_sql), ("after", after_sql))
            for name, sql in order if i % 2 else order[::-1]:
                start = time.perf_counter()
                hits = db.query(sql, (query, 20))
                samples[name].append(time.perf_counter() - start)
                found[name] += sum(1 for h in hits if h[CONTENT_TYPE] == "system")
        db.close()
    result = {
        "messages": args.messages,
        "system_lines": args.messages // SYSTEM_EVERY,
        "queries": ROUNDS,
        "python": platform.python_version(),
        **{f"{k}_p50_ms": pct(v, 50) for k, v in samples.items()},
        **{f"{k}_p95_ms": pct(v, 95) for k, v in samples.items()},
        "system_hits_before": found["before"],
        "system_hits_after": found["after"],
    }
    print(
        f"global search over {args.messages:,} messages ({result['system_lines']:,} system lines)"
    )
    print(f"{'':22}{'before (baseline)':>20}{'after':>12}")
    for metric in ("p50_ms", "p95_ms"):
        print(f"{metric:22}{result['before_' + metric]:>20.2f}{result['after_' + metric]:>12.2f}")
    print(f"{'system lines found':22}{found['before']:>20}{found['after']:>12}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
