"""Contact pages and dialogs: emoji verification (and, later, the contact page)."""
