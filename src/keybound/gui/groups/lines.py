"""The translated sentence of a system line ("Alice added Carol", "You left").

The engine stores what changed and who did it (``keybound.client.system``);
the sentence is made here, through Qt's translator, so the German app says
it in German.  The timeline draws it, the conversation list previews it, a
screen reader reads it.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication

from keybound.client.system import SystemKind, SystemNotice
from keybound.gui import text

CONTEXT = "SystemLine"


def _tr(source: str) -> str:
    return QCoreApplication.translate(CONTEXT, source)


def _fill(template: str, *values: str) -> str:
    """``%1``, ``%2`` … replaced in one pass (a name that holds "%2" stays as it is)."""
    return re.sub(r"%(\d)", lambda m: values[int(m.group(1)) - 1], template)


_UNITS = (
    (604800, "1 week", "%1 weeks"),
    (86400, "1 day", "%1 days"),
    (3600, "1 hour", "%1 hours"),
    (60, "1 minute", "%1 minutes"),
    (1, "1 second", "%1 seconds"),
)


def timer_label(seconds: int | None) -> str:
    """ "Off", "5 minutes", "1 hour", "1 day", "1 week" (and any other length people set)."""
    if not seconds or seconds <= 0:
        return _tr("Off")
    for size, one, many in _UNITS:
        if seconds % size == 0:
            n = seconds // size
            return _tr(one) if n == 1 else _fill(_tr(many), str(n))
    return _fill(_tr("%1 seconds"), str(seconds))  # pragma: no cover - size 1 divides all


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(text.name(n) if n else _tr("you") for n in names)


def sentence(n: SystemNotice) -> str:
    """The line as the timeline shows it."""
    e = n.event
    me = not n.actor_name
    who = text.name(n.actor_name)
    them = _names(n.subject_names)
    group = text.name(e.name)
    match e.kind:
        case SystemKind.CREATED:
            if me:
                return _fill(_tr("You created the group “%1”"), group)
            return _fill(_tr("%1 created the group “%2”"), who, group)
        case SystemKind.ADDED:
            if me:
                return _fill(_tr("You added %1"), them)
            return _fill(_tr("%1 added %2"), who, them)
        case SystemKind.REMOVED:
            if me:
                return _fill(_tr("You removed %1"), them)
            return _fill(_tr("%1 removed %2"), who, them)
        case SystemKind.LEFT:
            return _tr("You left the group") if me else _fill(_tr("%1 left"), who)
        case SystemKind.RENAMED:
            if me:
                return _fill(_tr("You renamed the group to “%1”"), group)
            return _fill(_tr("%1 renamed the group to “%2”"), who, group)
        case SystemKind.TIMER:
            if e.seconds <= 0:
                if me:
                    return _tr("You turned disappearing messages off")
                return _fill(_tr("%1 turned disappearing messages off"), who)
            length = timer_label(e.seconds)
            if me:
                return _fill(_tr("You set disappearing messages to %1"), length)
            return _fill(_tr("%1 set disappearing messages to %2"), who, length)
    return _tr("The conversation changed")  # pragma: no cover - every kind is above
