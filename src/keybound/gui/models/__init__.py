"""Bounded, lazy item models over the engine: they hold rows, never the whole history."""
