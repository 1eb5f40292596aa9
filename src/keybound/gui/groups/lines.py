"""The translated sentence of a system line ("Alice added Carol", "You left").

The engine stores what changed and who did it (``keybound.client.system``);
the sentence is made here, through Qt's translator, so the German app says
it in German.  The timeline draws it, the conversation list previews it, a
screen reader reads it.  Every string is a literal ``translate("SystemLine",
...)`` call (or a ``QT_TRANSLATE_NOOP`` in a table) so that lupdate finds it.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from keybound.client.system import SystemKind, SystemNotice
from keybound.gui import text

translate = QCoreApplication.translate


def _fill(template: str, *values: str) -> str:
    """``%1``, ``%2`` … replaced in one pass (a name that holds "%2" stays as it is)."""
    return re.sub(r"%(\d)", lambda m: values[int(m.group(1)) - 1], template)


_UNITS: tuple[tuple[int, str, str], ...] = (
    (604800, str(QT_TRANSLATE_NOOP("SystemLine", "1 week")),
     str(QT_TRANSLATE_NOOP("SystemLine", "%1 weeks"))),
    (86400, str(QT_TRANSLATE_NOOP("SystemLine", "1 day")),
     str(QT_TRANSLATE_NOOP("SystemLine", "%1 days"))),
    (3600, str(QT_TRANSLATE_NOOP("SystemLine", "1 hour")),
     str(QT_TRANSLATE_NOOP("SystemLine", "%1 hours"))),
    (60, str(QT_TRANSLATE_NOOP("SystemLine", "1 minute")),
     str(QT_TRANSLATE_NOOP("SystemLine", "%1 minutes"))),
    (1, str(QT_TRANSLATE_NOOP("SystemLine", "1 second")),
     str(QT_TRANSLATE_NOOP("SystemLine", "%1 seconds"))),
)  # fmt: skip


def timer_label(seconds: int | None) -> str:
    """ "Off", "5 minutes", "1 hour", "1 day", "1 week" (and any other length people set)."""
    if not seconds or seconds <= 0:
        return translate("SystemLine", "Off")
    for size, one, many in _UNITS:
        if seconds % size == 0:
            n = seconds // size
            if n == 1:
                return translate("SystemLine", one)
            return _fill(translate("SystemLine", many), str(n))
    raise AssertionError("1 divides every number")  # pragma: no cover


def _names(names: tuple[str, ...]) -> str:
    you = translate("SystemLine", "you")
    return ", ".join(text.name(n) if n else you for n in names)


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
                return _fill(translate("SystemLine", "You created the group “%1”"), group)
            return _fill(translate("SystemLine", "%1 created the group “%2”"), who, group)
        case SystemKind.ADDED:
            if me:
                return _fill(translate("SystemLine", "You added %1"), them)
            return _fill(translate("SystemLine", "%1 added %2"), who, them)
        case SystemKind.REMOVED:
            if me:
                return _fill(translate("SystemLine", "You removed %1"), them)
            return _fill(translate("SystemLine", "%1 removed %2"), who, them)
        case SystemKind.LEFT:
            if me:
                return translate("SystemLine", "You left the group")
            return _fill(translate("SystemLine", "%1 left"), who)
        case SystemKind.RENAMED:
            if me:
                return _fill(translate("SystemLine", "You renamed the group to “%1”"), group)
            return _fill(translate("SystemLine", "%1 renamed the group to “%2”"), who, group)
        case SystemKind.TIMER:
            if e.seconds <= 0:
                if me:
                    return translate("SystemLine", "You turned disappearing messages off")
                return _fill(translate("SystemLine", "%1 turned disappearing messages off"), who)
            length = timer_label(e.seconds)
            if me:
                return _fill(translate("SystemLine", "You set disappearing messages to %1"), length)
            return _fill(translate("SystemLine", "%1 set disappearing messages to %2"), who, length)
    return translate("SystemLine", "The conversation changed")  # pragma: no cover
