"""Text from other people, made safe to show: no control character acts, no name flips.

A contact name or a message is chosen by someone else.  Printed raw, an
``ESC ] 0;...`` sets a terminal's title, ``ESC [ 2 J`` clears it, and a
newline followed by ``<date> alice: ...`` forges a line of history; in a
window, a right-to-left override (U+202E) reverses everything after a name.
So control characters are shown as escapes (``\\x1b``, ``\\n``, ``\\u202e``),
never passed on, and a name shown inside other text is wrapped in a bidi
*isolate* (FSI ... PDI) so its direction cannot leak into what follows.

Pure functions, no I/O: the CLI escapes what it prints, the app isolates
names in its views.
"""

from __future__ import annotations

import unicodedata

FSI = "\u2068"  # FIRST STRONG ISOLATE
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Directional formatting characters (Unicode 15, UAX #9) and line/paragraph separators:
# not category Cc, but they change how the text around them is shown.
_FORMAT = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)


def _is_control(ch: str) -> bool:
    return ch in _FORMAT or unicodedata.category(ch) == "Cc"


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control and bidi formatting character shown as an escape.

    ``keep_newlines`` leaves ``\\n`` alone (for whole blocks of our own output,
    whose fields were already escaped); everything else is escaped either way.
    """
    if text.isprintable() and not any(ch in _FORMAT for ch in text):
        return text  # the common case, without a loop in Python
    out = []
    for ch in text:
        if keep_newlines and ch == "\n":
            out.append(ch)
        elif _is_control(ch):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def isolate(name: str) -> str:
    """``name`` for showing inside other text: control characters made visible and the
    whole wrapped in FSI ... PDI, so its own direction cannot reorder what follows."""
    return f"{FSI}{visible(name)}{PDI}"
