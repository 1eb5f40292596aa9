"""The markdown subset of text messages, for the GUI (which may not import ``protocol``).

See :mod:`keybound.protocol.markdown`: flat spans, only http, https and mailto links.
"""

from __future__ import annotations

from keybound.protocol.markdown import Span, SpanKind, parse_markdown

__all__ = ["Span", "SpanKind", "parse_markdown"]
