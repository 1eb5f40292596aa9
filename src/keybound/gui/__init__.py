"""The desktop app (PySide6 Qt Widgets): the only package that imports Qt.

The GUI only paints and forwards: every action is a coroutine of the engine
(:class:`keybound.client.Messenger`) run through :class:`~keybound.gui.bridge.Bridge`,
and every change it shows comes from an engine event.
"""
