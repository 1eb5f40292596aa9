"""Showing names and other text that other people chose, safely.

A contact picks their own display name, so it may hold bidi overrides (to make
"gpj.exe" read as "exe.jpg"), newlines or other control characters that would
change how the text around it reads.  :func:`isolate` wraps a name in Unicode
bidi isolates (FSI ... PDI) so it cannot reorder its surroundings, and shows
control and bidi-control characters visibly instead of obeying them.
"""

from __future__ import annotations

import unicodedata

FSI = "\u2068"  # first strong isolate
PDI = "\u2069"  # pop directional isolate

# Bidi embedding, override, isolate and mark characters: shown, never obeyed.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def visible(char: str) -> str:
    """``char`` itself, or a visible stand-in if it is a control character."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: "␀" .. "␟"
    if code == 0x7F:
        return "\u2421"  # "␡"
    if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Zl", "Zp"):
        return f"<U+{code:04X}>"
    return char


def isolate(name: str) -> str:
    """``name`` made safe to place inside other text: controls shown, bidi isolated."""
    return FSI + "".join(visible(ch) for ch in name) + PDI
