"""The small markdown subset of text messages: **bold**, *italic*, `code`, [links](https://...).

Messages store the source text; this parser only turns it into flat spans for
display.  It never fails (anything it does not recognise stays plain text),
nests nothing, and accepts only http, https and mailto link targets, so a
message cannot smuggle a ``javascript:`` or ``file:`` link into the UI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

SpanKind = Literal["text", "bold", "italic", "code", "link"]

_TOKEN = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|\*\*(?P<bold>[^*\n]+)\*\*"
    r"|\*(?P<italic>[^*\n]+)\*"
    r"|(?<!\w)_(?P<italic2>[^_\n]+)_(?!\w)"
    r"|\[(?P<label>[^\]\n]+)\]\((?P<url>(?:https?://|mailto:)[^)\s]+)\)"
)


@dataclass(frozen=True)
class Span:
    """A run of text with one style; ``url`` only for links."""

    kind: SpanKind
    text: str
    url: str | None = None


def parse_markdown(text: str) -> tuple[Span, ...]:
    """Split ``text`` into styled spans; concatenating their text gives the visible text."""
    spans: list[Span] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() > pos:
            spans.append(Span("text", text[pos : match.start()]))
        groups = match.groupdict()
        if groups["code"] is not None:
            spans.append(Span("code", groups["code"]))
        elif groups["bold"] is not None:
            spans.append(Span("bold", groups["bold"]))
        elif groups["italic"] is not None or groups["italic2"] is not None:
            spans.append(Span("italic", groups["italic"] or groups["italic2"] or ""))
        else:
            spans.append(Span("link", groups["label"] or "", groups["url"]))
        pos = match.end()
    if pos < len(text):
        spans.append(Span("text", text[pos:]))
    return tuple(spans)
