"""Groups in the app: the new-group dialog, the group page, the timer, system lines."""
