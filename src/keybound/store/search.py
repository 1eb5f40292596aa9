"""Full-text search over message bodies (FTS5, bm25 ranking, snippets).

What a person types is never handed to FTS5's query language: it is cut into
words, each word becomes a quoted string (so ``AND``, ``NEAR``, ``"``, ``*``,
``:`` and ``-`` are just text), the last word also matches as a prefix so that
results follow typing, and all words must match.  No input raises a syntax
error.  Snippet match markers are control characters and come back as
:class:`SnippetPart` values, so the GUI never parses markup from message text.
"""

# The SQL is assembled from constants only; the query text is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import re

from .models import SYSTEM_CONTENT_TYPE as SYSTEM
from .models import SnippetPart

MAX_TERMS = 16
SNIPPET_TOKENS = 12
_START, _END = "\x02", "\x03"
_WORD = re.compile(r"\w+")


def fts_query(text: str) -> str | None:
    """The safe FTS5 query for ``text``, or None when it holds no word at all."""
    words = _WORD.findall(text)[:MAX_TERMS]
    if not words:
        return None
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    if len(words[-1]) >= 2:
        quoted[-1] += "*"
    return " ".join(quoted)


def search_sql(columns: str, in_conversation: bool) -> str:
    """SQL for (query, [conversation_id,] limit): message columns, then the snippet.

    FTS5 consumes ``ORDER BY rank LIMIT n`` inside the inner query, so only n
    snippets are built however many rows match.
    """
    snippet = f"snippet(messages_fts, 0, char(2), char(3), '…', {SNIPPET_TOKENS})"
    # System lines (a group change, stored as JSON: see client.system) are no text
    # anyone wrote; leaving them out must happen before the LIMIT too.
    inner = (
        f"SELECT messages_fts.rowid, rank, {snippet} AS snip FROM messages_fts "
        "JOIN messages AS m ON m.rowid = messages_fts.rowid "
        f"WHERE messages_fts MATCH ? AND m.content_type <> '{SYSTEM}' ORDER BY rank LIMIT ?"
    )
    if in_conversation:
        # Restricting to one conversation must happen before the LIMIT.
        inner = (
            f"SELECT messages_fts.rowid, rank, {snippet} AS snip FROM messages_fts "
            "JOIN messages AS m ON m.rowid = messages_fts.rowid "
            f"WHERE messages_fts MATCH ? AND m.content_type <> '{SYSTEM}' "
            "AND m.conversation_id = ? ORDER BY rank LIMIT ?"
        )
    return (
        f"SELECT {columns}, hits.snip FROM ({inner}) AS hits "
        "JOIN messages ON messages.rowid = hits.rowid ORDER BY hits.rank"
    )


def split_snippet(snippet: str) -> tuple[SnippetPart, ...]:
    """Turn a marked snippet into plain and matching parts."""
    parts: list[SnippetPart] = []
    for chunk in snippet.split(_START):
        matched, sep, rest = chunk.partition(_END)
        if sep:
            if matched:
                parts.append(SnippetPart(matched, True))
            if rest:
                parts.append(SnippetPart(rest, False))
        elif chunk:
            parts.append(SnippetPart(chunk, False))
    return tuple(parts)
