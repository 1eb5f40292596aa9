"""Item data roles the chat models share with their delegates."""

from __future__ import annotations

from PySide6.QtCore import Qt

ROW = Qt.ItemDataRole.UserRole + 1  # the row's value (ConversationRow, TimelineEntry, SearchHit)
ID = Qt.ItemDataRole.UserRole + 2  # conversation or message ID (bytes)
UNREAD = Qt.ItemDataRole.UserRole + 3  # unread count (int)
DAY_BREAK = Qt.ItemDataRole.UserRole + 4  # the row starts a new day (bool)
SHOW_SENDER = Qt.ItemDataRole.UserRole + 5  # draw the sender's name above the bubble (bool)
NEW_MARKER = Qt.ItemDataRole.UserRole + 6  # "new messages" starts at this row (bool)
PROGRESS = Qt.ItemDataRole.UserRole + 7  # (done, total) of a transfer in flight, or None
VERSION = Qt.ItemDataRole.UserRole + 8  # bumped whenever the row's drawing changes (int)
GROUP = Qt.ItemDataRole.UserRole + 9  # the conversation is a group (bool)
KEY = Qt.ItemDataRole.UserRole + 10  # (ID, VERSION): what a cached row layout is keyed by
