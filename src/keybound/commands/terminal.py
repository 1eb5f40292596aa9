"""Human-readable output through a filter that lets no control character reach the terminal.

Fields that other people choose (names, messages, file names) are escaped
where they are rendered (``render``, with ``\\n`` shown as ``\\n`` so a message
cannot forge a line); this stream is the net under everything else: what any
command prints to a person passes :func:`keybound.client.display.visible`
with only line breaks kept.  ``--json`` output does not pass it: JSON escapes
control characters itself and must stay exact.
"""

from __future__ import annotations

import io
from typing import TextIO

from ..client.display import visible


class VisibleText(io.TextIOBase):
    """A text stream that shows control characters as escapes and passes on the rest."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(visible(text, keep_newlines=True))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.inner.encoding
