"""Relay storage backends: embedded SQLite (default) and shared PostgreSQL."""
