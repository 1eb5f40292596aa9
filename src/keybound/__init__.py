"""Keybound: an end-to-end encrypted messenger whose account is a hardware key."""

__version__ = "0.1.0"
