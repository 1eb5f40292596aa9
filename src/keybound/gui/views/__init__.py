"""The unlocked chat UI: conversation list, timeline, composer, search, switcher."""
