"""Message text as rich text: the markdown subset, bare links, names that cannot misbehave.

Everything that other people wrote is escaped before it becomes HTML; the only
markup is what :func:`keybound.client.markdown.parse_markdown` recognised
(bold, italic, code, links with http/https/mailto targets) plus bare
``https://`` links found in plain text.  Links are only drawn: nothing is
fetched until the person clicks one.
"""

from __future__ import annotations

import html
import re

from keybound.client.display import isolate
from keybound.client.markdown import Span, parse_markdown

# Bare links in plain text (markdown links are found by the parser).
_BARE_LINK = re.compile(r"\b(?:https?://|mailto:)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def linkify(text: str) -> list[Span]:
    """Plain ``text`` split into text and link spans."""
    spans: list[Span] = []
    pos = 0
    for match in _BARE_LINK.finditer(text):
        if match.start() > pos:
            spans.append(Span("text", text[pos : match.start()]))
        spans.append(Span("link", match.group(0), match.group(0)))
        pos = match.end()
    if pos < len(text):
        spans.append(Span("text", text[pos:]))
    return spans


def spans(text: str) -> list[Span]:
    """The spans of a message: markdown first, then bare links inside its plain parts."""
    out: list[Span] = []
    for span in parse_markdown(text):
        out.extend(linkify(span.text) if span.kind == "text" else [span])
    return out


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def message_html(text: str, link_color: str = "") -> str:
    """``text`` as the HTML a QTextDocument shows."""
    style = f' style="color:{link_color}"' if link_color else ""
    parts: list[str] = []
    for span in spans(text):
        body = _escape(span.text)
        if span.kind == "bold":
            parts.append(f"<b>{body}</b>")
        elif span.kind == "italic":
            parts.append(f"<i>{body}</i>")
        elif span.kind == "code":
            parts.append(f"<code>{body}</code>")
        elif span.kind == "link" and span.url:
            parts.append(f'<a href="{html.escape(span.url, quote=True)}"{style}>{body}</a>')
        else:
            parts.append(body)
    return "".join(parts)


def plain(text: str) -> str:
    """The visible text of a message (markup removed), for previews and screen readers."""
    return "".join(s.text for s in parse_markdown(text))


def preview(text: str, limit: int = 80) -> str:
    """One line of a message for the conversation list."""
    line = " ".join(plain(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def name(text: str) -> str:
    """A person's or group's name, safe to show next to other text."""
    return isolate(text)


def link_label_misleads(label: str, url: str) -> bool:
    """A link whose label is not its target (ask before opening such a link)."""
    return label.strip() != url.strip()


def human_size(size: int) -> str:
    """``size`` bytes as people read it."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
