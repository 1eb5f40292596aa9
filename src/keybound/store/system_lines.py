"""The stored form of a system line ("Alice added Carol"): what changed and who did it.

A system line is a history row of content type :data:`SYSTEM_CONTENT_TYPE`
whose body is a small JSON object (people's IDs, not their names: names
change and are looked up when the line is shown).  The engine writes them
(``keybound.client.system``); the app draws them in its own, translated
words; :func:`describe` is the English sentence for the CLI and the export.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass

from .models import SYSTEM_CONTENT_TYPE as SYSTEM_CONTENT_TYPE


class SystemKind(enum.StrEnum):
    CREATED = "created"  # actor created the group (name)
    ADDED = "added"  # actor added subjects
    REMOVED = "removed"  # actor removed subjects
    LEFT = "left"  # actor left
    RENAMED = "renamed"  # actor renamed the group (name)
    TIMER = "timer"  # actor set the disappearing timer (seconds; 0: off)


@dataclass(frozen=True)
class SystemEvent:
    kind: SystemKind
    actor: bytes
    subjects: tuple[bytes, ...] = ()
    name: str = ""
    seconds: int = 0

    def encode(self) -> str:
        out: dict[str, object] = {"kind": self.kind.value, "actor": self.actor.hex()}
        if self.subjects:
            out["subjects"] = [s.hex() for s in self.subjects]
        if self.kind in (SystemKind.CREATED, SystemKind.RENAMED):
            out["name"] = self.name
        if self.kind is SystemKind.TIMER:
            out["seconds"] = self.seconds
        return json.dumps(out, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, body: str | None) -> SystemEvent | None:
        """The event in a system row's body (None for a body this version cannot read)."""
        try:
            raw = json.loads(body or "")
            kind = SystemKind(raw["kind"])
            actor = bytes.fromhex(raw["actor"])
            subjects = tuple(bytes.fromhex(s) for s in raw.get("subjects", ()))
            name = raw.get("name", "")
            seconds = raw.get("seconds", 0)
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if not isinstance(name, str) or not isinstance(seconds, int):
            return None
        return cls(kind, actor, subjects, name, seconds)


@dataclass(frozen=True)
class SystemNotice:
    """A system line with the names it is drawn with ("" means us)."""

    event: SystemEvent
    actor_name: str
    subject_names: tuple[str, ...] = ()


def notice(event: SystemEvent, name: Callable[[bytes], str]) -> SystemNotice:
    """``event`` with names from ``name`` (which answers "" for us)."""
    return SystemNotice(event, name(event.actor), tuple(name(s) for s in event.subjects))


def timer_text(seconds: int) -> str:
    """A timer as people say it: "5 minutes", "1 day" (English; the app translates its own)."""
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return f"{seconds} second" + ("s" if seconds != 1 else "")


def describe(n: SystemNotice) -> str:
    """The English sentence for a system line (the CLI's history)."""
    e = n.event
    who = n.actor_name or "You"
    them = ", ".join(s or "you" for s in n.subject_names) or "nobody"
    match e.kind:
        case SystemKind.CREATED:
            return f"{who} created the group “{e.name}”"
        case SystemKind.ADDED:
            return f"{who} added {them}"
        case SystemKind.REMOVED:
            return f"{who} removed {them}"
        case SystemKind.LEFT:
            return f"{who} left" if n.actor_name else "You left"
        case SystemKind.RENAMED:
            return f"{who} renamed the group to “{e.name}”"
        case SystemKind.TIMER:
            if e.seconds <= 0:
                return f"{who} turned disappearing messages off"
            return f"{who} set disappearing messages to {timer_text(e.seconds)}"
    return f"{who} changed the conversation"  # pragma: no cover - exhaustive above
