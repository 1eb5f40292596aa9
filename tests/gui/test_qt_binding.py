"""The Qt binding keeps Python's reference counts: a signal delivered to a Python slot
must not drop a reference to None or to the bools (PySide6 6.12.0 did, once per
emission, and the process aborted in ``none_dealloc``/``bool_dealloc``)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication


class Emitter(QObject):
    text = Signal(str)
    value = Signal(object)


def test_signals_to_python_slots_keep_reference_counts(qapp: QApplication) -> None:
    emitter = Emitter()
    seen: list[object] = []
    emitter.text.connect(lambda text: seen.append(text))
    emitter.value.connect(lambda value: seen.append(value))
    before = sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)
    for i in range(200):
        emitter.text.emit("x")
        emitter.value.emit(i)
    seen.clear()
    after = sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)
    assert all(a >= b - 20 for a, b in zip(after, before, strict=True)), (before, after)
